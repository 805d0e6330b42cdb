/* HTTP requests to the --metrics server (harness/metrics/metrics_server.h),
 * sent over one kept-alive loopback connection to a server running
 * in-process, as a scraper or a stranger reaches it. The first input byte
 * picks the method (GET, HEAD, POST, PUT, DELETE, OPTIONS, or the next
 * bytes up to a space); the rest is the request target, a newline, and a
 * header value (CR, LF, NUL and, in the target, spaces dropped, so that the
 * request stays one well-formed head). The server must answer every request:
 * the page only to GET or HEAD, GET /metrics always with it, anything else
 * with a client error; and it must go on answering. */
#include "fuzz.h"
#include "fuzz_http.h"
#include "metrics_server.h"

#define MAX_FIELD 2048

/* libFuzzer's entry points take no context: the one server of the process and
 * the connection inputs are sent on. */
static pb_metrics *server;
static fuzz_http client;

static void stop_server(void)
{
    fuzz_http_cleanup(&client);
    pb_metrics_stop(server);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    pb_metrics_addr addr;
    pb_err err = {0};
    FUZZ_CHECK(pb_metrics_parse_addr("127.0.0.1:0", &addr, &err) == 0);
    if (pb_metrics_start(&addr, &server, &err) != 0) {
        fprintf(stderr, "fuzz_metrics_http: %s\n", err.msg);
        abort();
    }
    fuzz_http_init(&client, (uint16_t)atoi(strrchr(pb_metrics_url(server), ':') + 1),
                   "the metrics server");
    atexit(stop_server);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    if (len == 0)
        return 0;
    static const char *const methods[] = {"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS"};
    const uint8_t *rest = data + 1, *end = data + len;
    char method[32];
    if (data[0] % 8 < 6) {
        snprintf(method, sizeof(method), "%s", methods[data[0] % 8]);
    } else { /* a method of the input's own: letters up to the first space */
        size_t n = 0;
        while (rest < end && *rest != ' ' && n < sizeof(method) - 1) {
            if ((*rest >= 'A' && *rest <= 'Z') || (*rest >= 'a' && *rest <= 'z'))
                method[n++] = (char)*rest;
            rest++;
        }
        method[n] = '\0';
        if (n == 0)
            return 0;
    }
    const uint8_t *nl = memchr(rest, '\n', (size_t)(end - rest));
    static char target[MAX_FIELD + 2], value[MAX_FIELD + 1];
    target[0] = '/';
    size_t tn =
        fuzz_http_clean(target + 1, MAX_FIELD, rest, (size_t)((nl ? nl : end) - rest), true);
    if (tn > 0 && target[1] == '/')
        memmove(target, target + 1, tn + 1);
    fuzz_http_clean(value, MAX_FIELD, nl ? nl + 1 : end, nl ? (size_t)(end - nl - 1) : 0, false);

    static char req[2 * MAX_FIELD + 256];
    int n = snprintf(req, sizeof(req), "%s %s HTTP/1.1\r\nHost: fuzz\r\nX-Fuzz: %s\r\n\r\n", method,
                     target, value);
    FUZZ_CHECK(n > 0 && (size_t)n < sizeof(req));
    static char answer[1 << 20];
    bool is_head = strcmp(method, "HEAD") == 0;
    size_t got = fuzz_http_exchange(&client, req, (size_t)n, is_head, answer, sizeof(answer));
    int status = 0;
    FUZZ_CHECK(got > 12 && sscanf(answer, "HTTP/1.%*c %d ", &status) == 1);
    bool page = strcmp(method, "GET") == 0 || is_head;
    if (status == 200)
        FUZZ_CHECK(page);
    else
        FUZZ_CHECK(status >= 400 && status < 500);
    if (strcmp(method, "GET") == 0 && strcmp(target, "/metrics") == 0)
        FUZZ_CHECK(status == 200 && strstr(answer, "process_resident_memory_bytes") != NULL);
    return 0;
}
