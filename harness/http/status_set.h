/* Which HTTP statuses count as outcome ok (--ok-status): a set of the codes
 * 100 to 999, parsed from a list such as "2xx", "200,204" or "2xx,404". */
#ifndef PB_STATUS_SET_H
#define PB_STATUS_SET_H

#include <stdbool.h>
#include <stdint.h>

#include "errors.h"

typedef struct pb_status_set {
    uint64_t bits[16]; /* bit s: status s is in the set (0..1023) */
    char text[64];     /* the list as given, for the stored configuration */
} pb_status_set;

/* The default set: 2xx. */
void pb_status_set_default(pb_status_set *s);

/* Parse a comma-separated list of codes (100..999) and classes (1xx..9xx)
 * into s; on error s is unchanged and the message names the token. */
int pb_status_set_parse(pb_status_set *s, const char *list, pb_err *err) PB_MUST_CHECK;

/* Whether `status` is in the set. */
static inline bool pb_status_set_has(const pb_status_set *s, long status)
{
    return status >= 0 && status < 1024 && (s->bits[status >> 6] >> (status & 63) & 1) != 0;
}

#endif
