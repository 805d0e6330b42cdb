/* Which header values are secrets, and how a request is shown without them.
 * Authorization, Cookie and Proxy-Authorization always are, and any name
 * --secret-header adds: their values never leave the process (the database,
 * reports, the JSON summary, the metrics page and the progress line show
 * "Name: <redacted>"); nor does a password in a URL. */
#ifndef PB_SECRETS_H
#define PB_SECRETS_H

#include <stdbool.h>
#include <stddef.h>

#include "errors.h"

/* Most names --secret-header may add. */
#define PB_SECRETS_MAX 16

/* Longest header name kept, in bytes. */
#define PB_SECRETS_NAME_MAX 63

/* What a secret value is shown as. */
#define PB_SECRETS_REDACTED "<redacted>"

typedef struct pb_secrets {
    char names[PB_SECRETS_MAX][PB_SECRETS_NAME_MAX + 1]; /* added by --secret-header */
    int n;
} pb_secrets;

/* Add a header name (a token, any case) whose values are secret. */
int pb_secrets_add(pb_secrets *s, const char *name, pb_err *err) PB_MUST_CHECK;

/* Whether the header named by the first `len` bytes of `name` is secret (case-insensitive). */
bool pb_secrets_is_secret(const pb_secrets *s, const char *name, size_t len);

/* The header line "Name: value" as it may be shown: itself, or "Name: <redacted>"
 * (written into buf) when its name is secret. */
const char *pb_secrets_header(const pb_secrets *s, const char *line, char *buf, size_t len);

/* The URL as it may be shown: a password in it replaced by <redacted>
 * (malloc'd; NULL only when out of memory). */
char *pb_secrets_url(const char *url);

#endif
