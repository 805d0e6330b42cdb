#include "token_bucket.h"

void pb_token_bucket_init(pb_token_bucket *b)
{
    b->tokens = 0;
    b->last = 0;
    b->started = false;
}

bool pb_token_bucket_take(pb_token_bucket *b, double rate, double burst, pb_usec now)
{
    if (!b->started) {
        b->started = true;
        b->tokens = burst;
    } else if (now > b->last) {
        b->tokens += rate * (double)(now - b->last) / (double)PB_USEC_PER_SEC;
    }
    if (now > b->last)
        b->last = now;
    if (b->tokens > burst)
        b->tokens = burst;
    /* refills are sums of fractions (0.1 + 0.1 + ...); the slack keeps their
     * rounding from costing a token */
    if (b->tokens < 1.0 - 1e-9)
        return false;
    b->tokens -= 1.0;
    return true;
}
