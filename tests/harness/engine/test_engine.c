/* pb_run_execute end to end, in process: every pattern against the mock
 * server (started here on port 0), recorded to a database in a temporary
 * directory. The database, the summary and the mock's own counters must agree
 * request for request. */
#include <inttypes.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "recorder.h"
#include "engine.h"
#include "scratch_db.h"
#include "test_mock.h"

/* Run with name/value options (NULL-terminated) recorded into db. */
static void run(const char *db, const char *target, const char *const *opts, pb_run_summary *s)
{
    pb_run_config cfg;
    pb_err err = {0};
    assert_int_equal(pb_run_config_init(&cfg), 0);
    assert_int_equal(pb_run_config_set(&cfg, "db", db, &err), 0);
    assert_int_equal(pb_run_config_set(&cfg, "quiet", NULL, &err), 0);
    if (target != NULL)
        assert_int_equal(pb_run_config_set(&cfg, "target", target, &err), 0);
    for (int i = 0; opts[i] != NULL; i += 2)
        if (pb_run_config_set(&cfg, opts[i], opts[i + 1], &err) != 0)
            fail_msg("option --%s %s: %s", opts[i], opts[i + 1], err.msg);
    pb_recorder *rec;
    if (pb_recorder_open(db, 0, &rec, &err) != 0)
        fail_msg("recorder: %s", err.msg);
    pb_stop_requested = 0;
    if (pb_run_execute(&cfg, rec, s, &err) != 0)
        fail_msg("run: %s", err.msg);
    assert_int_equal(pb_recorder_close(rec, &err), 0);
    pb_run_config_cleanup(&cfg);
}

static int64_t q(const char *db, const char *sql, int64_t run_id)
{
    sqlite3 *h;
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) != SQLITE_OK)
        fail_msg("%s: %s", sql, sqlite3_errmsg(h));
    if (sqlite3_bind_parameter_count(st) > 0)
        sqlite3_bind_int64(st, 1, run_id);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(h);
    return v;
}

static int64_t rows_with(const char *db, int64_t run_id, const char *outcome)
{
    char sql[160];
    snprintf(sql, sizeof(sql),
             "select count(*) from requests_v where run_id = ? and outcome = '%s'", outcome);
    return q(db, sql, run_id);
}

static const char *run_status(const char *db, int64_t run_id, char *buf, size_t len)
{
    sqlite3 *h;
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(h, "select status from runs where id = ?", -1, &st, NULL),
                     SQLITE_OK);
    sqlite3_bind_int64(st, 1, run_id);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    snprintf(buf, len, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    sqlite3_close(h);
    return buf;
}

/* The database, the summary and the server agree on every request. */
static void assert_agree(const char *db, const pb_run_summary *s, const pb_mock_stats *m)
{
    int64_t id = s->run_id;
    char status[32];
    assert_true(id > 0);
    assert_string_equal(run_status(db, id, status, sizeof(status)), s->status);
    /* the run records the libraries that did the work and the machine */
    assert_int_equal(q(db,
                       "select instr(versions_json, '\"patternbench\"') > 0"
                       " and instr(versions_json, '\"libcurl\"') > 0"
                       " and instr(versions_json, '\"libmicrohttpd\"') > 0"
                       " and instr(versions_json, '\"libuv\"') > 0"
                       " and instr(versions_json, '\"sqlite\":\"' || sqlite_version()) > 0"
                       " and length(host) > 0 from runs where id = ?",
                       id),
                     1);
    assert_int_equal(q(db, "select count(*) from requests where run_id = ?", id), s->requests);
    assert_int_equal(s->network + s->outcomes[PB_OUTCOME_REJECTED_BY_BREAKER] +
                         s->outcomes[PB_OUTCOME_DROPPED_BY_BACKPRESSURE],
                     s->requests);
    /* what the server received: every attempt that reached the network, plus
     * those libcurl re-sent on a fresh connection after a reset */
    assert_int_equal(m->requests, s->network + s->resent);
    /* the server recognised the same re-sends by their X-PB-Seq and X-PB-Attempt */
    assert_int_equal(m->resent_resets + m->resent_hangs, s->resent);
    assert_int_equal(rows_with(db, id, "ok"), m->ok);
    assert_int_equal(rows_with(db, id, "http_error"),
                     m->errors + m->rejected_capacity + m->rate_limited);
    assert_int_equal(rows_with(db, id, "reset"), m->resets - s->resent);
    for (int o = 0; o < PB_OUTCOME_COUNT; o++)
        assert_int_equal(rows_with(db, id, pb_outcome_name((pb_outcome)o)), s->outcomes[o]);
    /* the per-second rollup covers the same rows */
    assert_int_equal(q(db, "select coalesce(sum(count), 0) from seconds where run_id = ?", id),
                     s->requests);
}

static void every_request_is_recorded_under_errors_and_resets(void **state)
{
    static const char *const patterns[] = {"queue", "semaphore", "backpressure", "breaker",
                                           "adaptive"};
    scratch_db *c = *state;
    for (size_t i = 0; i < sizeof(patterns) / sizeof(patterns[0]); i++) {
        const char *mock_opts[] = {"errors",     "503:0.1", "faults",
                                   "reset:0.02", "latency", "uniform:200us,2ms",
                                   "seed",       "11",      NULL};
        pb_mock *m = test_mock_start(mock_opts);
        /* every other pattern spreads its requests over three client threads */
        const char *threads = i % 2 == 0 ? "1" : "3";
        const char *opts[] = {"pattern", patterns[i], "duration",       "2s",    "concurrency", "8",
                              "seed",    "11",        "client-threads", threads, NULL};
        pb_run_summary s;
        run(c->db, pb_mock_url(m), opts, &s);
        pb_mock_stats ms;
        pb_mock_get_stats(m, &ms);
        pb_mock_stop(m);
        print_message(
            "%-12s %6" PRIu64 " rows, %" PRIu64 " resets, %" PRIu64 " re-sent, %u client threads\n",
            patterns[i], s.requests, s.outcomes[PB_OUTCOME_RESET], s.resent, s.client_threads);
        assert_int_equal(s.client_threads, i % 2 == 0 ? 1 : 3);
        assert_string_equal(s.status, "completed");
        assert_true(s.duration_s >= 2.0 && s.duration_s < 4.0);
        assert_true(s.requests > 200);
        assert_true(s.outcomes[PB_OUTCOME_HTTP_ERROR] > 0);
        assert_true(ms.resets > 0);
        assert_agree(c->db, &s, &ms);
    }
}

static void a_request_count_makes_exactly_that_many_rows(void **state)
{
    static const char *const patterns[] = {"queue", "semaphore", "backpressure", "breaker",
                                           "adaptive"};
    scratch_db *c = *state;
    for (size_t i = 0; i < sizeof(patterns) / sizeof(patterns[0]); i++) {
        const char *mock_opts[] = {"errors", "503:0.1", NULL};
        pb_mock *m = test_mock_start(mock_opts);
        const char *opts[] = {"pattern", patterns[i], "requests", "250", "concurrency", "8",
                              /* batches for the semaphore, which alone reads them */
                              strcmp(patterns[i], "semaphore") == 0 ? "batch" : "retry-attempts",
                              strcmp(patterns[i], "semaphore") == 0 ? "50" : "1", "client-threads",
                              i % 2 == 0 ? "2" : "1", NULL};
        pb_run_summary s;
        run(c->db, pb_mock_url(m), opts, &s);
        pb_mock_stats ms;
        pb_mock_get_stats(m, &ms);
        pb_mock_stop(m);
        assert_string_equal(s.status, "completed");
        assert_int_equal(s.requests, 250);
        assert_int_equal(q(c->db, "select count(*) from requests where run_id = ?", s.run_id), 250);
        assert_agree(c->db, &s, &ms);
    }
}

/* What a monitor saw of a run. */
struct seen {
    int seconds, finals;
    uint64_t last_rows, last_written, final_rows, final_written, final_count;
    int64_t run_id;
    int phase;
    bool monotonic;
};

static void monitor_second(void *data, const pb_run_view *v)
{
    struct seen *w = data;
    uint64_t count = pb_hist_count(v->tally->service);
    if (v->rows < w->last_rows || v->recorder.rows_written < w->last_written)
        w->monotonic = false;
    w->last_rows = v->rows;
    w->last_written = v->recorder.rows_written;
    w->run_id = v->run_id;
    w->phase = v->phase;
    if (!v->final) {
        w->seconds++;
        return;
    }
    w->finals++;
    w->final_rows = v->rows;
    w->final_written = v->recorder.rows_written;
    w->final_count = count;
}

/* A monitor hears every second even with --quiet, then once more after the
 * run with every figure final: rows counted = rows written. */
static void a_monitor_sees_every_second_and_the_final_figures(void **state)
{
    scratch_db *c = *state;
    pb_run_config cfg;
    pb_err err = {0};
    assert_int_equal(pb_run_config_init(&cfg), 0);
    assert_int_equal(pb_run_config_set(&cfg, "db", c->db, &err), 0);
    assert_int_equal(pb_run_config_set(&cfg, "quiet", NULL, &err), 0);
    assert_int_equal(pb_run_config_set(&cfg, "duration", "2500ms", &err), 0);
    assert_int_equal(pb_run_config_set(&cfg, "errors", "503:0.1", &err), 0);
    struct seen w = {.monotonic = true};
    pb_run_observer mon = {.second = monitor_second, .data = &w};
    cfg.monitor = &mon;
    pb_recorder *rec;
    assert_int_equal(pb_recorder_open(c->db, 0, &rec, &err), 0);
    pb_stop_requested = 0;
    pb_run_summary s;
    assert_int_equal(pb_run_execute(&cfg, rec, &s, &err), 0);
    assert_int_equal(pb_recorder_close(rec, &err), 0);
    pb_run_config_cleanup(&cfg);
    assert_int_equal(w.seconds, 2);
    assert_int_equal(w.finals, 1);
    assert_true(w.monotonic);
    assert_int_equal(w.run_id, s.run_id);
    assert_int_equal(w.phase, 0);
    assert_true(s.requests > 0);
    assert_int_equal(w.final_rows, s.requests);
    assert_int_equal(w.final_written, s.requests);
    assert_int_equal(w.final_count, s.network);
}

static void the_breaker_records_rejections_and_transitions(void **state)
{
    scratch_db *c = *state;
    const char *mock_opts[] = {"errors", "503:0.6", NULL};
    pb_mock *m = test_mock_start(mock_opts);
    const char *opts[] = {
        "pattern",           "breaker", "duration",         "2s",    "concurrency", "4",
        "failure-threshold", "3",       "recovery-timeout", "200ms", NULL};
    pb_run_summary s;
    run(c->db, pb_mock_url(m), opts, &s);
    pb_mock_stats ms;
    pb_mock_get_stats(m, &ms);
    pb_mock_stop(m);
    int64_t id = s.run_id;
    assert_true(s.outcomes[PB_OUTCOME_REJECTED_BY_BREAKER] > 0);
    assert_int_equal(rows_with(c->db, id, "rejected_by_breaker"),
                     s.outcomes[PB_OUTCOME_REJECTED_BY_BREAKER]);
    /* open, then half-open after each recovery timeout, several times in 2 s */
    assert_true(s.breaker_transitions >= 3);
    assert_int_equal(
        q(c->db, "select count(*) from events where run_id = ? and kind = 'breaker'", id),
        s.breaker_transitions);
    assert_true(
        q(c->db, "select count(*) from events where run_id = ? and kind = 'breaker' and to_val = 2",
          id) >= 1);
    /* rows rejected while open carry the open state */
    assert_int_equal(q(c->db,
                       "select count(*) from requests_v where run_id = ? and outcome = "
                       "'rejected_by_breaker' and breaker = 'closed'",
                       id),
                     0);
    assert_agree(c->db, &s, &ms);
}

static void the_adaptive_limit_records_its_changes(void **state)
{
    scratch_db *c = *state;
    const char *mock_opts[] = {"errors", "503:0.2", "latency", "uniform:1ms,5ms", NULL};
    pb_mock *m = test_mock_start(mock_opts);
    /* on three client threads: the slots in use wander as the limit moves */
    const char *opts[] = {"pattern", "adaptive",       "duration", "2s", "concurrency",
                          "20",      "client-threads", "3",        NULL};
    pb_run_summary s;
    run(c->db, pb_mock_url(m), opts, &s);
    pb_mock_stats ms;
    pb_mock_get_stats(m, &ms);
    pb_mock_stop(m);
    int64_t id = s.run_id;
    /* the lanes stay balanced, so the connections opened follow the peak in
     * flight (each lane may be one request above its share), as on one thread */
    print_message("adaptive: peak %u in flight, %" PRIu64 " connections\n", s.peak_in_flight,
                  s.connections);
    assert_true(s.connections <= s.peak_in_flight + 3);
    assert_true(s.pattern.limit_changes > 0);
    assert_int_equal(
        q(c->db, "select count(*) from events where run_id = ? and kind = 'limit'", id),
        s.pattern.limit_changes);
    /* the limit recorded with the rows moves too */
    assert_true(q(c->db, "select count(distinct lim) from requests where run_id = ?", id) > 1);
    assert_agree(c->db, &s, &ms);
}

static void an_open_loop_rate_is_kept_and_waits_count_as_latency(void **state)
{
    scratch_db *c = *state;
    const char *mock_opts[] = {"latency", "fixed:20ms", NULL};
    pb_mock *m = test_mock_start(mock_opts);
    /* 200/s with 2 workers and 20 ms service: 100/s at most, so a queue builds */
    const char *opts[] = {"pattern", "queue", "duration", "2s", "concurrency",
                          "2",       "rate",  "200",      NULL};
    pb_run_summary s;
    run(c->db, pb_mock_url(m), opts, &s);
    pb_mock_stop(m);
    /* at most 100/s (fewer when the machine is loaded), never the 400 offered */
    assert_true(s.network >= 100 && s.network <= 230);
    assert_true(s.p50 >= 20000 && s.p50 < 40000);
    /* corrected latency counts the wait behind the schedule: far above service time */
    assert_true(s.cp99 > 4 * s.p99);
    assert_true(q(c->db, "select max(wait_us) from requests where run_id = ?", s.run_id) > 200000);
}

/* Every second of a real run carries the harness's own figures: CPU within
 * 0..100 per CPU the process may use, a resident size, a lag, a backlog;
 * the summary holds the generator-bound verdict and what decided it. */
static void every_second_records_the_harness_itself(void **state)
{
    scratch_db *c = *state;
    const char *opts[] = {"pattern", "queue", "duration", "2500ms", "concurrency", "4", NULL};
    pb_run_summary s;
    run(c->db, NULL, opts, &s);
    int64_t secs = q(c->db, "SELECT count(*) FROM seconds WHERE run_id = ?", s.run_id);
    assert_int_equal(secs, 3);
    assert_int_equal(q(c->db,
                       "SELECT count(*) FROM seconds WHERE run_id = ? AND cpu_pct IS NOT NULL AND "
                       "rss_bytes > 0 AND loop_lag_us >= 0 AND backlog >= 0",
                       s.run_id),
                     secs);
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    /* whole percent; getrusage counts in clock ticks, so allow one tick over a second */
    assert_true(q(c->db, "SELECT min(cpu_pct) * 100 FROM seconds WHERE run_id = ?", s.run_id) >= 0);
    int64_t cpu_max = q(c->db, "SELECT max(cpu_pct) FROM seconds WHERE run_id = ?", s.run_id);
    if (cpu_max > 100 * cpus + 5)
        fail_msg("cpu_pct %" PRId64 " above 100 x %ld CPUs", cpu_max, cpus);
    assert_true(s.has_harness);
    assert_int_equal(s.harness.seconds, 3);
    assert_true(s.harness.rss_max_bytes > 1000000);
    assert_true(s.harness.cpus >= 1.0 && s.harness.cpus <= (double)cpus);
    assert_int_equal(s.p99_drift.verdict, PB_DRIFT_UNKNOWN); /* under 10 minutes */
    char *json = pb_run_summary_to_json(&s);
    assert_non_null(strstr(json, "\"generator_bound\":"));
    assert_non_null(strstr(json, "\"seconds_saturated\":"));
    assert_null(strstr(json, "\"p99_drift\""));
    free(json);
}

static void the_built_in_mock_runs_phases_in_step_with_the_run(void **state)
{
    scratch_db *c = *state;
    pb_run_config cfg;
    pb_err err = {0};
    assert_int_equal(pb_run_config_init(&cfg), 0);
    const char *profile = "{\"latency\": \"fixed:1ms\", \"phases\": [{\"at\": \"600ms\", "
                          "\"name\": \"outage\", \"errors\": \"503:1\"}]}";
    if (pb_mock_config_load_json(cfg.mock, profile, "test profile", &err) != 0)
        fail_msg("profile: %s", err.msg);
    const char *opts[] = {"db",       c->db,    "quiet",       "true", "pattern", "queue",
                          "duration", "1200ms", "concurrency", "4",    NULL};
    for (int i = 0; opts[i] != NULL; i += 2)
        assert_int_equal(pb_run_config_set(&cfg, opts[i], opts[i + 1], &err), 0);
    pb_recorder *rec;
    assert_int_equal(pb_recorder_open(c->db, 0, &rec, &err), 0);
    pb_run_summary s;
    pb_stop_requested = 0;
    if (pb_run_execute(&cfg, rec, &s, &err) != 0)
        fail_msg("run: %s", err.msg);
    assert_int_equal(pb_recorder_close(rec, &err), 0);
    pb_run_config_cleanup(&cfg);
    assert_true(s.has_server);
    assert_int_equal(s.server.requests, s.network + s.resent);
    assert_int_equal(s.server.ok, s.outcomes[PB_OUTCOME_OK]);
    assert_true(s.phase_sent[0] > 0 && s.phase_sent[1] > 0);
    assert_int_equal(s.phase_sent[0] + s.phase_sent[1], s.network);
    /* the switch happened 600 ms into the run, as the events and the rows show */
    int64_t at =
        q(c->db, "select t_us from events where run_id = ? and kind = 'phase' and to_val = 1",
          s.run_id);
    assert_true(at >= 590000 && at <= 1100000);
    int64_t first_503 =
        q(c->db, "select min(t_us + wait_us) from requests_v where run_id = ? and status = 503",
          s.run_id);
    /* nothing failed before the phase began; the upper bound allows a loaded machine */
    assert_true(first_503 >= 590000 && first_503 <= 1100000);
}

static void on_signal(int sig)
{
    (void)sig;
}

static void the_callers_signal_handlers_are_back_after_a_run(void **state)
{
    scratch_db *c = *state;
    struct sigaction mine = {.sa_handler = on_signal}, before, after;
    assert_int_equal(sigaction(SIGINT, &mine, &before), 0);
    assert_int_equal(sigaction(SIGTERM, &mine, NULL), 0);
    pb_mock *m = test_mock_start(NULL);
    const char *opts[] = {"requests", "20", NULL};
    pb_run_summary s;
    run(c->db, pb_mock_url(m), opts, &s);
    pb_mock_stop(m);
    assert_int_equal(s.requests, 20);
    assert_int_equal(sigaction(SIGINT, &before, &after), 0);
    assert_ptr_equal(after.sa_handler, on_signal);
    assert_int_equal(sigaction(SIGTERM, &before, &after), 0);
    assert_ptr_equal(after.sa_handler, on_signal);
}

static void a_bad_configuration_is_refused_before_anything_runs(void **state)
{
    pb_run_config cfg;
    pb_err err = {0};
    pb_run_summary s;
    assert_int_equal(pb_run_config_init(&cfg), 0);
    assert_int_equal(pb_run_config_set(&cfg, "target", "http://127.0.0.1:9/", &err), 0);
    assert_int_equal(pb_run_config_set(&cfg, "errors", "503:0.1", &err), 0);
    assert_int_not_equal(pb_run_execute(&cfg, NULL, &s, &err), 0);
    assert_non_null(strstr(err.msg, "--errors"));
    assert_non_null(strstr(err.msg, "--target"));
    pb_run_config_cleanup(&cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(every_request_is_recorded_under_errors_and_resets,
                                        scratch_db_setup, scratch_db_teardown),
        cmocka_unit_test_setup_teardown(a_request_count_makes_exactly_that_many_rows,
                                        scratch_db_setup, scratch_db_teardown),
        cmocka_unit_test_setup_teardown(a_monitor_sees_every_second_and_the_final_figures,
                                        scratch_db_setup, scratch_db_teardown),
        cmocka_unit_test_setup_teardown(the_breaker_records_rejections_and_transitions,
                                        scratch_db_setup, scratch_db_teardown),
        cmocka_unit_test_setup_teardown(the_adaptive_limit_records_its_changes, scratch_db_setup,
                                        scratch_db_teardown),
        cmocka_unit_test_setup_teardown(an_open_loop_rate_is_kept_and_waits_count_as_latency,
                                        scratch_db_setup, scratch_db_teardown),
        cmocka_unit_test_setup_teardown(every_second_records_the_harness_itself, scratch_db_setup,
                                        scratch_db_teardown),
        cmocka_unit_test_setup_teardown(the_built_in_mock_runs_phases_in_step_with_the_run,
                                        scratch_db_setup, scratch_db_teardown),
        cmocka_unit_test_setup_teardown(the_callers_signal_handlers_are_back_after_a_run,
                                        scratch_db_setup, scratch_db_teardown),
        cmocka_unit_test(a_bad_configuration_is_refused_before_anything_runs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
