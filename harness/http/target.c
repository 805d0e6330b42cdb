/* pb_target: one request as the user describes it. */
#include "target.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void pb_target_init(pb_target *t)
{
    memset(t, 0, sizeof(*t));
    snprintf(t->method, sizeof(t->method), "GET");
}

void pb_target_cleanup(pb_target *t)
{
    free(t->url);
    curl_slist_free_all(t->headers);
    free(t->body);
    free(t->body_file);
    memset(t, 0, sizeof(*t));
}

static int oom(pb_err *err)
{
    return pb_err_set(err, PB_ENOMEM, "out of memory describing a request");
}

int pb_target_copy(pb_target *dst, const pb_target *src, pb_err *err)
{
    pb_target_init(dst);
    memcpy(dst->method, src->method, sizeof(dst->method));
    dst->own_user_agent = src->own_user_agent;
    dst->body_len = src->body_len;
    for (const struct curl_slist *h = src->headers; h != NULL; h = h->next) {
        struct curl_slist *l = curl_slist_append(dst->headers, h->data);
        if (l == NULL)
            goto fail;
        dst->headers = l;
        dst->n_headers++;
    }
    if ((src->url != NULL && (dst->url = strdup(src->url)) == NULL) ||
        (src->body_file != NULL && (dst->body_file = strdup(src->body_file)) == NULL))
        goto fail;
    if (src->body != NULL) {
        if ((dst->body = malloc(src->body_len + 1)) == NULL)
            goto fail;
        memcpy(dst->body, src->body, src->body_len + 1);
    }
    return 0;
fail:
    pb_target_cleanup(dst);
    return oom(err);
}

/* RFC 9110's tchar: what a method and a header name are made of. */
static bool is_tchar(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

int pb_target_set_method(pb_target *t, const char *method, pb_err *err)
{
    size_t n = strlen(method);
    if (n == 0 || n > PB_TARGET_METHOD_MAX)
        return pb_err_set(err, PB_EINVAL,
                          "--method: expected a method such as GET, POST or PUT (1 to %d "
                          "characters), got \"%s\"",
                          PB_TARGET_METHOD_MAX, method);
    for (size_t i = 0; i < n; i++)
        if (!is_tchar((unsigned char)method[i]))
            return pb_err_set(err, PB_EINVAL,
                              "--method: expected a method such as GET, POST or PUT (letters, "
                              "digits and !#$%%&'*+-.^_`|~), got \"%s\"",
                              method);
    memcpy(t->method, method, n + 1);
    return 0;
}

int pb_target_set_url(pb_target *t, const char *url, pb_err *err)
{
    CURLU *u = curl_url();
    if (u == NULL)
        return oom(err);
    char *scheme = NULL, *host = NULL;
    int rc = 0;
    CURLUcode uc = curl_url_set(u, CURLUPART_URL, url, 0);
    if (uc != CURLUE_OK) {
        rc = pb_err_set(err, PB_EPARSE, "expected an http:// or https:// URL, got \"%s\" (%s)", url,
                        curl_url_strerror(uc));
        goto done;
    }
    if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0) ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK || host[0] == '\0') {
        rc = pb_err_set(err, PB_EPARSE,
                        "expected an http:// or https:// URL with a host, got \"%s\"", url);
        goto done;
    }
    char *copy = strdup(url);
    if (copy == NULL) {
        rc = oom(err);
        goto done;
    }
    free(t->url);
    t->url = copy;
done:
    curl_free(scheme);
    curl_free(host);
    curl_url_cleanup(u);
    return rc;
}

size_t pb_target_header_name_len(const char *line)
{
    size_t n = 0;
    while (is_tchar((unsigned char)line[n]))
        n++;
    return n;
}

/* Headers the client writes itself: one given too would be sent twice or
 * contradict the body actually sent. */
static const char *const reserved_headers[] = {"X-PB-Seq", "X-PB-Attempt", "Content-Length",
                                               "Transfer-Encoding"};

int pb_target_add_header(pb_target *t, const char *line, pb_err *err)
{
    size_t name_len = pb_target_header_name_len(line);
    if (name_len == 0 || line[name_len] != ':')
        return pb_err_set(err, PB_EINVAL,
                          "--header: expected 'Name: value' (a name of letters, digits and "
                          "-_.!#$%%&'*+^`|~, then a colon), got a header without one");
    for (const char *v = line + name_len + 1; *v != '\0'; v++)
        if (((unsigned char)*v < 0x20 && *v != '\t') || *v == 0x7f)
            return pb_err_set(err, PB_EINVAL,
                              "--header %.*s: expected a value without control characters "
                              "(line breaks included)",
                              (int)name_len, line);
    for (size_t i = 0; i < sizeof(reserved_headers) / sizeof(reserved_headers[0]); i++)
        if (strlen(reserved_headers[i]) == name_len &&
            strncasecmp(line, reserved_headers[i], name_len) == 0)
            return pb_err_set(err, PB_EINVAL, "--header %.*s: patternbench sets this header itself",
                              (int)name_len, line);
    if (t->n_headers == PB_TARGET_HEADERS_MAX)
        return pb_err_set(err, PB_EFULL, "--header: at most %d headers", PB_TARGET_HEADERS_MAX);
    /* libcurl sends a "Name:" line with nothing after the colon as no header
     * at all (it removes its own); "Name;" is how it sends an empty one */
    const char *value = line + name_len + 1;
    while (*value == ' ' || *value == '\t')
        value++;
    char buf[8192];
    const char *add = line;
    if (*value == '\0') {
        if (name_len + 2 > sizeof(buf))
            return pb_err_set(err, PB_ERANGE, "--header: a name longer than %zu bytes",
                              sizeof(buf) - 2);
        snprintf(buf, sizeof(buf), "%.*s;", (int)name_len, line);
        add = buf;
    }
    struct curl_slist *l = curl_slist_append(t->headers, add);
    if (l == NULL)
        return oom(err);
    t->headers = l;
    t->n_headers++;
    if (name_len == 10 && strncasecmp(line, "User-Agent", 10) == 0)
        t->own_user_agent = true;
    return 0;
}

/* Read a whole file of at most PB_TARGET_BODY_MAX bytes into *out (malloc'd, NUL after it). */
static int read_body(const char *path, char **out, size_t *len, pb_err *err)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return pb_err_set(err, PB_EIO, "--body @%s: cannot read the file: %s", path,
                          strerror(errno));
    int rc = 0;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    if (buf == NULL)
        goto nomem;
    for (;;) {
        if (n + 1 == cap) {
            if (n > PB_TARGET_BODY_MAX)
                break;
            char *grown = realloc(buf, cap * 2);
            if (grown == NULL)
                goto nomem;
            buf = grown;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - 1 - n, f);
        n += got;
        if (got == 0)
            break;
    }
    if (ferror(f))
        rc = pb_err_set(err, PB_EIO, "--body @%s: cannot read the file", path);
    else if (n > PB_TARGET_BODY_MAX)
        rc = pb_err_set(err, PB_ERANGE, "--body @%s: larger than %u MiB", path,
                        PB_TARGET_BODY_MAX >> 20);
    if (rc != 0)
        goto done;
    buf[n] = '\0';
    *out = buf;
    *len = n;
    buf = NULL;
    goto done;
nomem:
    rc = oom(err);
done:
    free(buf);
    fclose(f);
    return rc;
}

int pb_target_set_body(pb_target *t, const char *text, pb_err *err)
{
    char *body = NULL, *file = NULL;
    size_t len = 0;
    if (text[0] == '@') {
        const char *path = text + 1;
        if (path[0] == '\0')
            return pb_err_set(err, PB_EINVAL, "--body: expected TEXT or @FILE, got \"@\"");
        if ((file = strdup(path)) == NULL)
            return oom(err);
        int rc = read_body(file, &body, &len, err);
        if (rc != 0) {
            free(file);
            return rc;
        }
    } else {
        len = strlen(text);
        if (len > PB_TARGET_BODY_MAX)
            return pb_err_set(err, PB_ERANGE, "--body: larger than %u MiB",
                              PB_TARGET_BODY_MAX >> 20);
        if ((body = strdup(text)) == NULL)
            return oom(err);
    }
    free(t->body);
    free(t->body_file);
    t->body = body;
    t->body_len = len;
    t->body_file = file;
    return 0;
}

bool pb_target_sends_body(const pb_target *t)
{
    return t->body != NULL || strcmp(t->method, "POST") == 0 || strcmp(t->method, "PUT") == 0 ||
           strcmp(t->method, "PATCH") == 0;
}
