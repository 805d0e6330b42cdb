/* The fuzz targets' kept-alive loopback HTTP client. */
#include "fuzz_http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "fuzz.h"

void fuzz_http_init(fuzz_http *c, uint16_t port, const char *who)
{
    *c = (fuzz_http){.port = port, .who = who, .fd = -1};
}

void fuzz_http_cleanup(fuzz_http *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
}

static int connect_server(fuzz_http *c)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    FUZZ_CHECK(fd >= 0);
    struct timeval tv = {.tv_sec = 10};
    FUZZ_CHECK(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == 0);
    /* close with RST, so that the rare reconnection leaves no TIME_WAIT behind */
    struct linger lg = {.l_onoff = 1, .l_linger = 0};
    FUZZ_CHECK(setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)) == 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(c->port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    FUZZ_CHECK(connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0);
    c->connections++;
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

/* Read one answer; *closed when the connection cannot carry another request. */
static size_t read_answer(const fuzz_http *c, bool head_only, char *buf, size_t cap, bool *closed)
{
    size_t len = 0, want = 0;
    *closed = false;
    buf[0] = '\0';
    for (;;) {
        const char *head_end = strstr(buf, "\r\n\r\n");
        if (want == 0 && head_end != NULL) {
            size_t head = (size_t)(head_end + 4 - buf), body = 0;
            const char *cl = strcasestr(buf, "\r\nContent-Length:");
            if (cl != NULL && cl < head_end && !head_only)
                body = strtoul(cl + 17, NULL, 10);
            else if (cl == NULL && !head_only)
                *closed = true; /* the body runs to the close */
            FUZZ_CHECK(head + body < cap);
            want = head + body;
            if (strcasestr(buf, "\r\nConnection: close") != NULL)
                *closed = true;
        }
        if (want != 0 && len >= want && !*closed)
            return len;
        ssize_t n = recv(c->fd, buf + len, cap - 1 - len, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            fprintf(stderr, "%s did not answer within 10 s\n", c->who);
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

size_t fuzz_http_exchange(fuzz_http *c, const char *req, size_t len, bool head_only, char *buf,
                          size_t cap)
{
    if (c->fd < 0)
        c->fd = connect_server(c);
    send_all(c->fd, req, len);
    bool closed;
    size_t got = read_answer(c, head_only, buf, cap, &closed);
    if (closed)
        fuzz_http_cleanup(c);
    return got;
}

size_t fuzz_http_clean(char *out, size_t max, const uint8_t *in, size_t len, bool word)
{
    size_t n = 0;
    for (size_t i = 0; i < len && n < max; i++)
        if (in[i] != '\r' && in[i] != '\n' && in[i] != '\0' && !(word && in[i] <= ' '))
            out[n++] = (char)in[i];
    out[n] = '\0';
    return n;
}
