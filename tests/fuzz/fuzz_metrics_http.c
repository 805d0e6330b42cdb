/* HTTP requests to the --metrics server (harness/metrics/metrics_server.h),
 * sent over one kept-alive loopback connection to a server running
 * in-process, as a scraper or a stranger reaches it. The first input byte
 * picks the method (GET, HEAD, POST, PUT, DELETE, OPTIONS, or the next
 * bytes up to a space); the rest is the request target, a newline, and a
 * header value (CR, LF, NUL and, in the target, spaces dropped, so that the
 * request stays one well-formed head). The server must answer every request:
 * the page only to GET or HEAD, GET /metrics always with it, anything else
 * with a client error; and it must go on answering. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "fuzz.h"
#include "metrics_server.h"

#define MAX_FIELD 2048

static pb_metrics *server;
static uint16_t port;
static int conn = -1;

static void stop_server(void)
{
    if (conn >= 0)
        close(conn);
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
    port = (uint16_t)atoi(strrchr(pb_metrics_url(server), ':') + 1);
    atexit(stop_server);
    return 0;
}

static int connect_server(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    FUZZ_CHECK(fd >= 0);
    struct timeval tv = {.tv_sec = 10};
    FUZZ_CHECK(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == 0);
    struct linger lg = {.l_onoff = 1, .l_linger = 0};
    FUZZ_CHECK(setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)) == 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    FUZZ_CHECK(connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0);
    return fd;
}

static size_t clean(char *out, const uint8_t *in, size_t len, bool no_space)
{
    size_t n = 0;
    for (size_t i = 0; i < len && n < MAX_FIELD; i++)
        if (in[i] != '\r' && in[i] != '\n' && in[i] != '\0' && !(no_space && in[i] <= ' '))
            out[n++] = (char)in[i];
    out[n] = '\0';
    return n;
}

/* Read one answer to a request of `method`: its head, then its body by
 * Content-Length (none for HEAD); *closed when the connection is done. */
static size_t read_answer(int fd, bool head_only, char *buf, size_t cap, bool *closed)
{
    size_t len = 0, want = 0;
    *closed = false;
    buf[0] = '\0';
    for (;;) {
        const char *end = strstr(buf, "\r\n\r\n");
        if (want == 0 && end != NULL) {
            size_t head = (size_t)(end + 4 - buf), body = 0;
            const char *cl = strcasestr(buf, "\r\nContent-Length:");
            if (cl != NULL && cl < end && !head_only)
                body = strtoul(cl + 17, NULL, 10);
            else if (cl == NULL && !head_only)
                *closed = true;
            FUZZ_CHECK(head + body < cap);
            want = head + body;
            if (strcasestr(buf, "\r\nConnection: close") != NULL)
                *closed = true;
        }
        if (want != 0 && len >= want && !*closed)
            return len;
        ssize_t n = recv(fd, buf + len, cap - 1 - len, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            fprintf(stderr, "the metrics server did not answer within 10 s\n");
            abort();
        }
        if (n <= 0) {
            *closed = true;
            return len;
        }
        len += (size_t)n;
        buf[len] = '\0';
        FUZZ_CHECK(len < cap - 1);
    }
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
    size_t tn = clean(target + 1, rest, (size_t)((nl ? nl : end) - rest), true);
    if (tn > 0 && target[1] == '/')
        memmove(target, target + 1, tn + 1);
    clean(value, nl ? nl + 1 : end, nl ? (size_t)(end - nl - 1) : 0, false);

    static char req[2 * MAX_FIELD + 256];
    int n = snprintf(req, sizeof(req), "%s %s HTTP/1.1\r\nHost: fuzz\r\nX-Fuzz: %s\r\n\r\n",
                     method, target, value);
    FUZZ_CHECK(n > 0 && (size_t)n < sizeof(req));
    if (conn < 0)
        conn = connect_server();
    ssize_t sent = send(conn, req, (size_t)n, MSG_NOSIGNAL);
    FUZZ_CHECK(sent == n);
    static char answer[1 << 20];
    bool closed;
    bool is_head = strcmp(method, "HEAD") == 0;
    size_t got = read_answer(conn, is_head, answer, sizeof(answer), &closed);
    if (closed) {
        close(conn);
        conn = -1;
    }
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
