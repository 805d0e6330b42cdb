/* The JSON the tool writes: jansson's text, with each real in the shortest
 * form that reads back as the same double. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "json_out.h"

static const char *real_text(double v)
{
    static char buf[PB_JSON_REAL_MAX];
    assert_int_equal(pb_json_real_text(v, buf, sizeof(buf)), 0);
    return buf;
}

static void reals_take_the_fewest_digits_that_read_back(void **state)
{
    assert_string_equal(real_text(0.1), "0.1");
    assert_string_equal(real_text(0.347097), "0.347097");
    assert_string_equal(real_text(0.1 + 0.2), "0.30000000000000004");
    assert_string_equal(real_text(1.0 / 3.0), "0.3333333333333333");
    assert_string_equal(real_text(0.0), "0.0");
    assert_string_equal(real_text(-0.0), "-0.0");
    assert_true(signbit(strtod(real_text(-0.0), NULL)));
    assert_string_equal(real_text(2.0), "2.0");
    assert_string_equal(real_text(-12.5), "-12.5");
    assert_string_equal(real_text(123456789012345.0), "123456789012345.0");
    /* exponents as jansson writes them: no '+', no leading zeros */
    assert_string_equal(real_text(1e15), "1e15");
    assert_string_equal(real_text(1e300), "1e300");
    assert_string_equal(real_text(1e-7), "1e-7");
    assert_string_equal(real_text(DBL_MAX), "1.7976931348623157e308");
    /* the smallest subnormal: 15 digits already read back */
    assert_string_equal(real_text(5e-324), "4.94065645841247e-324");
    assert_true(strtod(real_text(5e-324), NULL) == 5e-324);
}

static void nan_and_infinities_are_refused(void **state)
{
    char buf[PB_JSON_REAL_MAX];
    assert_int_equal(pb_json_real_text(NAN, buf, sizeof(buf)), PB_EINVAL);
    assert_int_equal(pb_json_real_text(INFINITY, buf, sizeof(buf)), PB_EINVAL);
    assert_int_equal(pb_json_real_text(-INFINITY, buf, sizeof(buf)), PB_EINVAL);
    /* as jansson, which cannot hold them */
    assert_null(json_real(NAN));
    assert_int_equal(pb_json_real_text(0.1, buf, 3), PB_ERANGE);
}

/* Doubles spread over every exponent, from a fixed-seed generator. */
static void every_real_reads_back_as_the_same_real(void **state)
{
    uint64_t x = 0x9e3779b97f4a7c15ULL;
    int tried = 0;
    for (int i = 0; i < 200000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        double v;
        memcpy(&v, &x, sizeof(v));
        if (!isfinite(v))
            continue;
        tried++;
        const char *text = real_text(v);
        json_t *back = json_loads(text, JSON_DECODE_ANY, NULL);
        assert_non_null(back);
        assert_true(json_is_real(back));
        assert_true(json_real_value(back) == v);
        json_decref(back);
    }
    assert_true(tried > 190000);
}

static void dumps_keeps_jansson_text_but_for_reals(void **state)
{
    json_t *o = json_pack("{s:f, s:[i, i, f, f], s:s, s:n, s:b, s:f, s:{}, s:[]}", "z", 0.1, "a",
                          (json_int_t)1, (json_int_t)-2, 0.30000000000000004, 2.5e-7, "s",
                          "0.10000000000000001 \"1.5\" -3e+07", "n", "t", 1, "r", 10.0, "o", "l");
    assert_non_null(o);
    char *compact = pb_json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    assert_string_equal(compact, "{\"z\":0.1,\"a\":[1,-2,0.30000000000000004,2.5e-7],"
                                 "\"s\":\"0.10000000000000001 \\\"1.5\\\" -3e+07\",\"n\":null,"
                                 "\"t\":true,\"r\":10.0,\"o\":{},\"l\":[]}");
    char *sorted = pb_json_dumps(o, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_ENSURE_ASCII);
    assert_string_equal(sorted, "{\n  \"a\": [\n    1,\n    -2,\n    0.30000000000000004,\n"
                                "    2.5e-7\n  ],\n  \"l\": [],\n  \"n\": null,\n  \"o\": {},\n"
                                "  \"r\": 10.0,\n  \"s\": \"0.10000000000000001 \\\"1.5\\\" "
                                "-3e+07\",\n  \"t\": true,\n  \"z\": 0.1\n}");
    /* the same tree reads back */
    json_t *back = json_loads(sorted, 0, NULL);
    assert_true(json_equal(back, o));
    json_decref(back);

    /* a bare value needs JSON_ENCODE_ANY, as with json_dumps */
    json_t *r = json_real(0.1);
    assert_null(pb_json_dumps(r, 0));
    char *bare = pb_json_dumps(r, JSON_ENCODE_ANY);
    assert_string_equal(bare, "0.1");
    free(bare);
    json_decref(r);

    /* to a stream and to a file, the same text */
    char path[] = "/tmp/pb_json_out_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w+");
    assert_int_equal(pb_json_dumpf(o, f, JSON_COMPACT | JSON_PRESERVE_ORDER), 0);
    rewind(f);
    char read_back[512] = "";
    assert_non_null(fgets(read_back, sizeof(read_back), f));
    assert_string_equal(read_back, compact);
    fclose(f);
    assert_int_equal(pb_json_dump_file(o, path, JSON_COMPACT | JSON_PRESERVE_ORDER), 0);
    f = fopen(path, "r");
    assert_non_null(fgets(read_back, sizeof(read_back), f));
    assert_string_equal(read_back, compact);
    fclose(f);
    unlink(path);
    assert_int_equal(pb_json_dump_file(o, "/nonexistent-dir/x.json", 0), -1);

    free(compact);
    free(sorted);
    json_decref(o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reals_take_the_fewest_digits_that_read_back),
        cmocka_unit_test(nan_and_infinities_are_refused),
        cmocka_unit_test(every_real_reads_back_as_the_same_real),
        cmocka_unit_test(dumps_keeps_jansson_text_but_for_reals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
