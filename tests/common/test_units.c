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

/* A written rate reads back to the same double, never in an exponent form the
 * rate parser refuses: small rates need more than 17 decimals (fuzz_units
 * found .018443372036854775807 written with too few), large ones none. */
static void rates_read_back_from_their_written_form(void **state)
{
    (void)state;
    static const char *const texts[] = {"0", "0.5", "1000000000", "503211440", "0.001",
                                        ".018443372036854775807", "0.000000001", "1234567.125",
                                        "999999999999.99"};
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        double v, back;
        pb_err err;
        char text[48];
        assert_int_equal(pb_parse_rate(texts[i], "--rate", 0, 1e12, &v, &err), 0);
        pb_format_rate(v, text, sizeof(text));
        if (pb_parse_rate(text, "--rate", 0, 1e12, &back, &err) != 0 || back != v)
            fail_msg("%s writes as %s, which does not read back", texts[i], text);
        assert_null(strchr(text, 'e'));
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

static void sizes_take_binary_units_and_fractions(void **state)
{
    static const struct {
        const char *text;
        uint64_t bytes;
    } ok[] = {
        {"0", 0},
        {"512", 512},
        {"512B", 512},
        {"4k", 4096},
        {"4K", 4096},
        {"4KiB", 4096},
        {"512MiB", 512ULL << 20},
        {"1.5G", 3ULL << 29},
        {"100G", 100ULL << 30},
        {"100GiB", 100ULL << 30},
        {"2T", 2ULL << 40},
        {"2t", 2ULL << 40},
        {"1P", 1ULL << 50},
        {"0.5k", 512},
        {"1.0009765625k", 1025},
        {"18446744073709551615", UINT64_MAX},
        {"16383P", 16383ULL << 50},
        {"15E", 15ULL << 60},
    };
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        uint64_t u = 1;
        pb_err err;
        if (pb_parse_size(ok[i].text, "--size", &u, &err) != 0 || u != ok[i].bytes)
            fail_msg("\"%s\": %llu (%s), expected %llu", ok[i].text, (unsigned long long)u, err.msg,
                     (unsigned long long)ok[i].bytes);
    }
    static const struct {
        const char *text;
        int code;
        const char *says;
    } bad[] = {
        {"", PB_EPARSE, "--size: expected a size in bytes such as 512, 4k, 1.5G or 100GiB"},
        {"lots", PB_EPARSE, "(k, M, G, T, P, E: powers of 1024), got \"lots\""},
        {"4kb", PB_EPARSE, "got \"4kb\""},
        {"5GB", PB_EPARSE, "got \"5GB\""},
        {"5Gi", PB_EPARSE, "got \"5Gi\""},
        {"5b", PB_EPARSE, "got \"5b\""},
        {"5BB", PB_EPARSE, "got \"5BB\""},
        {"16E", PB_ERANGE, "is too large"},
        {"-1", PB_EPARSE, "got \"-1\""},
        {".5G", PB_EPARSE, "got \".5G\""},
        {"1e3", PB_EPARSE, "got \"1e3\""},
        {" 5G", PB_EPARSE, "got \" 5G\""},
        {"0.5", PB_EPARSE,
         "--size: expected a whole number of bytes, or a unit after the fraction"},
        {"5%", PB_EPARSE, "not a percentage, got \"5%\""},
        {"16384P", PB_ERANGE, "--size: size \"16384P\" is too large"},
        {"18446744073709551616", PB_ERANGE, "is too large"},
        {"16384.0P", PB_ERANGE, "is too large"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        uint64_t u = 7;
        pb_err err = {0};
        int rc = pb_parse_size(bad[i].text, "--size", &u, &err);
        if (rc != bad[i].code || strstr(err.msg, bad[i].says) == NULL || u != 7)
            fail_msg("\"%s\": rc %d, \"%s\"", bad[i].text, rc, err.msg);
    }
}

static void a_size_or_a_share_of_the_disk(void **state)
{
    uint64_t u;
    double share;
    pb_err err;
    assert_int_equal(pb_parse_size_or_percent("5%", "--disk-reserve", &u, &share, &err), 0);
    assert_true(share == 0.05 && u == 0);
    assert_int_equal(pb_parse_size_or_percent("0.5%", "--disk-reserve", &u, &share, &err), 0);
    assert_true(share == 0.005);
    assert_int_equal(pb_parse_size_or_percent("100GiB", "--disk-reserve", &u, &share, &err), 0);
    assert_true(share == 0 && u == 100ULL << 30);
    static const struct {
        const char *text;
        int code;
        const char *says;
    } bad[] = {
        {"0%", PB_ERANGE,
         "--disk-reserve: expected a percentage above 0% and below 100%, got \"0%\""},
        {"100%", PB_ERANGE, "below 100%"},
        {"-5%", PB_EPARSE, "or a percentage such as 5%, got \"-5%\""},
        {"5G%", PB_EPARSE, "got \"5G%\""},
        {"%", PB_EPARSE, "got \"%\""},
        {"5 %", PB_EPARSE, "got \"5 %\""},
        {"5GB", PB_EPARSE, "got \"5GB\""},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int rc = pb_parse_size_or_percent(bad[i].text, "--disk-reserve", &u, &share, &err);
        if (rc != bad[i].code || strstr(err.msg, bad[i].says) == NULL)
            fail_msg("\"%s\": rc %d, \"%s\"", bad[i].text, rc, err.msg);
    }
}

/* Sizes are shown in the powers of 1024 they are read in: 100G is "100 GiB",
 * not "107 GB". */
static void sizes_are_shown_in_binary_units(void **state)
{
    static const struct {
        uint64_t bytes;
        const char *text;
    } cases[] = {
        {0, "0 B"},
        {1023, "1023 B"},
        {1024, "1 KiB"},
        {1536, "1.50 KiB"},
        {100ULL << 30, "100 GiB"},
        {3ULL << 29, "1.50 GiB"},
        {(100ULL << 30) + 1, "100 GiB"},
        {812ULL * 1000 * 1000, "774 MiB"},
        {2ULL << 40, "2 TiB"},
        {UINT64_MAX, "16.0 EiB"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char buf[32];
        assert_string_equal(pb_format_size(cases[i].bytes, buf, sizeof(buf)), cases[i].text);
    }
    /* what it shows of an exact size reads back to it */
    char buf[32];
    uint64_t u;
    pb_format_size(100ULL << 30, buf, sizeof(buf));
    *strchr(buf, ' ') = '\0';
    assert_int_equal(pb_parse_size(strcat(buf, "G"), "--size", &u, NULL), 0);
    assert_int_equal(u, 100ULL << 30);
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
        cmocka_unit_test(rates_read_back_from_their_written_form),
        cmocka_unit_test(rates_take_a_thousands_suffix),
        cmocka_unit_test(numbers_fractions_and_sizes),
        cmocka_unit_test(sizes_take_binary_units_and_fractions),
        cmocka_unit_test(a_size_or_a_share_of_the_disk),
        cmocka_unit_test(sizes_are_shown_in_binary_units),
        cmocka_unit_test(exact_durations_read_back_the_same),
        cmocka_unit_test(reals_are_the_shortest_text_that_reads_back),
        cmocka_unit_test(errors_have_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
