/* The vocabulary tables: every stored integer and name as the database holds
 * them today, no duplicates, lookups that round-trip, and docs/schema.md in
 * agreement. A failure here after an edit of common/vocabulary.h means old
 * databases would read differently: append rows, never renumber or rename. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vocabulary.h"

struct row {
    int value;
    const char *name;
    const char *column;
};

static const struct row outcomes[] = {
#define ROW(name, value, text, column) {value, text, column},
    PB_OUTCOME_ROLLUP_MAP(ROW)
#undef ROW
};
#define N_OUTCOMES (sizeof(outcomes) / sizeof(outcomes[0]))

static const struct row breaker_states[] = {
#define ROW(name, value, text) {value, text, NULL},
    PB_BREAKER_STATE_MAP(ROW)
#undef ROW
};
#define N_BREAKER_STATES (sizeof(breaker_states) / sizeof(breaker_states[0]))

static const struct row event_kinds[] = {
#define ROW(name, value, text) {value, text, NULL},
    PB_EVENT_KIND_MAP(ROW)
#undef ROW
};
#define N_EVENT_KINDS (sizeof(event_kinds) / sizeof(event_kinds[0]))

static void assert_unique(const struct row *rows, size_t n)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++) {
            assert_int_not_equal(rows[i].value, rows[j].value);
            assert_string_not_equal(rows[i].name, rows[j].name);
            if (rows[i].column != NULL)
                assert_string_not_equal(rows[i].column, rows[j].column);
        }
}

static void outcomes_are_stored_as_they_always_were(void **state)
{
    static const struct row stored[] = {
        {0, "ok", "ok"},
        {1, "http_error", "http_error"},
        {2, "timeout", "timeout"},
        {3, "connect_error", "connect_error"},
        {4, "reset", "reset"},
        {5, "protocol_error", "protocol_error"},
        {6, "rejected_by_breaker", "rejected"},
        {7, "dropped_by_backpressure", "dropped"},
        {8, "other_error", "other"},
    };
    /* rows may be appended after these; none may change */
    assert_true(N_OUTCOMES >= sizeof(stored) / sizeof(stored[0]));
    for (size_t i = 0; i < sizeof(stored) / sizeof(stored[0]); i++) {
        assert_int_equal(outcomes[i].value, stored[i].value);
        assert_string_equal(outcomes[i].name, stored[i].name);
        assert_string_equal(outcomes[i].column, stored[i].column);
    }
    assert_int_equal(PB_OUTCOME_COUNT, N_OUTCOMES);
    assert_unique(outcomes, N_OUTCOMES);
}

static void outcome_lookups_round_trip(void **state)
{
    for (size_t i = 0; i < N_OUTCOMES; i++) {
        pb_outcome o = (pb_outcome)outcomes[i].value;
        assert_string_equal(pb_outcome_name(o), outcomes[i].name);
        assert_string_equal(pb_outcome_column(o), outcomes[i].column);
        pb_outcome back = PB_OUTCOME_COUNT;
        assert_int_equal(pb_outcome_from_name(outcomes[i].name, &back), 0);
        assert_int_equal(back, o);
    }
    pb_outcome o;
    assert_int_equal(pb_outcome_from_name("rejected", &o), PB_ENOENT);
    assert_int_equal(pb_outcome_from_name("", &o), PB_ENOENT);
    assert_null(pb_outcome_name(PB_OUTCOME_COUNT));
    assert_null(pb_outcome_column(PB_OUTCOME_COUNT));
}

static void only_attempts_that_failed_are_failures(void **state)
{
    assert_false(pb_outcome_is_failure(PB_OUTCOME_OK));
    assert_true(pb_outcome_is_failure(PB_OUTCOME_HTTP_ERROR));
    assert_true(pb_outcome_is_failure(PB_OUTCOME_TIMEOUT));
    assert_true(pb_outcome_is_failure(PB_OUTCOME_CONNECT_ERROR));
    assert_true(pb_outcome_is_failure(PB_OUTCOME_RESET));
    assert_true(pb_outcome_is_failure(PB_OUTCOME_PROTOCOL_ERROR));
    assert_false(pb_outcome_is_failure(PB_OUTCOME_REJECTED_BY_BREAKER));
    assert_false(pb_outcome_is_failure(PB_OUTCOME_DROPPED_BY_BACKPRESSURE));
    assert_true(pb_outcome_is_failure(PB_OUTCOME_OTHER_ERROR));
    assert_false(pb_outcome_is_failure(PB_OUTCOME_COUNT));
}

static void breaker_states_are_stored_as_they_always_were(void **state)
{
    static const struct row stored[] = {
        {0, "none", NULL}, {1, "closed", NULL}, {2, "open", NULL}, {3, "half_open", NULL}};
    assert_int_equal(N_BREAKER_STATES, sizeof(stored) / sizeof(stored[0]));
    for (size_t i = 0; i < N_BREAKER_STATES; i++) {
        assert_int_equal(breaker_states[i].value, stored[i].value);
        assert_string_equal(breaker_states[i].name, stored[i].name);
        pb_breaker_state s = (pb_breaker_state)stored[i].value;
        assert_string_equal(pb_breaker_state_name(s), stored[i].name);
        pb_breaker_state back = PB_BREAKER_NONE;
        assert_int_equal(pb_breaker_state_from_name(stored[i].name, &back), 0);
        assert_int_equal(back, s);
    }
    assert_unique(breaker_states, N_BREAKER_STATES);
    pb_breaker_state s;
    assert_int_equal(pb_breaker_state_from_name("half-open", &s), PB_ENOENT);
    /* progress lines and summaries print it unchecked: never NULL */
    assert_string_equal(pb_breaker_state_name((pb_breaker_state)7), "none");
}

static void event_kinds_are_stored_as_they_always_were(void **state)
{
    /* every kind a database may hold; the enum values are not stored */
    static const char *const stored[] = {"breaker", "limit",  "drop",   "retry", "batch", "phase",
                                         "resend",  "stall",  "signal", "disk",  "lost"};
    assert_true(N_EVENT_KINDS >= sizeof(stored) / sizeof(stored[0]));
    for (size_t i = 0; i < sizeof(stored) / sizeof(stored[0]); i++)
        assert_string_equal(event_kinds[i].name, stored[i]);
    assert_unique(event_kinds, N_EVENT_KINDS);
    for (size_t i = 0; i < N_EVENT_KINDS; i++) {
        /* events.kind holds at most 23 characters (docs/schema.md) */
        assert_in_range(strlen(event_kinds[i].name), 1, 23);
        pb_event_kind k = (pb_event_kind)event_kinds[i].value;
        assert_string_equal(pb_event_kind_name(k), event_kinds[i].name);
        pb_event_kind back = (pb_event_kind)0;
        assert_int_equal(pb_event_kind_from_name(event_kinds[i].name, &back), 0);
        assert_int_equal(back, k);
    }
    /* the kinds patterns emit keep the numbers their tests were written against */
    assert_int_equal(PB_EVENT_BREAKER_STATE, 1);
    assert_int_equal(PB_EVENT_BATCH, 5);
    assert_null(pb_event_kind_name((pb_event_kind)0));
    pb_event_kind k;
    assert_int_equal(pb_event_kind_from_name("pattern", &k), PB_ENOENT);
}

/* docs/schema.md with every run of whitespace turned into one space, so that
 * a wrapped line matches; NULL when the source tree is not known. */
static char *read_schema_doc(void)
{
    const char *dir = getenv("PB_SOURCE_DIR");
    if (dir == NULL)
        return NULL;
    char path[4096];
    snprintf(path, sizeof(path), "%s/docs/schema.md", dir);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t cap = 1 << 16, n = 0;
    char *text = malloc(cap);
    assert_non_null(text);
    int c, prev_space = 0;
    while ((c = fgetc(f)) != EOF) {
        int space = c == ' ' || c == '\n' || c == '\t';
        if (space && prev_space)
            continue;
        prev_space = space;
        if (n + 1 == cap) {
            cap *= 2;
            char *grown = realloc(text, cap);
            assert_non_null(grown);
            text = grown;
        }
        text[n++] = space ? ' ' : (char)c;
    }
    text[n] = '\0';
    fclose(f);
    return text;
}

static void schema_doc_lists_the_tables(void **state)
{
    char *doc = read_schema_doc();
    if (doc == NULL)
        skip();
    char want[1024] = "Outcomes:";
    for (size_t i = 0; i < N_OUTCOMES; i++)
        snprintf(want + strlen(want), sizeof(want) - strlen(want), " %d %s%s", outcomes[i].value,
                 outcomes[i].name, i + 1 < N_OUTCOMES ? "," : ".");
    assert_non_null(strstr(doc, want));
    snprintf(want, sizeof(want), "%s", "| ");
    for (size_t i = 0; i < N_OUTCOMES; i++)
        snprintf(want + strlen(want), sizeof(want) - strlen(want), "%s%s", outcomes[i].column,
                 i + 1 < N_OUTCOMES ? ", " : " | INTEGER | per outcome");
    assert_non_null(strstr(doc, want));
    snprintf(want, sizeof(want), "%s", "Breaker states:");
    for (size_t i = 0; i < N_BREAKER_STATES; i++)
        snprintf(want + strlen(want), sizeof(want) - strlen(want), " %d %s%s",
                 breaker_states[i].value, breaker_states[i].name,
                 i + 1 < N_BREAKER_STATES ? "," : ".");
    assert_non_null(strstr(doc, want));
    const char *kind_row = strstr(doc, "| kind | TEXT |");
    assert_non_null(kind_row);
    const char *next_row = strstr(kind_row, "| from_val");
    assert_non_null(next_row);
    for (size_t i = 0; i < N_EVENT_KINDS; i++) {
        snprintf(want, sizeof(want), "`%s`", event_kinds[i].name);
        const char *at = strstr(kind_row, want);
        assert_true(at != NULL && at < next_row);
    }
    free(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(outcomes_are_stored_as_they_always_were),
        cmocka_unit_test(outcome_lookups_round_trip),
        cmocka_unit_test(only_attempts_that_failed_are_failures),
        cmocka_unit_test(breaker_states_are_stored_as_they_always_were),
        cmocka_unit_test(event_kinds_are_stored_as_they_always_were),
        cmocka_unit_test(schema_doc_lists_the_tables),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
