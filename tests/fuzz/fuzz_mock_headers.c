/* The mock's reading of the request headers a client sends, X-PB-Seq and
 * X-PB-Attempt (mockserver/mock.h, pb_mock_start), through a mock running
 * in-process on loopback, over one kept-alive connection (a new one only
 * after an answer that closes it): libmicrohttpd's header parsing and the
 * mock's together, as a client reaches them. The first input byte picks what is
 * sent (bit 0: X-PB-Seq, bit 1: X-PB-Attempt, bit 2: names in lower case);
 * the rest is the Seq value, a newline, and the Attempt value (CR, LF and NUL
 * dropped, so each stays one header line). The answer must be 200, or 400
 * exactly when a header the mock reads is not a number in its range, and the
 * mock's counters must add up to the answers it gave. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "fuzz.h"
#include "mock.h"
#include "units.h"

/* Longest header value sent; libmicrohttpd's connection memory is 32 KiB. */
#define MAX_VALUE 2048

/* libFuzzer's entry points take no context: the one mock of the process, and
 * what it answered itself so far */
static pb_mock *mock;
static uint64_t answered_ok, answered_bad;
static int conn = -1; /* the connection inputs are sent on, -1 before one */

static uint64_t inputs, connections;

/* At exit: how many connections the inputs took, which a long run needs to
 * stay far below one per input (tests/fuzz/CMakeLists.txt checks it). */
static void stop_mock(void)
{
    if (conn >= 0)
        close(conn);
    pb_mock_stop(mock);
    fprintf(stderr, "fuzz_mock_headers: %llu inputs over %llu connections\n",
            (unsigned long long)inputs, (unsigned long long)connections);
    mock = NULL;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    pb_mock_config *cfg = NULL;
    pb_err err = {0};
    FUZZ_CHECK(pb_mock_config_create(&cfg) == 0);
    if (pb_mock_start(cfg, NULL, NULL, &mock, &err) != 0) {
        fprintf(stderr, "fuzz_mock_headers: cannot start the mock: %s\n", err.msg);
        abort();
    }
    pb_mock_config_destroy(cfg);
    atexit(stop_mock);
    return 0;
}

/* Append the bytes of a value that keep it on one header line. */
static size_t clean(char *out, const uint8_t *in, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len && n < MAX_VALUE; i++)
        if (in[i] != '\r' && in[i] != '\n' && in[i] != '\0')
            out[n++] = (char)in[i];
    out[n] = '\0';
    return n;
}

/* Whether the mock must refuse the value: with blanks around it (which
 * libmicrohttpd may or may not strip) either answer is right, so -1. */
static int must_refuse(const char *v, uint64_t max)
{
    size_t len = strlen(v);
    if (len > 0 && (isspace((unsigned char)v[0]) || isspace((unsigned char)v[len - 1])))
        return -1;
    uint64_t n;
    return pb_parse_u64(v, "header", 0, max, &n, NULL) != 0;
}

static int connect_mock(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    FUZZ_CHECK(fd >= 0);
    struct timeval tv = {.tv_sec = 10};
    FUZZ_CHECK(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == 0);
    /* close with RST, so that the rare reconnection leaves no TIME_WAIT behind */
    struct linger lg = {.l_onoff = 1, .l_linger = 0};
    FUZZ_CHECK(setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)) == 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(pb_mock_port(mock))};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    FUZZ_CHECK(connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0);
    connections++;
    return fd;
}

static void send_all(int fd, const char *p, size_t len)
{
    while (len > 0) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) /* the server may answer and close before reading it all */
            return;
        p += n;
        len -= (size_t)n;
    }
}

/* Read one answer: its head, then Content-Length bytes of body (or up to the
 * server's close when it gives none). Returns the answer's length; *closed
 * when the connection cannot carry another request. */
static size_t read_answer(int fd, char *buf, size_t cap, bool *closed)
{
    size_t len = 0, want = 0;
    *closed = false;
    for (;;) {
        const char *head_end = strstr(buf, "\r\n\r\n");
        if (want == 0 && head_end != NULL) {
            size_t head = (size_t)(head_end + 4 - buf), body = 0;
            const char *cl = strcasestr(buf, "\r\nContent-Length:");
            if (cl != NULL && cl < head_end)
                body = strtoul(cl + 17, NULL, 10);
            else
                *closed = true; /* the body runs to the close */
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
            fprintf(stderr, "the mock did not answer within 10 s\n");
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
    inputs++;
    unsigned flags = data[0];
    const uint8_t *rest = data + 1, *end = data + len;
    const uint8_t *nl = memchr(rest, '\n', (size_t)(end - rest));
    static char seq[MAX_VALUE + 1], attempt[MAX_VALUE + 1];
    clean(seq, rest, (size_t)((nl ? nl : end) - rest));
    clean(attempt, nl ? nl + 1 : end, nl ? (size_t)(end - nl - 1) : 0);
    bool send_seq = flags & 1, send_attempt = flags & 2, lower = flags & 4;

    static char req[2 * MAX_VALUE + 256];
    int n = snprintf(req, sizeof(req), "GET / HTTP/1.1\r\nHost: fuzz\r\n");
    if (send_seq)
        n += snprintf(req + n, sizeof(req) - (size_t)n, "%s: %s\r\n",
                      lower ? "x-pb-seq" : "X-PB-Seq", seq);
    if (send_attempt)
        n += snprintf(req + n, sizeof(req) - (size_t)n, "%s: %s\r\n",
                      lower ? "x-pb-attempt" : "X-PB-Attempt", attempt);
    n += snprintf(req + n, sizeof(req) - (size_t)n, "\r\n");
    FUZZ_CHECK((size_t)n < sizeof(req));

    /* one connection for every input, kept alive: a connection per input
     * leaves a closed socket per input behind, and a long run used up the
     * loopback's ports. Only an answer that closes it costs a new one. */
    if (conn < 0)
        conn = connect_mock();
    send_all(conn, req, (size_t)n);
    static char answer[16384];
    answer[0] = '\0';
    bool closed;
    size_t got = read_answer(conn, answer, sizeof(answer), &closed);
    if (closed) {
        close(conn);
        conn = -1;
    }

    int status = 0;
    FUZZ_CHECK(got > 12 && sscanf(answer, "HTTP/1.%*c %d ", &status) == 1);
    const char *body = strstr(answer, "\r\n\r\n");
    bool from_mock = status == 200 || (body != NULL && strncmp(body + 4, "mock: ", 6) == 0);
    if (!from_mock) {
        /* libmicrohttpd refused the request itself: only a client error is right */
        FUZZ_CHECK(status >= 400 && status < 500);
        return 0;
    }
    FUZZ_CHECK(status == 200 || status == 400);
    int refuse_seq = send_seq ? must_refuse(seq, UINT64_MAX >> 8) : 0;
    int refuse_attempt = send_attempt ? must_refuse(attempt, 255) : 0;
    if (refuse_seq == 1 || refuse_attempt == 1)
        FUZZ_CHECK(status == 400);
    else if (refuse_seq == 0 && refuse_attempt == 0)
        FUZZ_CHECK(status == 200);
    if (status == 200)
        answered_ok++;
    else
        answered_bad++;

    pb_mock_stats st;
    pb_mock_get_stats(mock, &st);
    FUZZ_CHECK(st.ok == answered_ok && st.bad_requests == answered_bad);
    FUZZ_CHECK(st.requests == st.ok + st.bad_requests);
    return 0;
}
