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
#include <ctype.h>

#include "fuzz.h"
#include "fuzz_http.h"
#include "mock.h"
#include "units.h"

/* Longest header value sent; libmicrohttpd's connection memory is 32 KiB. */
#define MAX_VALUE 2048

/* libFuzzer's entry points take no context: the one mock of the process, and
 * what it answered itself so far */
static pb_mock *mock;
static uint64_t answered_ok, answered_bad;
static fuzz_http client;
static uint64_t inputs;

/* At exit: how many connections the inputs took, which a long run needs to
 * stay far below one per input (tests/fuzz/CMakeLists.txt checks it). */
static void stop_mock(void)
{
    fuzz_http_cleanup(&client);
    pb_mock_stop(mock);
    fprintf(stderr, "fuzz_mock_headers: %llu inputs over %llu connections\n",
            (unsigned long long)inputs, (unsigned long long)client.connections);
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
    fuzz_http_init(&client, pb_mock_port(mock), "the mock");
    atexit(stop_mock);
    return 0;
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    if (len == 0)
        return 0;
    inputs++;
    unsigned flags = data[0];
    const uint8_t *rest = data + 1, *end = data + len;
    const uint8_t *nl = memchr(rest, '\n', (size_t)(end - rest));
    static char seq[MAX_VALUE + 1], attempt[MAX_VALUE + 1];
    fuzz_http_clean(seq, MAX_VALUE, rest, (size_t)((nl ? nl : end) - rest), false);
    fuzz_http_clean(attempt, MAX_VALUE, nl ? nl + 1 : end, nl ? (size_t)(end - nl - 1) : 0, false);
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

    static char answer[16384];
    size_t got = fuzz_http_exchange(&client, req, (size_t)n, false, answer, sizeof(answer));

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
