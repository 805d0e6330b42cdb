/* The mock's admin API (mockserver/mock_admin.h): its routing, the
 * Authorization check and the accumulation of request bodies, through a mock
 * with an admin token running in-process on loopback, over one kept-alive
 * connection (a new one only after an answer that closes it), as a client
 * reaches them. The first input byte picks the request: bits 0-1 the method
 * (GET, PUT, POST, DELETE), bit 2 sends Authorization, bit 3 with the right
 * token (else the input's value), bits 4-6 the path (7: "/__admin/" and the
 * input's path), bit 7 sends the body chunked. The rest is the path, LF, the
 * Authorization value, LF, and the body. Without the token every admin path
 * is refused with 401; with it each path answers its methods and 405 to the
 * others, unknown paths 404; and once answered, no body bytes stay held. */
#include <sched.h>
#include <strings.h>

#include "fuzz.h"
#include "fuzz_http.h"
#include "mock.h"
#include "monotime.h"

#define TOKEN "fuzz-token"
/* Longest path, header value and body sent; libmicrohttpd's connection memory is 32 KiB. */
#define MAX_VALUE 2048
#define MAX_BODY 8192

/* libFuzzer's entry points take no context: the one mock of the process and
 * the connection inputs are sent on. */
static pb_mock *mock;
static fuzz_http client;

static void stop_mock(void)
{
    fuzz_http_cleanup(&client);
    pb_mock_stop(mock);
    mock = NULL;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    pb_mock_config *cfg = NULL;
    pb_err err = {0};
    FUZZ_CHECK(pb_mock_config_create(&cfg) == 0);
    FUZZ_CHECK(pb_mock_config_set(cfg, "admin-token", TOKEN, &err) == 0);
    if (pb_mock_start(cfg, NULL, NULL, &mock, &err) != 0) {
        fprintf(stderr, "fuzz_admin_api: cannot start the mock: %s\n", err.msg);
        abort();
    }
    pb_mock_config_destroy(cfg);
    fuzz_http_init(&client, pb_mock_port(mock), "the mock");
    atexit(stop_mock);
    return 0;
}

/* The status a path must answer method with, given the token; 0 when more
 * than one is right (a profile PUT is taken or refused by its content). */
static int expected(const char *path, const char *method)
{
    static const struct {
        const char *path, *methods;
    } routes[] = {{"/__admin/stats", "GET"},
                  {"/__admin/profile", "GET PUT"},
                  {"/__admin/phase/restart", "POST"},
                  {"/metrics", "GET"}};
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        if (strcmp(path, routes[i].path) != 0)
            continue;
        if (strstr(routes[i].methods, method) == NULL)
            return 405;
        return strcmp(method, "PUT") == 0 ? 0 : 200;
    }
    return 404;
}

/* Whether value carries the token: 1, 0, or -1 when blanks around it (which
 * libmicrohttpd may or may not strip) make either answer right. */
static int authorized(bool sent, const char *value)
{
    if (!sent)
        return 0;
    size_t len = strlen(value);
    if (len > 0 &&
        (value[0] == ' ' || value[0] == '\t' || value[len - 1] == ' ' || value[len - 1] == '\t'))
        return -1;
    return strncasecmp(value, "Bearer ", 7) == 0 && strcmp(value + 7, TOKEN) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    if (len == 0)
        return 0;
    static const char *const methods[] = {"GET", "PUT", "POST", "DELETE"};
    static const char *const paths[] = {
        "/__admin/stats", "/__admin/profile", "/__admin/phase/restart", "/metrics",
        "/__admin",       "/__admin/",        "/__admin/nothing"};
    unsigned flags = data[0];
    const char *method = methods[flags & 3];
    bool send_auth = flags & 4, right_token = flags & 8, chunked = flags & 128;
    unsigned path_i = (flags >> 4) & 7;

    const uint8_t *p = data + 1, *end = data + len;
    const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
    static char raw[MAX_VALUE + 1], auth[MAX_VALUE + 1], path[MAX_VALUE + 16];
    fuzz_http_clean(raw, MAX_VALUE, p, (size_t)((nl ? nl : end) - p), true);
    p = nl ? nl + 1 : end;
    nl = memchr(p, '\n', (size_t)(end - p));
    fuzz_http_clean(auth, MAX_VALUE, p, (size_t)((nl ? nl : end) - p), false);
    p = nl ? nl + 1 : end;
    size_t body_len = (size_t)(end - p) < MAX_BODY ? (size_t)(end - p) : MAX_BODY;
    if (right_token)
        snprintf(auth, sizeof(auth), "Bearer " TOKEN);
    if (path_i < 7)
        snprintf(path, sizeof(path), "%s", paths[path_i]);
    else
        snprintf(path, sizeof(path), "/__admin/%s", raw);

    static char req[4 * MAX_VALUE + 2 * MAX_BODY];
    int n = snprintf(req, sizeof(req), "%s %s HTTP/1.1\r\nHost: fuzz\r\n", method, path);
    if (send_auth)
        n += snprintf(req + n, sizeof(req) - (size_t)n, "Authorization: %s\r\n", auth);
    if (chunked) {
        /* the body in chunks of up to 100 bytes, so that it arrives in parts */
        n += snprintf(req + n, sizeof(req) - (size_t)n, "Transfer-Encoding: chunked\r\n\r\n");
        for (size_t at = 0; at < body_len; at += 100) {
            size_t c = body_len - at < 100 ? body_len - at : 100;
            n += snprintf(req + n, sizeof(req) - (size_t)n, "%zx\r\n", c);
            memcpy(req + n, p + at, c);
            n += (int)c;
            n += snprintf(req + n, sizeof(req) - (size_t)n, "\r\n");
        }
        n += snprintf(req + n, sizeof(req) - (size_t)n, "0\r\n\r\n");
    } else {
        n += snprintf(req + n, sizeof(req) - (size_t)n, "Content-Length: %zu\r\n\r\n", body_len);
        memcpy(req + n, p, body_len);
        n += (int)body_len;
    }
    FUZZ_CHECK((size_t)n < sizeof(req));

    static char answer[1 << 16];
    size_t got = fuzz_http_exchange(&client, req, (size_t)n, false, answer, sizeof(answer));

    int status = 0;
    if (got <= 12 || sscanf(answer, "HTTP/1.%*c %d ", &status) != 1)
        fprintf(stderr, "no answer (%zu bytes: %.200s) to:\n%.*s\n", got, answer, n, req);
    FUZZ_CHECK(got > 12 && sscanf(answer, "HTTP/1.%*c %d ", &status) == 1);
    const char *body = strstr(answer, "\r\n\r\n");
    bool from_admin = body != NULL && strncmp(body + 4, "{\"error\"", 8) == 0;
    int auth_ok = authorized(send_auth, auth);
    if (status >= 400 && !from_admin) {
        /* libmicrohttpd refused the request itself: only a client error is right */
        FUZZ_CHECK(status < 500);
    } else if (auth_ok == 0) {
        if (status != 401)
            fprintf(stderr, "%s %s without the token: %d\n", method, path, status);
        FUZZ_CHECK(status == 401);
        FUZZ_CHECK(strcasestr(answer, "\r\nWWW-Authenticate: Bearer") != NULL);
    } else if (auth_ok == 1 && path_i < 7) {
        int want = expected(path, method);
        if (want != 0 && status != want)
            fprintf(stderr, "%s %s: %d, expected %d\n", method, path, status, want);
        FUZZ_CHECK(want == 0 ? status == 200 || status == 400 : status == want);
    } else {
        FUZZ_CHECK(status == 200 || status == 400 || status == 401 || status == 404 ||
                   status == 405);
    }

    /* the bodies' bytes are let go when the request completes, which may be
     * just after its answer went out: a bounded poll */
    pb_mock_stats st;
    pb_usec until = pb_monotime_now() + 2000000;
    for (;;) {
        pb_mock_get_stats(mock, &st);
        if (st.admin_body_bytes == 0 || pb_monotime_now() > until)
            break;
        sched_yield();
    }
    if (st.admin_body_bytes != 0)
        fprintf(stderr, "%llu admin body bytes still held after the answer\n",
                (unsigned long long)st.admin_body_bytes);
    FUZZ_CHECK(st.admin_body_bytes == 0);
    return 0;
}
