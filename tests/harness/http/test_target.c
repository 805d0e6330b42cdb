/* The pieces that describe a request: pb_target (method, headers, body),
 * pb_status_set (--ok-status) and pb_secrets (what is never shown). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "secrets.h"
#include "status_set.h"
#include "target.h"
#include "targets_file.h"

static void a_target_takes_methods_headers_and_bodies(void **state)
{
    (void)state;
    pb_target t;
    pb_err err = {0};
    pb_target_init(&t);
    assert_string_equal(t.method, "GET");
    assert_false(pb_target_sends_body(&t));
    assert_int_equal(pb_target_set_method(&t, "PATCH", &err), 0);
    assert_true(pb_target_sends_body(&t)); /* an empty one: Content-Length: 0 */
    assert_int_equal(pb_target_set_method(&t, "G T", &err), PB_EINVAL);
    assert_non_null(strstr(err.msg, "\"G T\""));
    assert_int_equal(pb_target_set_method(&t, "", &err), PB_EINVAL);
    assert_string_equal(t.method, "PATCH");

    assert_int_equal(pb_target_add_header(&t, "X-One: 1", &err), 0);
    assert_int_equal(pb_target_add_header(&t, "X-Empty:", &err), 0);
    assert_int_equal(pb_target_add_header(&t, "user-agent: mine/1", &err), 0);
    assert_true(t.own_user_agent);
    assert_int_equal(t.n_headers, 3);
    assert_string_equal(t.headers->data, "X-One: 1");
    assert_string_equal(t.headers->next->data, "X-Empty;"); /* libcurl's spelling of empty */
    /* refused without quoting the value, which may be a secret */
    assert_int_equal(pb_target_add_header(&t, "Authorization Bearer hush", &err), PB_EINVAL);
    assert_null(strstr(err.msg, "hush"));
    assert_int_equal(pb_target_add_header(&t, "X-Bad: a\r\nX-Evil: 1", &err), PB_EINVAL);
    assert_null(strstr(err.msg, "Evil"));
    assert_int_equal(pb_target_add_header(&t, "content-length: 5", &err), PB_EINVAL);
    assert_int_equal(t.n_headers, 3);

    char path[] = "/tmp/pb-test-body.XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    static const char bytes[] = {'a', 0, 'b', '\n'};
    assert_int_equal(write(fd, bytes, sizeof(bytes)), (ssize_t)sizeof(bytes));
    close(fd);
    char at[64];
    snprintf(at, sizeof(at), "@%s", path);
    assert_int_equal(pb_target_set_body(&t, at, &err), 0);
    assert_int_equal(t.body_len, sizeof(bytes));
    assert_memory_equal(t.body, bytes, sizeof(bytes));
    assert_string_equal(t.body_file, path);

    pb_target copy;
    assert_int_equal(pb_target_copy(&copy, &t, &err), 0);
    assert_int_equal(copy.body_len, sizeof(bytes));
    assert_memory_equal(copy.body, bytes, sizeof(bytes));
    assert_int_equal(copy.n_headers, 3);
    assert_true(copy.own_user_agent);
    pb_target_cleanup(&copy);

    unlink(path);
    assert_int_equal(pb_target_set_body(&t, at, &err), PB_EIO);
    assert_non_null(strstr(err.msg, path));
    assert_int_equal(pb_target_set_body(&t, "inline", &err), 0);
    assert_int_equal(t.body_len, 6);
    assert_null(t.body_file);
    assert_int_equal(pb_target_set_url(&t, "ftp://x/", &err), PB_EPARSE);
    assert_int_equal(pb_target_set_url(&t, "https://127.0.0.1:8443/a?b", &err), 0);
    pb_target_cleanup(&t);
}

static void ok_statuses_are_codes_and_classes(void **state)
{
    (void)state;
    pb_status_set s;
    pb_err err = {0};
    pb_status_set_default(&s);
    assert_true(pb_status_set_has(&s, 200));
    assert_true(pb_status_set_has(&s, 299));
    assert_false(pb_status_set_has(&s, 302));
    assert_false(pb_status_set_has(&s, 404));
    assert_int_equal(pb_status_set_parse(&s, "2xx,404", &err), 0);
    assert_true(pb_status_set_has(&s, 204));
    assert_true(pb_status_set_has(&s, 404));
    assert_false(pb_status_set_has(&s, 405));
    assert_string_equal(s.text, "2xx,404");
    assert_int_equal(pb_status_set_parse(&s, "200,204", &err), 0);
    assert_false(pb_status_set_has(&s, 201));
    static const char *const bad[] = {"",    "2xx,", "20",  "2000",     "2x",
                                      "x00", "0xx",  "abc", "200 ,204", "099"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (pb_status_set_parse(&s, bad[i], &err) != PB_EINVAL)
            fail_msg("\"%s\" was taken", bad[i]);
        assert_non_null(strstr(err.msg, "--ok-status"));
    }
    /* a refused list leaves the set as it was */
    assert_true(pb_status_set_has(&s, 204));
    assert_false(pb_status_set_has(&s, 201));
}

static void secrets_are_redacted_by_name_in_any_case(void **state)
{
    (void)state;
    pb_secrets s = {0};
    pb_err err = {0};
    char buf[128];
    assert_string_equal(pb_secrets_header(&s, "authorization: Bearer x", buf, sizeof(buf)),
                        "authorization: <redacted>");
    assert_string_equal(pb_secrets_header(&s, "Cookie: a=b", buf, sizeof(buf)),
                        "Cookie: <redacted>");
    assert_string_equal(pb_secrets_header(&s, "Proxy-Authorization: Basic y", buf, sizeof(buf)),
                        "Proxy-Authorization: <redacted>");
    assert_string_equal(pb_secrets_header(&s, "X-Api-Key: k", buf, sizeof(buf)), "X-Api-Key: k");
    assert_string_equal(pb_secrets_header(&s, "Authorization2: k", buf, sizeof(buf)),
                        "Authorization2: k");
    assert_int_equal(pb_secrets_add(&s, "x-api-key", &err), 0);
    assert_string_equal(pb_secrets_header(&s, "X-API-KEY: k", buf, sizeof(buf)),
                        "X-API-KEY: <redacted>");
    assert_int_equal(pb_secrets_add(&s, "Bad Name", &err), PB_EINVAL);
    assert_int_equal(pb_secrets_add(&s, "X-Two:", &err), PB_EINVAL);

    char *u = pb_secrets_url("https://me:hush@127.0.0.1:8443/p?q=1");
    assert_non_null(u);
    assert_null(strstr(u, "hush"));
    assert_non_null(strstr(u, "me:<redacted>@127.0.0.1:8443/p?q=1"));
    free(u);
    u = pb_secrets_url("http://127.0.0.1:8080");
    assert_string_equal(u, "http://127.0.0.1:8080"); /* no password: as given */
    free(u);
}

static void targets_files_parse_with_lines_in_errors(void **state)
{
    (void)state;
    pb_targets t;
    pb_err err = {0};
    static const char vegeta[] = "# comment\r\n"
                                 "GET http://127.0.0.1:8080/a?x=1\r\n"
                                 "X-One: 1\r\n"
                                 "\r\n"
                                 "\n"
                                 "HEAD /b\n"
                                 "\n"
                                 "PATCH /c\n"
                                 "Authorization: Bearer t\n";
    assert_int_equal(
        pb_targets_parse(vegeta, sizeof(vegeta) - 1, "v.txt", PB_TARGETS_BY_EXTENSION, &t, &err),
        0);
    assert_int_equal(t.n, 3);
    assert_string_equal(t.items[0].url, "http://127.0.0.1:8080/a?x=1");
    assert_int_equal(t.items[0].n_headers, 1);
    assert_string_equal(t.items[1].method, "HEAD");
    assert_string_equal(t.items[1].url, "/b");
    assert_string_equal(t.items[2].headers->data, "Authorization: Bearer t");
    pb_targets_cleanup(&t);

    static const struct {
        const char *text, *source, *says;
    } bad[] = {
        {"GET /a\nX-One 1\n", "v.txt", "--targets v.txt:2: --header"},
        {"GET /a\n\nPOST\n", "v.txt", "--targets v.txt:3: expected a request line"},
        {"GET /a\n@/nonexistent/b\n", "v.txt", "--targets v.txt:2: --body @/nonexistent/b"},
        {"GET /a\n@/etc/hostname\nX-One: 1\n", "v.txt", "--targets v.txt:3: expected a blank line"},
        {"GET ftp://h/\n", "v.txt", "--targets v.txt:1: expected an http://"},
        {"G T /a\n", "v.txt", "--targets v.txt:1: expected a request line"},
        {"\n# only comments\n", "v.txt", "--targets v.txt: expected at least one target"},
        {"", "e.jsonl", "--targets e.jsonl: expected at least one target"},
        {"{\"url\": \"/a\"}\n[1]\n", "j.jsonl", "--targets j.jsonl:2: expected a JSON object"},
        {"{\"url\": \"/a\", \"headers\": {}}\n", "j.jsonl", "j.jsonl:1: unknown key \"headers\""},
        {"{\"url\": \"/a\", \"header\": {\"X\": 1}}\n", "j.jsonl", "\"header\".\"X\""},
        {"{\"url\": \"/a\", \"body\": \"x\", \"body_file\": \"y\"}\n", "j.jsonl", "not both"},
        {"{\"method\": \"GET\"}\n", "j.jsonl", "--targets j.jsonl:1: \"url\""},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int rc = pb_targets_parse(bad[i].text, strlen(bad[i].text), bad[i].source,
                                  PB_TARGETS_BY_EXTENSION, &t, &err);
        if (rc == 0 || strstr(err.msg, bad[i].says) == NULL)
            fail_msg("case %zu: rc %d, \"%s\"", i, rc, err.msg);
        assert_int_equal(t.n, 0);
    }
    /* --targets-format overrides the extension */
    static const char json[] = "{\"url\": \"/a\", \"body\": \"@not-a-file\"}\n";
    assert_int_equal(pb_targets_parse(json, sizeof(json) - 1, "t.txt", PB_TARGETS_JSONL, &t, &err),
                     0);
    assert_string_equal(t.items[0].body, "@not-a-file"); /* a JSON body is the text itself */
    pb_targets_cleanup(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_target_takes_methods_headers_and_bodies),
        cmocka_unit_test(ok_statuses_are_codes_and_classes),
        cmocka_unit_test(secrets_are_redacted_by_name_in_any_case),
        cmocka_unit_test(targets_files_parse_with_lines_in_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
