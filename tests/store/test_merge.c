/* merge against the tables it follows: two segments of a run, written through
 * the recorder with the mock's summary in each, merge into one run whose
 * "server" holds every counter summed and every gauge by the rule
 * common/mock_gauges.h states for it, and whose seconds hold every column by
 * its rule in store/seconds.h. Read back through the store's reader. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "merge.h"
#include "mock_gauges.h"
#include "mock_vocab.h"
#include "reader.h"
#include "recorder.h"
#include "test_file.h"

#define SEGMENTS 2

static char dir[PATH_MAX];

/* A counter's value in segment i: distinct per counter and segment. */
static int64_t counter_value(int field, int i)
{
    return 1000 * (field + 1) + 7 * (i + 1);
}

/* A gauge's value in segment i. */
static int64_t gauge_value(int field, int i)
{
    return 10 * (field + 1) + i + 1;
}

/* The mock's stats as a run summary keeps them, for segment i. */
static json_t *server_json(int i)
{
    json_t *o = json_object();
    int field = 0;
#define PUT_COUNTER(counter, metric, label)                                                        \
    json_object_set_new(o, #counter, json_integer(counter_value(field++, i)));
    PB_MOCK_COUNTER_MAP(PUT_COUNTER)
#undef PUT_COUNTER
    field = 0;
#define PUT_GAUGE(gauge, type, metric, merge)                                                      \
    json_object_set_new(o, #gauge, json_integer(gauge_value(field++, i)));
    PB_MOCK_GAUGE_MAP(PUT_GAUGE)
#undef PUT_GAUGE
    json_object_set_new(o, "status", json_pack("{s:I,s:I}", "200", (json_int_t)(50 + i),
                                               "503", (json_int_t)(5 + i)));
    return o;
}

/* Segment i of a run: a few seconds of rows, marks and the mock's summary. */
static void write_segment(const char *path, int i)
{
    pb_err err = {0};
    pb_recorder *rec;
    if (pb_recorder_open(path, 0, &rec, &err) != 0)
        fail_msg("%s", err.msg);
    char config[128];
    snprintf(config, sizeof(config), "{\"segment\": {\"index\": %d, \"count\": %d}}", i,
             SEGMENTS);
    pb_run_info info = {.pattern = "queue", .label = "merged", .target = "t", .seed = 3,
                        .config_json = config};
    int64_t run_id;
    if (pb_recorder_begin_run(rec, &info, &run_id, &err) != 0)
        fail_msg("%s", err.msg);
    for (uint64_t sec = 0; sec < 3; sec++) {
        for (int k = 0; k < 10 + i; k++) {
            pb_request_row row = {.run_id = run_id,
                                  .t_us = sec * 1000000 + (uint64_t)k * 1000,
                                  .total_us = 500 + (uint64_t)(100 * i + k),
                                  .status = k % 5 == 0 ? 503 : 200,
                                  .outcome = k % 5 == 0 ? PB_OUTCOME_HTTP_ERROR : PB_OUTCOME_OK,
                                  .attempt = k % 7 == 0,
                                  .bytes = 100};
            pb_recorder_request(rec, &row);
        }
        pb_second_mark m = {.run_id = run_id, .sec = sec, .in_flight = 4u + (uint32_t)i,
                            .lim = 8, .queue = (uint32_t)i, .breaker = PB_BREAKER_CLOSED,
                            .phase = (int)sec + i, .self_known = true, .cpu_pct = 50,
                            .rss_bytes = 1 << 20, .loop_lag_us = 10, .backlog = 1,
                            .has_target = true, .ramp_target = 100.0 * (double)(sec + 1) + i};
        pb_recorder_second(rec, &m);
    }
    json_t *summary = json_pack("{s:s,s:s,s:o}", "pattern_name", "queue", "target", "t",
                                "server", server_json(i));
    char *text = json_dumps(summary, JSON_COMPACT);
    json_decref(summary);
    if (pb_recorder_end_run(rec, run_id, "completed", 3000000, text, &err) != 0 ||
        pb_recorder_close(rec, &err) != 0)
        fail_msg("%s", err.msg);
    free(text);
}

/* What the reader gives for one file: its last run, and its seconds. */
struct read_back {
    pb_store_run run;
    pb_second_row secs[8];
    size_t n;
};

static int keep_second(void *data, const pb_second_row *row)
{
    struct read_back *rb = data;
    assert_true(rb->n < 8);
    rb->secs[rb->n] = *row;
    rb->secs[rb->n].hist = (pb_second_blob){NULL, 0}; /* borrowed: not kept */
    rb->n++;
    return 0;
}

static void read_back(const char *path, struct read_back *rb)
{
    memset(rb, 0, sizeof(*rb));
    pb_err err = {0};
    pb_reader *rd;
    int64_t run_id, compare_id;
    pb_store_run *runs = NULL;
    size_t n = 0;
    if (pb_reader_open(path, &rd, &err) != 0 || pb_reader_last(rd, &run_id, &compare_id, &err) != 0 ||
        pb_reader_runs(rd, false, run_id, &runs, &n, &err) != 0 ||
        pb_reader_seconds(rd, run_id, keep_second, rb, &err) != 0)
        fail_msg("%s", err.msg);
    assert_int_equal(n, 1);
    rb->run = runs[0];
    free(runs);
    pb_reader_close(rd);
}

static json_t *server_of(const pb_store_run *run)
{
    json_t *root = json_loads(run->summary_json, 0, NULL);
    assert_non_null(root);
    json_t *server = json_incref(json_object_get(root, "server"));
    json_decref(root);
    assert_non_null(server);
    return server;
}

static void merged_server_fields_follow_their_tables(void **state)
{
    char seg[SEGMENTS][PATH_MAX + 16], out[PATH_MAX + 16];
    const char *inputs[SEGMENTS];
    for (int i = 0; i < SEGMENTS; i++) {
        snprintf(seg[i], sizeof(seg[i]), "%s/seg%d.db", dir, i);
        write_segment(seg[i], i);
        inputs[i] = seg[i];
    }
    snprintf(out, sizeof(out), "%s/merged.db", dir);
    pb_merge_stats stats;
    pb_err err = {0};
    if (pb_merge(out, inputs, SEGMENTS, &stats, &err) != 0)
        fail_msg("%s", err.msg);
    assert_int_equal(stats.segments, SEGMENTS);

    struct read_back in[SEGMENTS], merged;
    json_t *server_in[SEGMENTS];
    for (int i = 0; i < SEGMENTS; i++) {
        read_back(seg[i], &in[i]);
        server_in[i] = server_of(&in[i].run);
    }
    read_back(out, &merged);
    json_t *server = server_of(&merged.run);

    /* every counter is the segments' sum */
#define CHECK_COUNTER(counter, metric, label)                                                      \
    {                                                                                              \
        json_int_t sum = 0;                                                                        \
        for (int i = 0; i < SEGMENTS; i++)                                                         \
            sum += json_integer_value(json_object_get(server_in[i], #counter));                    \
        json_t *v = json_object_get(server, #counter);                                             \
        if (!json_is_integer(v) || json_integer_value(v) != sum)                                   \
            fail_msg("counter %s: merged %" JSON_INTEGER_FORMAT ", segments' sum %"                \
                     JSON_INTEGER_FORMAT,                                                          \
                     #counter, json_integer_value(v), sum);                                        \
    }
    PB_MOCK_COUNTER_MAP(CHECK_COUNTER)
#undef CHECK_COUNTER
    /* every gauge by its rule: summed, or left out (and named in the note) */
    json_t *root = json_loads(merged.run.summary_json, 0, NULL);
    const char *note =
        json_string_value(json_object_get(json_object_get(root, "segment"), "note"));
    assert_non_null(note);
#define CHECK_GAUGE(gauge, type, metric, merge)                                                    \
    {                                                                                              \
        json_int_t sum = 0;                                                                        \
        for (int i = 0; i < SEGMENTS; i++)                                                         \
            sum += json_integer_value(json_object_get(server_in[i], #gauge));                      \
        json_t *v = json_object_get(server, #gauge);                                               \
        if (merge == PB_GAUGE_SUM && (!json_is_integer(v) || json_integer_value(v) != sum))        \
            fail_msg("gauge %s (summed): merged %" JSON_INTEGER_FORMAT ", segments' sum %"         \
                     JSON_INTEGER_FORMAT,                                                          \
                     #gauge, json_integer_value(v), sum);                                          \
        if (merge == PB_GAUGE_OMIT && (v != NULL || strstr(note, "server." #gauge ",") == NULL))   \
            fail_msg("gauge %s (left out): in the merged server, or not named in the note",       \
                     #gauge);                                                                      \
    }
    PB_MOCK_GAUGE_MAP(CHECK_GAUGE)
#undef CHECK_GAUGE
    /* the per-status counts add up too */
    json_t *status = json_object_get(server, "status");
    assert_int_equal(json_integer_value(json_object_get(status, "200")), 50 + 51);
    assert_int_equal(json_integer_value(json_object_get(status, "503")), 5 + 6);
    json_decref(root);

    /* every seconds column by its rule in store/seconds.h */
    assert_int_equal(merged.n, in[0].n);
    for (size_t k = 0; k < merged.n; k++) {
        const pb_second_row *m = &merged.secs[k], *a = &in[0].secs[k], *b = &in[1].secs[k];
        assert_int_equal(m->sec, a->sec);
        assert_int_equal(m->sec, b->sec);
        assert_int_equal(m->count, a->count + b->count);
        for (int o = 0; o < PB_OUTCOME_COUNT; o++)
            assert_int_equal(m->outcomes[o], a->outcomes[o] + b->outcomes[o]);
#define CHECK_COLUMN(name, kind, decl, version, rule, arg) CHECK_##rule(name);
#define CHECK_SUM(name)                                                                            \
    if (m->name != a->name + b->name)                                                              \
        fail_msg("second %" PRIu64 ": %s is not the sum", m->sec, #name);
#define CHECK_SUM_LOST(name) CHECK_SUM(name)
#define CHECK_HIST(name) assert_true(PB_SECOND_KNOWN(m, name));
#define CHECK_PCT(name)                                                                            \
    if (!PB_SECOND_KNOWN(m, name) || m->name < (a->name < b->name ? a->name : b->name) ||          \
        m->name > (a->name > b->name ? a->name : b->name))                                         \
        fail_msg("second %" PRIu64 ": %s is not between the segments'", m->sec, #name);
#define CHECK_MARK_SUM(name)                                                                       \
    if (!PB_SECOND_KNOWN(m, name) || m->name != a->name + b->name)                                 \
        fail_msg("second %" PRIu64 ": %s is not the sum of the marks", m->sec, #name);
#define CHECK_MARK_AGREE(name)                                                                     \
    if (PB_SECOND_KNOWN(m, name) != (a->name == b->name) ||                                        \
        (PB_SECOND_KNOWN(m, name) && m->name != a->name))                                          \
        fail_msg("second %" PRIu64 ": %s is not kept where the segments agree", m->sec, #name);
#define CHECK_MARK_MAX(name)                                                                       \
    if (!PB_SECOND_KNOWN(m, name) || m->name != (a->name > b->name ? a->name : b->name))           \
        fail_msg("second %" PRIu64 ": %s is not the larger", m->sec, #name);
#define CHECK_MARK_OWN(name)                                                                       \
    if (PB_SECOND_KNOWN(m, name) || !PB_SECOND_KNOWN(a, name))                                     \
        fail_msg("second %" PRIu64 ": %s, one process's own figure, is not left out", m->sec,     \
                 #name);
        PB_SECOND_COLUMNS(CHECK_COLUMN)
    }
    for (int i = 0; i < SEGMENTS; i++) {
        json_decref(server_in[i]);
        pb_store_run_cleanup(&in[i].run);
    }
    json_decref(server);
    pb_store_run_cleanup(&merged.run);
}

int main(void)
{
    snprintf(dir, sizeof(dir), "/tmp/pb-test-merge-XXXXXX");
    if (mkdtemp(dir) == NULL)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(merged_server_fields_follow_their_tables),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    test_rmtree(dir);
    return failed;
}
