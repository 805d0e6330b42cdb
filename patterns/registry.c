/* The registry: the ops tables of PB_PATTERN_MAP in one array, lookup by
 * name, and create, which checks params and applies the retry decorator. */
#include "registry.h"

#include <stdio.h>
#include <string.h>

#include "pattern_impl.h"
#include "pattern_map.h"
#include "retry.h"

static const pb_pattern_ops *const patterns[] = {
#define PB_PATTERN_ENTRY(name) &pb_##name##_ops,
    PB_PATTERN_MAP(PB_PATTERN_ENTRY)
#undef PB_PATTERN_ENTRY
        NULL,
};

/* Each name takes at most its length plus a separator of up to 4 characters
 * (" or "), and the NUL comes from sizeof. */
#define PB_PATTERN_NAME_ROOM(name) +sizeof(#name) + 4
_Static_assert(0 PB_PATTERN_MAP(PB_PATTERN_NAME_ROOM) <= PB_PATTERN_NAMES_MAX,
               "PB_PATTERN_NAMES_MAX is too small for the registered names");
#undef PB_PATTERN_NAME_ROOM

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

void pb_pattern_names(const char *last, char *buf, size_t len)
{
    size_t o = 0;
    if (len == 0)
        return;
    buf[0] = '\0';
    for (size_t i = 0; patterns[i] != NULL && o < len; i++) {
        const char *sep = i == 0 ? "" : patterns[i + 1] == NULL ? last : ", ";
        int w = snprintf(buf + o, len - o, "%s%s", sep, patterns[i]->name);
        if (w < 0)
            return;
        o += (size_t)w;
    }
}

static int unknown_pattern(const char *name, pb_err *err)
{
    char names[PB_PATTERN_NAMES_MAX];
    pb_pattern_names(", ", names, sizeof(names));
    return pb_err_set(err, PB_ENOENT, "--pattern: unknown pattern \"%s\"; expected one of %s",
                      name ? name : "", names);
}

int pb_pattern_check(const char *name, const pb_pattern_params *p, pb_err *err)
{
    const pb_pattern_ops *ops = NULL;
    if (name != NULL && (ops = pb_pattern_find(name)) == NULL)
        return unknown_pattern(name, err);
    int rc = pb_pattern_params_check(p, err);
    if (rc != 0)
        return rc;
    for (size_t i = 0; patterns[i] != NULL; i++) {
        if (ops != NULL && patterns[i] != ops)
            continue;
        if (patterns[i]->check != NULL && (rc = patterns[i]->check(p, err)) != 0)
            return rc;
    }
    return 0;
}

int pb_pattern_create(const char *name, const pb_pattern_params *p, pb_event_cb cb, void *cb_data,
                      pb_pattern *out, pb_err *err)
{
    *out = (pb_pattern){0};
    const pb_pattern_ops *ops = pb_pattern_find(name);
    if (ops == NULL)
        return unknown_pattern(name, err);
    pb_pattern inner = {.ops = ops};
    int rc = pb_pattern_check(name, p, err);
    if (rc == 0)
        rc = ops->create(p, cb, cb_data, &inner.state, err);
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
