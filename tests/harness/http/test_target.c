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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_target_takes_methods_headers_and_bodies),
        cmocka_unit_test(ok_statuses_are_codes_and_classes),
        cmocka_unit_test(secrets_are_redacted_by_name_in_any_case),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
