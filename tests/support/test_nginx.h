/* nginx on loopback for the tests that need a real server other than the
 * mock (headers and bodies it logs, TLS): started from a configuration of its
 * own in a scratch folder, on a free port, as a child of the test. */
#ifndef PB_TEST_NGINX_H
#define PB_TEST_NGINX_H

#include <stdbool.h>

#include "pb_child.h"

/* Where Debian's nginx-light installs the server (scripts/install-deps.sh --test). */
#define TEST_NGINX_BINARY "/usr/sbin/nginx"

typedef struct test_nginx {
    pb_child child;
    char dir[64];   /* its scratch folder: configuration, logs, certificate */
    char url[96];   /* http[s]://127.0.0.1:PORT/ */
    char log[128];  /* its access log: one line per request, "METHOD URI HTTP/1.1 LENGTH
                       HEADER" where LENGTH is the request's Content-Length ("-" without one)
                       and HEADER the value of X-Demo ("-" without one) */
    char cert[128]; /* with tls: its self-signed certificate for 127.0.0.1, a CA file for
                       --cacert; the key is beside it */
    char key[128];
} test_nginx;

/* Make a self-signed certificate for 127.0.0.1 (and its key) in folder dir
 * with openssl, as cert and key; asserts that it worked. */
void test_nginx_make_cert(const char *dir, char *cert, size_t cert_len, char *key, size_t key_len);

/* Start nginx answering 200 "ok" to every request on a free loopback port,
 * over TLS when tls, reading request bodies; returns once it accepts
 * connections (fails the test when it cannot start within seconds). */
void test_nginx_start(test_nginx *n, bool tls);

/* A loopback TCP port nothing listened on a moment ago (the kernel's pick for port 0). */
unsigned test_nginx_free_port(void);

/* Stop it and remove its folder. */
void test_nginx_stop(test_nginx *n);

#endif
