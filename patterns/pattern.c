/* The pattern registry, what counts as a failed result, and create/destroy
 * with the optional retry decorator. */
#include "pattern.h"

#include <stdio.h>
#include <string.h>

#include "pattern_impl.h"
#include "retry.h"

bool pb_result_is_failure(const pb_result *res)
{
    if (!pb_outcome_is_failure(res->outcome))
        return false;
    if (res->outcome == PB_OUTCOME_HTTP_ERROR && res->http_status >= 400 &&
        res->http_status < 500 && res->http_status != 429)
        return false;
    return true;
}

static const pb_pattern_ops *const patterns[] = {
    &pb_queue_ops, &pb_semaphore_ops, &pb_backpressure_ops, &pb_breaker_ops, &pb_adaptive_ops, NULL,
};

const pb_pattern_ops *pb_pattern_find(const char *name)
{
    if (name == NULL)
        return NULL;
    for (size_t i = 0; patterns[i] != NULL; i++)
        if (strcmp(patterns[i]->name, name) == 0)
            return patterns[i];
    return NULL;
}

const pb_pattern_ops *const *pb_pattern_list(void)
{
    return patterns;
}

int pb_pattern_create(const char *name, const pb_pattern_params *p, pb_event_cb cb, void *cb_data,
                      pb_pattern *out, pb_err *err)
{
    *out = (pb_pattern){0};
    const pb_pattern_ops *ops = pb_pattern_find(name);
    if (ops == NULL) {
        char names[128] = "";
        for (size_t i = 0; patterns[i] != NULL; i++) {
            size_t n = strlen(names);
            snprintf(names + n, sizeof(names) - n, "%s%s", i ? ", " : "", patterns[i]->name);
        }
        return pb_err_set(err, PB_ENOENT, "--pattern: unknown pattern \"%s\"; expected one of %s",
                          name ? name : "", names);
    }
    pb_pattern inner = {.ops = ops};
    int rc = ops->create(p, cb, cb_data, &inner.state, err);
    if (rc != 0) {
        pb_err_prefix(err, "%s", name);
        return rc;
    }
    if (p->retry_max_attempts <= 1) {
        *out = inner;
        return 0;
    }
    rc = pb_retry_wrap(&inner, p, cb, cb_data, out, err);
    if (rc != 0)
        pb_pattern_destroy(&inner);
    return rc;
}

void pb_pattern_destroy(pb_pattern *pat)
{
    if (pat == NULL || pat->state == NULL)
        return;
    pat->ops->destroy(pat->state);
    pat->state = NULL;
}
