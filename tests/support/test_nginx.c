#include "test_nginx.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "monotime.h"
#include "test_file.h"

/* How long nginx may take to accept connections. */
#define START_MS 10000

void test_nginx_make_cert(const char *dir, char *cert, size_t cert_len, char *key, size_t key_len)
{
    snprintf(cert, cert_len, "%s/cert.pem", dir);
    snprintf(key, key_len, "%s/key.pem", dir);
    const char *args[] = {"req",
                          "-x509",
                          "-newkey",
                          "ec",
                          "-pkeyopt",
                          "ec_paramgen_curve:prime256v1",
                          "-nodes",
                          "-days",
                          "1",
                          "-subj",
                          "/CN=127.0.0.1",
                          "-addext",
                          "subjectAltName=IP:127.0.0.1",
                          "-keyout",
                          key,
                          "-out",
                          cert,
                          NULL};
    pb_child c;
    int rc = pb_child_run(&c, args, &(pb_child_options){.program = "/usr/bin/openssl"}, START_MS);
    if (rc != 0)
        fail_msg("openssl could not make a certificate (exit %d): %s", rc, c.err);
    pb_child_cleanup(&c);
}

unsigned test_nginx_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    close(fd);
    return ntohs(a.sin_port);
}

static bool accepts(unsigned port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    bool ok = connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
    close(fd);
    return ok;
}

static void write_conf(const test_nginx *n, unsigned port, bool tls)
{
    char path[160];
    snprintf(path, sizeof(path), "%s/nginx.conf", n->dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f,
            "worker_processes 1;\n"
            "daemon off;\n"
            "master_process off;\n"
            "pid %s/nginx.pid;\n"
            "error_log %s/error.log;\n"
            "events { worker_connections 256; }\n"
            "http {\n"
            "    log_format pb '$request $content_length $http_x_demo';\n"
            "    access_log %s pb;\n"
            "    client_body_temp_path %s;\n"
            "    client_max_body_size 16m;\n"
            "    proxy_temp_path %s;\n"
            "    fastcgi_temp_path %s;\n"
            "    uwsgi_temp_path %s;\n"
            "    scgi_temp_path %s;\n"
            "    server {\n"
            "        listen 127.0.0.1:%u%s;\n",
            n->dir, n->dir, n->log, n->dir, n->dir, n->dir, n->dir, n->dir, port,
            tls ? " ssl" : "");
    if (tls)
        fprintf(f, "        ssl_certificate %s;\n        ssl_certificate_key %s;\n", n->cert,
                n->key);
    /* `return` would answer before the body is read: the echo of a
     * static file reads it (and discards it), as an API would */
    fprintf(f,
            "        location / { default_type text/plain; root %s; try_files /ok.txt =404;\n"
            "                     error_page 405 =200 /ok.txt; }\n"
            "    }\n"
            "}\n",
            n->dir);
    assert_int_equal(fclose(f), 0);
    snprintf(path, sizeof(path), "%s/ok.txt", n->dir);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs("ok\n", f);
    assert_int_equal(fclose(f), 0);
}

void test_nginx_start(test_nginx *n, bool tls)
{
    if (access(TEST_NGINX_BINARY, X_OK) != 0)
        fail_msg("%s is missing: scripts/install-deps.sh --test installs nginx-light",
                 TEST_NGINX_BINARY);
    memset(n, 0, sizeof(*n));
    snprintf(n->dir, sizeof(n->dir), "/tmp/pb-test-nginx.XXXXXX");
    assert_non_null(mkdtemp(n->dir));
    snprintf(n->log, sizeof(n->log), "%s/access.log", n->dir);
    if (tls)
        test_nginx_make_cert(n->dir, n->cert, sizeof(n->cert), n->key, sizeof(n->key));
    /* another process may take the free port before nginx binds it: try again */
    for (int attempt = 0; attempt < 5; attempt++) {
        unsigned port = test_nginx_free_port();
        write_conf(n, port, tls);
        char conf[160];
        snprintf(conf, sizeof(conf), "%s/nginx.conf", n->dir);
        const char *args[] = {"-p", n->dir, "-c", conf, "-e", "/dev/stderr", NULL};
        pb_child_spawn(&n->child, args, &(pb_child_options){.program = TEST_NGINX_BINARY});
        pb_usec deadline = pb_monotime_now() + (pb_usec)START_MS * PB_USEC_PER_MS;
        bool alive = true;
        while (!accepts(port) && (alive = pb_child_pump(&n->child, 20)) &&
               pb_monotime_now() < deadline)
            ;
        if (alive && accepts(port)) {
            snprintf(n->url, sizeof(n->url), "%s://127.0.0.1:%u/", tls ? "https" : "http", port);
            return;
        }
        kill(n->child.pid, SIGTERM);
        pb_child_finish(&n->child, START_MS);
        pb_child_cleanup(&n->child);
    }
    fail_msg("nginx did not start in %s", n->dir);
}

void test_nginx_stop(test_nginx *n)
{
    if (n->child.pid > 0) {
        kill(n->child.pid, SIGQUIT); /* graceful: the access log is flushed */
        pb_child_finish(&n->child, START_MS);
        pb_child_cleanup(&n->child);
    }
    test_rmtree(n->dir);
}
