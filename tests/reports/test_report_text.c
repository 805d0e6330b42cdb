/* Text that leaves the database for gnuplot, HTML and Markdown, and the
 * numbers reports print. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gnuplot.h"
#include "html.h"
#include "html_escape.h"
#include "report_data.h"
#include "summary.h"
#include "utf8.h"

static void gnuplot_quote_keeps_text_inert(void **state)
{
    char buf[256];
    assert_string_equal(pb_gnuplot_quote("queue", 40, buf, sizeof(buf)), "'queue'");
    assert_string_equal(pb_gnuplot_quote(NULL, 40, buf, sizeof(buf)), "''");
    /* single quotes doubled: the only escape single-quoted gnuplot strings know */
    assert_string_equal(pb_gnuplot_quote("it's", 40, buf, sizeof(buf)), "'it''s'");
    /* backquotes (shell commands) and line ends (command separators) are dropped */
    assert_string_equal(pb_gnuplot_quote("a`id`b\nsystem('x')\r", 80, buf, sizeof(buf)),
                        "'aidbsystem(''x'')'");
    /* backslashes and double quotes mean nothing inside single quotes */
    assert_string_equal(pb_gnuplot_quote("c:\\x \"y\" @m $v", 80, buf, sizeof(buf)),
                        "'c:\\x \"y\" @m $v'");
    /* UTF-8 kept whole, invalid bytes replaced */
    assert_string_equal(pb_gnuplot_quote("d\xC3\xA9j\xC3\xA0 \xFF\xC3", 80, buf, sizeof(buf)),
                        "'d\xC3\xA9j\xC3\xA0 ?" "?'");
    /* cut at a character count, never inside a character or a doubled quote */
    assert_string_equal(pb_gnuplot_quote("abcdefghij", 4, buf, sizeof(buf)), "'abcd...'");
    assert_string_equal(pb_gnuplot_quote("\xC3\xA9\xC3\xA9\xC3\xA9", 2, buf, sizeof(buf)),
                        "'\xC3\xA9\xC3\xA9...'");
    char small[10];
    assert_string_equal(pb_gnuplot_quote("''''''''", 40, small, sizeof(small)), "'''''...'");
    /* tic labels are formats to gnuplot: a percent sign must be doubled there */
    assert_string_equal(pb_gnuplot_quote_tic("5% errors", 40, buf, sizeof(buf)), "'5%% errors'");
    assert_string_equal(pb_gnuplot_quote("5% errors", 40, buf, sizeof(buf)), "'5% errors'");
    assert_string_equal(pb_gnuplot_quote("x", 40, small, 4), "");
}

static void gnuplot_find_names_the_package(void **state)
{
    char *saved_path = strdup(getenv("PATH") != NULL ? getenv("PATH") : "");
    char *saved = getenv(PB_GNUPLOT_ENV) != NULL ? strdup(getenv(PB_GNUPLOT_ENV)) : NULL;
    unsetenv(PB_GNUPLOT_ENV);
    setenv("PATH", "/nonexistent-dir", 1);
    char path[4096];
    pb_err err = {0};
    assert_int_equal(pb_gnuplot_find(path, sizeof(path), &err), PB_ENOENT);
    assert_non_null(strstr(err.msg, "gnuplot-nox"));
    setenv(PB_GNUPLOT_ENV, "/nonexistent-dir/gp", 1);
    assert_int_equal(pb_gnuplot_find(path, sizeof(path), &err), PB_ENOENT);
    assert_non_null(strstr(err.msg, "/nonexistent-dir/gp"));
    setenv("PATH", saved_path, 1);
    if (saved != NULL)
        setenv(PB_GNUPLOT_ENV, saved, 1);
    else
        unsetenv(PB_GNUPLOT_ENV);
    free(saved);
    free(saved_path);
}

static void html_escape_everything_special(void **state)
{
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    assert_non_null(f);
    pb_html_escape(f, "<a href=\"x\">'&'</a>\x01\n\xC3\xA9\xFF");
    assert_int_equal(fclose(f), 0);
    assert_string_equal(out, "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;\n\xC3\xA9"
                             "\xEF\xBF\xBD");
    free(out);
}

static void utf8_rejects_what_is_not_utf8(void **state)
{
    assert_int_equal(pb_utf8_len((const unsigned char *)"a"), 1);
    assert_int_equal(pb_utf8_len((const unsigned char *)"\xC3\xA9"), 2);
    assert_int_equal(pb_utf8_len((const unsigned char *)"\xE2\x82\xAC"), 3);
    assert_int_equal(pb_utf8_len((const unsigned char *)"\xF0\x9F\x98\x80"), 4);
    assert_int_equal(pb_utf8_len((const unsigned char *)"\xC0\xAF"), 0);         /* overlong */
    assert_int_equal(pb_utf8_len((const unsigned char *)"\xED\xA0\x80"), 0);     /* surrogate */
    assert_int_equal(pb_utf8_len((const unsigned char *)"\xF4\x90\x80\x80"), 0); /* > U+10FFFF */
    assert_int_equal(pb_utf8_len((const unsigned char *)"\xE2\x82"), 0);         /* cut short */
}

static void buckets_keep_series_under_the_point_budget(void **state)
{
    assert_int_equal(pb_report_bucket_seconds(10, 2000), 1);
    assert_int_equal(pb_report_bucket_seconds(2000, 2000), 1);
    assert_int_equal(pb_report_bucket_seconds(2001, 2000), 2);
    assert_int_equal(pb_report_bucket_seconds(21600, 2000), 15);
    /* 72 hours: 3-minute points, 1,440 of them */
    assert_int_equal(pb_report_bucket_seconds(259200, 2000), 180);
    uint64_t spans[] = {1, 999, 5000, 86400, 259200, 10000000};
    for (size_t i = 0; i < sizeof(spans) / sizeof(spans[0]); i++) {
        uint64_t b = pb_report_bucket_seconds(spans[i], 2000);
        assert_true((spans[i] + b - 1) / b <= 2000);
    }
}

static void numbers_for_people(void **state)
{
    char buf[64];
    assert_string_equal(pb_summary_count(0, buf, sizeof(buf)), "0");
    assert_string_equal(pb_summary_count(999, buf, sizeof(buf)), "999");
    assert_string_equal(pb_summary_count(1234567, buf, sizeof(buf)), "1,234,567");
    assert_string_equal(pb_summary_latency(0.85, buf, sizeof(buf)), "0.85");
    assert_string_equal(pb_summary_latency(30.72, buf, sizeof(buf)), "30.7");
    assert_string_equal(pb_summary_latency(4210.4, buf, sizeof(buf)), "4210");
    assert_string_equal(pb_summary_latency(0.0 / 0.0, buf, sizeof(buf)), "n/a");
    assert_string_equal(pb_summary_time(0, buf, sizeof(buf)), "n/a");
    assert_string_equal(pb_summary_time(1714557600000000, buf, sizeof(buf)),
                        "2024-05-01 10:00:00Z");
    assert_string_equal(pb_outcome_name(6), "rejected_by_breaker");
    assert_string_equal(pb_outcome_column(6), "rejected");
    assert_null(pb_outcome_name(9));
    assert_true(pb_outcome_is_failure(2));
    assert_false(pb_outcome_is_failure(7));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(gnuplot_quote_keeps_text_inert),
        cmocka_unit_test(gnuplot_find_names_the_package),
        cmocka_unit_test(html_escape_everything_special),
        cmocka_unit_test(utf8_rejects_what_is_not_utf8),
        cmocka_unit_test(buckets_keep_series_under_the_point_budget),
        cmocka_unit_test(numbers_for_people),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
