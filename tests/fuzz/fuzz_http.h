/* The HTTP client of the fuzz targets that talk to a server running in this
 * process on loopback (the mock, its admin API, the --metrics server): one
 * kept-alive connection for every input, a new one only after an answer that
 * closes it. A connection per input leaves a closed socket per input behind,
 * and a long run used up the loopback's ports (fuzz_mock_headers aborted in
 * connect() after about 32,000 inputs). */
#ifndef PB_FUZZ_HTTP_H
#define PB_FUZZ_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One server's connection; the caller owns the storage. */
typedef struct fuzz_http {
    uint16_t port;        /* the server's, on 127.0.0.1 */
    const char *who;      /* names the server when it does not answer */
    int fd;               /* the connection, -1 between them */
    uint64_t connections; /* opened so far */
} fuzz_http;

/* Set up c for the server on 127.0.0.1:port; connects at the first request. */
void fuzz_http_init(fuzz_http *c, uint16_t port, const char *who);

/* Close c's connection, if any. */
void fuzz_http_cleanup(fuzz_http *c);

/* Send req (len bytes) and read its answer into buf (cap bytes, always
 * NUL-terminated): the head, then Content-Length bytes of body (none when
 * head_only, the answer to HEAD; up to the server's close when it gives no
 * length). Returns the answer's length, 0 when the server closed without one.
 * Aborts when the server does not answer within 10 s or the answer does not
 * fit buf. */
size_t fuzz_http_exchange(fuzz_http *c, const char *req, size_t len, bool head_only, char *buf,
                          size_t cap);

/* Copy into out (room for max bytes and a NUL) the bytes of in that keep it on
 * one header line: CR, LF and NUL dropped; with word, also every blank and
 * control byte, so that it stays one word of a request line. Returns the
 * length copied. */
size_t fuzz_http_clean(char *out, size_t max, const uint8_t *in, size_t len, bool word);

#endif
