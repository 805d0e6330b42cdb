/* Parsing of durations, numbers, fractions and sizes as users type them, and
 * the exact texts that read back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "units.h"

static void durations_accept_every_unit(void **state)
{
    pb_usec us;
    pb_err err;
    assert_int_equal(pb_parse_duration("150us", "x", &us, &err), 0);
    assert_int_equal(us, 150);
    assert_int_equal(pb_parse_duration("10ms", "x", &us, &err), 0);
    assert_int_equal(us, 10000);
    assert_int_equal(pb_parse_duration("1.5s", "x", &us, &err), 0);
    assert_int_equal(us, 1500000);
    assert_int_equal(pb_parse_duration("5m", "x", &us, &err), 0);
    assert_int_equal(us, 300000000ULL);
    assert_int_equal(pb_parse_duration("72h", "x", &us, &err), 0);
    assert_int_equal(us, 72ULL * 3600 * 1000000);
    assert_int_equal(pb_parse_duration("7d", "x", &us, &err), 0);
    assert_int_equal(us, 7ULL * 86400 * 1000000);
}

static void compound_durations_add_their_parts(void **state)
{
    static const struct {
        const char *text;
        pb_usec us;
    } ok[] = {
        {"1d12h", 36ULL * 3600 * 1000000},
        {"1m30s", 90ULL * 1000000},
        {"1.5h", 5400ULL * 1000000},
        {"2h30m15s", (2ULL * 3600 + 30 * 60 + 15) * 1000000},
        {"1s500ms", 1500000},
        {"1ms250us", 1250},
        {"0.5d", 12ULL * 3600 * 1000000},
        {"1h0m", 3600ULL * 1000000},
    };
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        pb_usec us = 0;
        pb_err err;
        assert_int_equal(pb_parse_duration(ok[i].text, "--duration", &us, &err), 0);
        assert_int_equal(us, ok[i].us);
    }
    /* parts out of order or repeated are refused, naming the input */
    const char *bad[] = {"30s1m", "1m1m", "1m30", "1h 30m", "1m.5s", "1e3s", "0x10s", "+5s", "1dd"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        pb_usec us;
        pb_err err;
        assert_int_equal(pb_parse_duration(bad[i], "--duration", &us, &err), PB_EPARSE);
        assert_non_null(strstr(err.msg, "--duration"));
        assert_non_null(strstr(err.msg, bad[i]));
    }
}

static void rates_take_a_thousands_suffix(void **state)
{
    double r;
    pb_err err;
    assert_int_equal(pb_parse_rate("1.5k", "--rate", 0, 1e7, &r, &err), 0);
    assert_float_equal(r, 1500, 1e-9);
    assert_int_equal(pb_parse_rate("250", "--rate", 0, 1e7, &r, &err), 0);
    assert_float_equal(r, 250, 1e-9);
    assert_int_equal(pb_parse_rate("0.5", "--rate", 0, 1e7, &r, &err), 0);
    assert_float_equal(r, 0.5, 1e-12);
    assert_int_equal(pb_parse_rate("20000k", "--rate", 0, 1e7, &r, &err), PB_ERANGE);
    assert_int_equal(pb_parse_rate("-1", "--rate", 0, 1e7, &r, &err), PB_ERANGE);
    assert_non_null(strstr(err.msg, "--rate"));
    const char *bad[] = {"", "k", "1.5K", "1kk", "--1", "1e3", "fast", "1.5k/s", " 10"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(pb_parse_rate(bad[i], "--rate", 0, 1e7, &r, &err), PB_EPARSE);
        assert_non_null(strstr(err.msg, "--rate"));
    }
}

static void durations_reject_with_a_message_naming_the_input(void **state)
{
    pb_usec us;
    pb_err err;
    const char *bad[] = {"", "10", "ms", "10 ms", "-5s", "10sec", "1e400s", "nan s", " 5s"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int rc = pb_parse_duration(bad[i], "--timeout", &us, &err);
        assert_true(rc < 0);
        assert_non_null(strstr(err.msg, "--timeout"));
    }
    assert_int_equal(pb_parse_duration("10", "--timeout", &us, &err), PB_EPARSE);
    assert_non_null(strstr(err.msg, "got \"10\""));
}

static void numbers_fractions_and_sizes(void **state)
{
    uint64_t u;
    double d;
    pb_err err;
    assert_int_equal(pb_parse_u64("64", "--concurrency", 1, 100000, &u, &err), 0);
    assert_int_equal(u, 64);
    assert_int_equal(pb_parse_u64("0", "--concurrency", 1, 100000, &u, &err), PB_ERANGE);
    assert_non_null(strstr(err.msg, "from 1 to 100000"));
    assert_int_equal(pb_parse_u64("ten", "--concurrency", 1, 10, &u, &err), PB_EPARSE);
    assert_int_equal(pb_parse_u64("-1", "--concurrency", 0, 10, &u, &err), PB_EPARSE);
    assert_int_equal(pb_parse_fraction("5%", "rate", &d, &err), 0);
    assert_float_equal(d, 0.05, 1e-12);
    assert_int_equal(pb_parse_fraction("0.2", "rate", &d, &err), 0);
    assert_float_equal(d, 0.2, 1e-12);
    assert_int_equal(pb_parse_fraction("1.5", "rate", &d, &err), PB_EPARSE);
    assert_int_equal(pb_parse_fraction("150%", "rate", &d, &err), PB_EPARSE);
    assert_int_equal(pb_parse_size("4k", "--body-size", &u, &err), 0);
    assert_int_equal(u, 4096);
    assert_int_equal(pb_parse_size("4kb", "--body-size", &u, &err), PB_EPARSE);
    assert_int_equal(pb_parse_double("2.5", "--rate", 0, 1e9, &d, &err), 0);
    assert_int_equal(pb_parse_double("inf", "--rate", 0, 1e9, &d, &err), PB_EPARSE);
}

static void exact_durations_read_back_the_same(void **state)
{
    static const struct {
        pb_usec us;
        const char *text;
    } cases[] = {
        {0, "0us"},
        {1, "1us"},
        {999, "999us"},
        {1500, "1500us"},
        {10000, "10ms"},
        {1000000, "1s"},
        {60000000, "60s"},
        {1001000, "1001ms"},
        {123456789, "123456789us"},
        {72ULL * 3600 * 1000000, "259200s"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char buf[32];
        assert_string_equal(pb_format_duration_exact(cases[i].us, buf, sizeof(buf)), cases[i].text);
        pb_usec back;
        pb_err err;
        assert_int_equal(pb_parse_duration(buf, "x", &back, &err), 0);
        assert_int_equal(back, cases[i].us);
    }
}

static void reals_are_the_shortest_text_that_reads_back(void **state)
{
    char buf[40];
    assert_string_equal(pb_format_real(1.5, buf, sizeof(buf)), "1.5");
    assert_string_equal(pb_format_real(0.1, buf, sizeof(buf)), "0.1");
    assert_string_equal(pb_format_real(1.0 / 3.0, buf, sizeof(buf)), "0.3333333333333333");
    const double vs[] = {0.05, 1e-9, 123456.789, 2.0 / 7.0, 1e12};
    for (size_t i = 0; i < sizeof(vs) / sizeof(vs[0]); i++)
        assert_true(strtod(pb_format_real(vs[i], buf, sizeof(buf)), NULL) == vs[i]);
}

static void errors_have_text(void **state)
{
    assert_string_equal(pb_strerror(PB_EINVAL), "invalid argument");
    assert_string_equal(pb_strerror(12345), "unknown error");
    pb_err err;
    assert_int_equal(pb_err_set(&err, PB_EPARSE, "bad %d", 7), PB_EPARSE);
    pb_err_prefix(&err, "file.json");
    assert_string_equal(err.msg, "file.json: bad 7");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(durations_accept_every_unit),
        cmocka_unit_test(durations_reject_with_a_message_naming_the_input),
        cmocka_unit_test(compound_durations_add_their_parts),
        cmocka_unit_test(rates_take_a_thousands_suffix),
        cmocka_unit_test(numbers_fractions_and_sizes),
        cmocka_unit_test(exact_durations_read_back_the_same),
        cmocka_unit_test(reals_are_the_shortest_text_that_reads_back),
        cmocka_unit_test(errors_have_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
