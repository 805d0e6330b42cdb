/* Outcome names, what counts as a failure, and pb_pattern_destroy; the
 * registry and create live in registry.c. */
#include "pattern.h"

static const char *const outcome_names[] = {
#define PB_OUTCOME_NAME(name, value, text) [value] = text,
    PB_OUTCOME_MAP(PB_OUTCOME_NAME)
#undef PB_OUTCOME_NAME
};

const char *pb_outcome_name(pb_outcome o)
{
    if ((int)o < 0 || o >= PB_OUTCOME_COUNT)
        return NULL;
    return outcome_names[o];
}

bool pb_outcome_is_failure(pb_outcome o)
{
    switch (o) {
    case PB_OUTCOME_HTTP_ERROR:
    case PB_OUTCOME_TIMEOUT:
    case PB_OUTCOME_CONNECT_ERROR:
    case PB_OUTCOME_RESET:
    case PB_OUTCOME_PROTOCOL_ERROR:
    case PB_OUTCOME_OTHER_ERROR:
        return true;
    default:
        return false;
    }
}

bool pb_result_is_failure(const pb_result *res)
{
    if (!pb_outcome_is_failure(res->outcome))
        return false;
    if (res->outcome == PB_OUTCOME_HTTP_ERROR && res->http_status >= 400 &&
        res->http_status < 500 && res->http_status != 429)
        return false;
    return true;
}

const char *pb_breaker_state_name(pb_breaker_state s)
{
    switch (s) {
    case PB_BREAKER_NONE:
        return "none";
    case PB_BREAKER_CLOSED:
        return "closed";
    case PB_BREAKER_OPEN:
        return "open";
    case PB_BREAKER_HALF_OPEN:
        return "half_open";
    }
    return "none";
}

void pb_pattern_destroy(pb_pattern *pat)
{
    if (pat == NULL || pat->state == NULL)
        return;
    pat->ops->destroy(pat->state);
    pat->state = NULL;
}
