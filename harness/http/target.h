/* One described request: its method, URL, headers and body, as --method,
 * --header and --body (or one entry of a targets file) give them. Checked as
 * it is built, so that a mistake is refused before a run starts; the HTTP
 * client then sends it as it stands, request after request, with no work of
 * its own per request but setting the easy handle's options when the target
 * changes. */
#ifndef PB_TARGET_H
#define PB_TARGET_H

#include <stdbool.h>
#include <stddef.h>

#include <curl/curl.h>

#include "errors.h"

/* Longest method name, in bytes. */
#define PB_TARGET_METHOD_MAX 31

/* Largest body, in bytes (a body is held in memory for the whole run). */
#define PB_TARGET_BODY_MAX (64u << 20)

/* Most headers one target may carry. */
#define PB_TARGET_HEADERS_MAX 64

typedef struct pb_target {
    char method[PB_TARGET_METHOD_MAX + 1]; /* "GET" unless set */
    char *url;                             /* malloc'd; NULL = the run's own (the mock's) */
    struct curl_slist *headers;            /* "Name: value" lines, in the order given */
    int n_headers;
    bool own_user_agent; /* a User-Agent header is among them: ours is not sent */
    char *body;          /* malloc'd, body_len bytes (NUL after them); NULL = no body */
    size_t body_len;
    char *body_file; /* malloc'd path the body was read from, NULL when given inline */
} pb_target;

/* A target sending GET without headers or body to no URL yet. */
void pb_target_init(pb_target *t);

/* Free what the setters allocated (safe on a zeroed or initialised target). */
void pb_target_cleanup(pb_target *t);

/* A deep copy of src into dst (initialised by this call). */
int pb_target_copy(pb_target *dst, const pb_target *src, pb_err *err) PB_MUST_CHECK;

/* The method: an HTTP token (letters, digits, !#$%&'*+-.^_`|~), as given. */
int pb_target_set_method(pb_target *t, const char *method, pb_err *err) PB_MUST_CHECK;

/* The URL: http:// or https:// with a host, as libcurl parses it. */
int pb_target_set_url(pb_target *t, const char *url, pb_err *err) PB_MUST_CHECK;

/* Add one "Name: value" line: a token name, a colon, a value without control
 * characters. Headers patternbench sets itself (X-PB-Seq, X-PB-Attempt,
 * Content-Length, Transfer-Encoding) are refused. The message does not quote
 * the value, which may be a secret. */
int pb_target_add_header(pb_target *t, const char *line, pb_err *err) PB_MUST_CHECK;

/* The body: the text itself, or "@PATH" to read the file PATH now, once
 * (a relative PATH from the current folder, as Vegeta reads it). */
int pb_target_set_body(pb_target *t, const char *text, pb_err *err) PB_MUST_CHECK;

/* Whether the request is sent with a body: one was given, or the method is
 * POST, PUT or PATCH (sent with an empty one, Content-Length: 0). */
bool pb_target_sends_body(const pb_target *t);

/* The length of the header name at the start of `line` (up to its colon). */
size_t pb_target_header_name_len(const char *line);

#endif
