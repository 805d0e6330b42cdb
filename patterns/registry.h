/* The registry: every pattern by name, and the one way to create one. The
 * list itself is PB_PATTERN_MAP in pattern_map.h; everything that names the
 * patterns to a user (help texts, error messages) asks here at run time. */
#ifndef PB_REGISTRY_H
#define PB_REGISTRY_H

#include <stddef.h>

#include "errors.h"
#include "params.h"
#include "pattern.h"

/* A buffer this size always holds pb_pattern_names() (registry.c checks the
 * list against it at compile time). */
#define PB_PATTERN_NAMES_MAX 256

/* Look up a registered pattern by name (exact, case-sensitive); NULL if unknown. */
const pb_pattern_ops *pb_pattern_find(const char *name);

/* The NULL-terminated list of registered patterns, in PB_PATTERN_MAP order. */
const pb_pattern_ops *const *pb_pattern_list(void);

/* Every registered name in list order into buf, separated by ", " except the
 * last two, which `last` separates (", " or " or "); truncated when len is
 * below PB_PATTERN_NAMES_MAX. */
void pb_pattern_names(const char *last, char *buf, size_t len);

/* Check params for pattern `name`: pb_pattern_params_check (ranges and the
 * rules every pattern shares), then the pattern's own cross-field rules (every
 * registered pattern's when name is NULL). PB_ENOENT for an unknown name,
 * PB_EINVAL/PB_ERANGE for bad params; err says which option and what was
 * expected. */
int pb_pattern_check(const char *name, const pb_pattern_params *p, pb_err *err) PB_MUST_CHECK;

/* Create `name` with params, checked as pb_pattern_check does, and wrap it in
 * the retry decorator (retry.h) when p->retry_max_attempts > 1. PB_ENOENT for
 * an unknown name, PB_EINVAL/PB_ERANGE for bad params (err prefixed with the
 * pattern's name), PB_ENOMEM; err says which option and what was expected.
 * On failure out->state is NULL; pb_pattern_destroy frees the result. */
int pb_pattern_create(const char *name, const pb_pattern_params *p, pb_event_cb cb, void *cb_data,
                      pb_pattern *out, pb_err *err) PB_MUST_CHECK;

#endif
