/* Name lookups over the vocabulary tables. */
#include "vocabulary.h"

#include <string.h>

/* The stored integers must fit where requests.code packs them. */
#define CHECK_OUTCOME(name, value, text)                                                           \
    _Static_assert(value >= 0 && value <= 15, "outcome " text " fits in 4 bits of requests.code");
PB_OUTCOME_MAP(CHECK_OUTCOME)
#undef CHECK_OUTCOME
#define CHECK_BREAKER(name, value, text)                                                           \
    _Static_assert(value >= 0 && value <= 3,                                                       \
                   "breaker state " text " fits in 2 bits of requests.code");
PB_BREAKER_STATE_MAP(CHECK_BREAKER)
#undef CHECK_BREAKER

const char *pb_outcome_name(pb_outcome o)
{
    switch (o) {
#define NAME_CASE(name, value, text)                                                               \
    case PB_OUTCOME_##name:                                                                        \
        return text;
        PB_OUTCOME_MAP(NAME_CASE)
#undef NAME_CASE
    case PB_OUTCOME_COUNT:
        break;
    }
    return NULL;
}

const char *pb_outcome_column(pb_outcome o)
{
    switch (o) {
#define COLUMN_CASE(name, value, text, column)                                                     \
    case PB_OUTCOME_##name:                                                                        \
        return column;
        PB_OUTCOME_ROLLUP_MAP(COLUMN_CASE)
#undef COLUMN_CASE
    case PB_OUTCOME_COUNT:
        break;
    }
    return NULL;
}

bool pb_outcome_is_failure(pb_outcome o)
{
    switch (o) {
#define FAILURE_CASE(XX, name, value, text, column, failure, title, colour)                        \
    case PB_OUTCOME_##name:                                                                        \
        return failure;
        PB_OUTCOME_ROWS(FAILURE_CASE, unused)
#undef FAILURE_CASE
    case PB_OUTCOME_COUNT:
        break;
    }
    return false;
}

int pb_outcome_from_name(const char *name, pb_outcome *out)
{
#define FROM_NAME(n, value, text)                                                                  \
    if (strcmp(name, text) == 0) {                                                                 \
        *out = PB_OUTCOME_##n;                                                                     \
        return 0;                                                                                  \
    }
    PB_OUTCOME_MAP(FROM_NAME)
#undef FROM_NAME
    return PB_ENOENT;
}

const char *pb_breaker_state_name(pb_breaker_state s)
{
    switch (s) {
#define NAME_CASE(name, value, text)                                                               \
    case PB_BREAKER_##name:                                                                        \
        return text;
        PB_BREAKER_STATE_MAP(NAME_CASE)
#undef NAME_CASE
    }
    return pb_breaker_state_name(PB_BREAKER_NONE); /* an unknown state reads as no breaker */
}

int pb_breaker_state_from_name(const char *name, pb_breaker_state *out)
{
#define FROM_NAME(n, value, text)                                                                  \
    if (strcmp(name, text) == 0) {                                                                 \
        *out = PB_BREAKER_##n;                                                                     \
        return 0;                                                                                  \
    }
    PB_BREAKER_STATE_MAP(FROM_NAME)
#undef FROM_NAME
    return PB_ENOENT;
}

const char *pb_event_kind_name(pb_event_kind k)
{
    switch (k) {
#define NAME_CASE(name, value, text)                                                               \
    case PB_EVENT_##name:                                                                          \
        return text;
        PB_EVENT_KIND_MAP(NAME_CASE)
#undef NAME_CASE
    }
    return NULL;
}

int pb_event_kind_from_name(const char *name, pb_event_kind *out)
{
#define FROM_NAME(n, value, text)                                                                  \
    if (strcmp(name, text) == 0) {                                                                 \
        *out = PB_EVENT_##n;                                                                       \
        return 0;                                                                                  \
    }
    PB_EVENT_KIND_MAP(FROM_NAME)
#undef FROM_NAME
    return PB_ENOENT;
}
