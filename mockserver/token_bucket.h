/* A token bucket for the mock server's --rate-limit: `rate` tokens a second
 * up to `burst`, one per request. Time comes in as `now`; not thread-safe. */
#ifndef PB_TOKEN_BUCKET_H
#define PB_TOKEN_BUCKET_H

#include <stdbool.h>

#include "monotime.h"

/* The state; the caller owns the storage. */
typedef struct pb_token_bucket {
    double tokens;
    pb_usec last;
    bool started;
} pb_token_bucket;

/* Not started: the first take finds the bucket full. */
void pb_token_bucket_init(pb_token_bucket *b);

/* Refill for the time since the last call, then take one token if there is
 * one. rate and burst may change between calls (phases); the tokens are then
 * capped at the new burst. */
bool pb_token_bucket_take(pb_token_bucket *b, double rate, double burst, pb_usec now);

#endif
