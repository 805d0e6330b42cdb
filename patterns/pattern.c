/* What counts as a failed result, and pb_pattern_destroy. The registry and
 * pb_pattern_create live in registry.c; outcome and breaker state names in
 * common/vocabulary.c. */
#include "pattern.h"

bool pb_result_is_failure(const pb_result *res)
{
    if (!pb_outcome_is_failure(res->outcome))
        return false;
    if (res->outcome == PB_OUTCOME_HTTP_ERROR && res->http_status >= 400 &&
        res->http_status < 500 && res->http_status != 429)
        return false;
    return true;
}

void pb_pattern_destroy(pb_pattern *pat)
{
    if (pat == NULL || pat->state == NULL)
        return;
    pat->ops->destroy(pat->state);
    pat->state = NULL;
}
