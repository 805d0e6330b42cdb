/* `patternbench mock` as a user runs it: the first line names the URL, it
 * serves until SIGTERM, then prints its counters; usage errors exit 2 and
 * name the option. The binary comes from $PB_BINARY. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "monotime.h"

typedef struct child {
    pid_t pid;
    int out, err; /* read ends of its stdout and stderr */
    char out_buf[16384], err_buf[16384];
    size_t out_len, err_len;
} child;

/* Start patternbench with args; ignore_int: as a shell script starts a
 * background job, with SIGINT ignored. */
static void spawn_with(child *c, const char *const *args, bool ignore_int)
{
    const char *bin = getenv("PB_BINARY");
    assert_non_null(bin);
    int po[2], pe[2];
    assert_int_equal(pipe(po), 0);
    assert_int_equal(pipe(pe), 0);
    memset(c, 0, sizeof(*c));
    c->pid = fork();
    assert_true(c->pid >= 0);
    if (c->pid == 0) {
        char *argv[32];
        int n = 0;
        argv[n++] = (char *)bin;
        for (int i = 0; args[i] != NULL && n < 31; i++)
            argv[n++] = (char *)args[i];
        argv[n] = NULL;
        dup2(po[1], 1);
        dup2(pe[1], 2);
        close(po[0]);
        close(pe[0]);
        close(po[1]);
        close(pe[1]);
        if (ignore_int)
            signal(SIGINT, SIG_IGN);
        execv(bin, argv);
        _exit(127);
    }
    close(po[1]);
    close(pe[1]);
    c->out = po[0];
    c->err = pe[0];
}

/* Read what is there within `ms`; returns false once both pipes are at EOF. */
static void spawn(child *c, const char *const *args)
{
    spawn_with(c, args, false);
}

static bool pump(child *c, int ms)
{
    struct pollfd p[2] = {{c->out, POLLIN, 0}, {c->err, POLLIN, 0}};
    int n = poll(p, 2, ms);
    assert_true(n >= 0 || errno == EINTR);
    for (int i = 0; i < 2; i++) {
        if (p[i].fd < 0 || !(p[i].revents & (POLLIN | POLLHUP)))
            continue;
        char *buf = i == 0 ? c->out_buf : c->err_buf;
        size_t *len = i == 0 ? &c->out_len : &c->err_len;
        ssize_t got = read(p[i].fd, buf + *len, sizeof(c->out_buf) - 1 - *len);
        if (got <= 0) {
            close(p[i].fd);
            if (i == 0)
                c->out = -1;
            else
                c->err = -1;
        } else {
            *len += (size_t)got;
            buf[*len] = '\0';
        }
    }
    return c->out >= 0 || c->err >= 0;
}

/* Read until both pipes close (bounded), then reap; returns the exit code. */
static int finish(child *c)
{
    pb_usec deadline = pb_monotime_now() + 10 * PB_USEC_PER_SEC;
    while (pump(c, 100))
        if (pb_monotime_now() > deadline)
            fail_msg("patternbench did not exit; stderr: %s", c->err_buf);
    int status;
    assert_int_equal(waitpid(c->pid, &status, 0), c->pid);
    assert_true(WIFEXITED(status));
    return WEXITSTATUS(status);
}

static int run(const char *const *args, child *c)
{
    spawn(c, args);
    return finish(c);
}

static void help_describes_the_options(void **state)
{
    child c;
    assert_int_equal(run((const char *const[]){"mock", "--help", NULL}, &c), 0);
    assert_non_null(strstr(c.out_buf, "usage: patternbench mock"));
    const char *opts[] = {"--listen",      "--latency",          "--errors",
                          "--faults",      "--capacity",         "--queue-limit",
                          "--rate-limit",  "--body-size",        "--seed",
                          "--threads",     "--profile",          "--hang-max",
                          "--latency-cap", "--idle-timeout",     "--connection-limit",
                          "--admin",       "--admin-token-file", "PB_ADMIN_TOKEN"};
    for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
        if (strstr(c.out_buf, opts[i]) == NULL)
            fail_msg("--help does not mention %s", opts[i]);
    assert_int_equal(run((const char *const[]){"--help", NULL}, &c), 0);
    assert_non_null(strstr(c.out_buf, "mock"));
}

static void usage_errors_exit_2_naming_the_option(void **state)
{
    const struct {
        const char *args[4];
        const char *expect;
    } bad[] = {
        {{"mock", "--latency", "fixed:10", NULL}, "--latency"},
        {{"mock", "--errors", "503:2", NULL}, "--errors fraction of 503"},
        {{"mock", "--nope", "1", NULL},
         "patternbench mock: --nope: unknown option\nsee 'patternbench mock --help'\n"},
        {{"mock", "stray", NULL}, "stray: unexpected argument"},
        {{"mock", "--capacity", NULL}, "--capacity: expected a value"},
        {{"mock", "--profile=/nonexistent.json", NULL}, "--profile: cannot open"},
        {{"mock", "--listen", "0.0.0.0:0", NULL}, "reachable from other machines"},
        {{"mock", "--idle-timeout", "1500ms", NULL}, "--idle-timeout: expected whole seconds"},
        {{"mock", "--admin", "maybe", NULL}, "--admin: expected on, off or open"},
        {{"mock", "--admin-token-file", "/nonexistent", NULL}, "--admin-token-file: cannot open"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        child c;
        int code = run(bad[i].args, &c);
        if (code != 2 || strstr(c.err_buf, bad[i].expect) == NULL)
            fail_msg("%s %s: exit %d, stderr \"%s\", expected 2 and \"%s\"", bad[i].args[1],
                     bad[i].args[2] ? bad[i].args[2] : "", code, c.err_buf, bad[i].expect);
        assert_int_equal(c.out_len, 0);
    }
}

static size_t discard(char *p, size_t size, size_t n, void *data)
{
    return size * n;
}

static long get(const char *url)
{
    CURL *e = curl_easy_init();
    assert_non_null(e);
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, 5000L);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    long status = 0;
    assert_int_equal(curl_easy_perform(e), CURLE_OK);
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(e);
    return status;
}

/* GET url with "Authorization: Bearer TOKEN" unless token is NULL; the status. */
static long get_auth(const char *url, const char *token)
{
    char auth[128];
    CURL *e = curl_easy_init();
    assert_non_null(e);
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, 5000L);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    struct curl_slist *h = NULL;
    if (token != NULL) {
        snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
        h = curl_slist_append(NULL, auth);
        curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
    }
    long status = 0;
    assert_int_equal(curl_easy_perform(e), CURLE_OK);
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(h);
    curl_easy_cleanup(e);
    return status;
}

/* Wait for the first line and return the port. */
static unsigned listening_port(child *c)
{
    pb_usec deadline = pb_monotime_now() + 10 * PB_USEC_PER_SEC;
    while (strchr(c->out_buf, '\n') == NULL) {
        assert_true(pump(c, 100));
        if (pb_monotime_now() > deadline)
            fail_msg("no first line; stderr: %s", c->err_buf);
    }
    unsigned port = 0;
    assert_int_equal(sscanf(c->out_buf, "listening on http://127.0.0.1:%u\n", &port), 1);
    return port;
}

static void the_admin_token_comes_from_a_file_or_the_environment(void **state)
{
    char path[] = "/tmp/pb_token_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    static const char line[] = "from-the-file\n";
    assert_int_equal(write(fd, line, sizeof(line) - 1), (ssize_t)(sizeof(line) - 1));
    close(fd);
    for (int source = 0; source < 2; source++) {
        child c;
        const char *token = source == 0 ? "from-the-file" : "from-the-environment";
        if (source == 0) {
            spawn(&c, (const char *const[]){"mock", "--admin-token-file", path, NULL});
        } else {
            assert_int_equal(setenv("PB_ADMIN_TOKEN", token, 1), 0);
            spawn(&c, (const char *const[]){"mock", NULL});
            assert_int_equal(unsetenv("PB_ADMIN_TOKEN"), 0);
        }
        char url[96];
        snprintf(url, sizeof(url), "http://127.0.0.1:%u/__admin/stats", listening_port(&c));
        assert_int_equal(get_auth(url, NULL), 401);
        assert_int_equal(get_auth(url, "wrong"), 401);
        assert_int_equal(get_auth(url, token), 200);
        assert_int_equal(kill(c.pid, SIGTERM), 0);
        assert_int_equal(finish(&c), 0);
    }
    unlink(path);
}

static void serves_until_sigterm_then_prints_counters(void **state)
{
    child c;
    spawn(&c, (const char *const[]){"mock", "--listen", "127.0.0.1:0", "--errors=503:1", "--seed",
                                    "4", NULL});
    pb_usec deadline = pb_monotime_now() + 10 * PB_USEC_PER_SEC;
    while (strchr(c.out_buf, '\n') == NULL) {
        assert_true(pump(&c, 100));
        if (pb_monotime_now() > deadline)
            fail_msg("no first line; stderr: %s", c.err_buf);
    }
    unsigned port = 0;
    assert_int_equal(sscanf(c.out_buf, "listening on http://127.0.0.1:%u\n", &port), 1);
    assert_true(port > 0 && port < 65536);
    char url[64];
    snprintf(url, sizeof(url), "http://127.0.0.1:%u/x", port);
    assert_int_equal(get(url), 503);
    assert_int_equal(get(url), 503);
    snprintf(url, sizeof(url), "http://127.0.0.1:%u/__admin/stats", port);
    assert_int_equal(get(url), 200);
    assert_int_equal(kill(c.pid, SIGTERM), 0);
    assert_int_equal(finish(&c), 0);
    assert_non_null(strstr(c.out_buf, "\nrequests 2\n"));
    assert_non_null(strstr(c.out_buf, "\nerrors 2\n"));
    assert_non_null(strstr(c.out_buf, "\nstatus 503 2\n"));
}

static void a_port_in_use_exits_1_naming_it(void **state)
{
    child a, b;
    spawn(&a, (const char *const[]){"mock", NULL});
    pb_usec deadline = pb_monotime_now() + 10 * PB_USEC_PER_SEC;
    while (strchr(a.out_buf, '\n') == NULL) {
        assert_true(pump(&a, 100));
        assert_true(pb_monotime_now() < deadline);
    }
    unsigned port = 0;
    assert_int_equal(sscanf(a.out_buf, "listening on http://127.0.0.1:%u", &port), 1);
    char listen[32];
    snprintf(listen, sizeof(listen), "127.0.0.1:%u", port);
    assert_int_equal(run((const char *const[]){"mock", "--listen", listen, NULL}, &b), 1);
    assert_non_null(strstr(b.err_buf, listen));
    assert_int_equal(kill(a.pid, SIGINT), 0);
    assert_int_equal(finish(&a), 0);
    assert_non_null(strstr(a.out_buf, "\nrequests 0\n"));
}

static void sigint_stops_it_even_when_started_ignored(void **state)
{
    child c;
    spawn_with(&c, (const char *const[]){"mock", NULL}, true);
    pb_usec deadline = pb_monotime_now() + 10 * PB_USEC_PER_SEC;
    while (strchr(c.out_buf, '\n') == NULL) {
        assert_true(pump(&c, 100));
        assert_true(pb_monotime_now() < deadline);
    }
    assert_int_equal(kill(c.pid, SIGINT), 0);
    assert_int_equal(finish(&c), 0);
    assert_non_null(strstr(c.out_buf, "\nrequests 0\n"));
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(help_describes_the_options),
        cmocka_unit_test(usage_errors_exit_2_naming_the_option),
        cmocka_unit_test(serves_until_sigterm_then_prints_counters),
        cmocka_unit_test(a_port_in_use_exits_1_naming_it),
        cmocka_unit_test(sigint_stops_it_even_when_started_ignored),
        cmocka_unit_test(the_admin_token_comes_from_a_file_or_the_environment),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
