/* The run engine: drives a pattern's admissions on a libuv loop, sends the
 * requests it admits through the HTTP client, and hands every attempt, event
 * and second to the recorder. Each run has its own loop and state, so a
 * process can run one after another (compare does). */
#include <assert.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uv.h>

#include "engine.h"
#include "disk_guard.h"
#include "reader.h"
#include "http_lanes.h"
#include "secrets.h"
#include "registry.h"
#include "run_host.h"
#include "run_summary.h"
#include "segment.h"
#include "selfmon.h"
#include "threshold.h"
#include "trailing.h"
#include "units.h"

volatile sig_atomic_t pb_stop_requested = 0;

static void stop_between_runs(int signum)
{
    (void)signum;
    pb_stop_requested = pb_stop_requested ? 2 : 1;
}

void pb_stop_signals_install(pb_stop_signals *s)
{
    struct sigaction sa = {.sa_handler = stop_between_runs};
    sigemptyset(&sa.sa_mask);
    s->installed = sigaction(SIGINT, &sa, &s->old_int) == 0;
    s->installed = sigaction(SIGTERM, &sa, &s->old_term) == 0 && s->installed;
}

void pb_stop_signals_restore(pb_stop_signals *s)
{
    if (!s->installed)
        return;
    sigaction(SIGINT, &s->old_int, NULL);
    sigaction(SIGTERM, &s->old_term, NULL);
    s->installed = false;
}

/* Admissions handled in one go before the loop gets a turn (I/O, timers, signals). */
#define PUMP_BUDGET 256
/* How often the pattern's tick runs and pb_stop_requested is looked at. */
#define TICK_MS 100
/* Phase changes buffered between the mock's thread and the loop. */
#define PHASE_QUEUE 16
/* In-flight records allocated at a time when the pool runs dry. */
#define INFLIGHT_CHUNK 256

enum engine_state { RUNNING, DRAINING, FINISHED };

/* What the engine remembers of a request between its start and its end. */
struct inflight {
    uint64_t ticket, task;
    uint32_t slot, attempt;
    uint32_t target; /* index of the --targets entry it sends (0 without) */
    pb_usec intended;
    uint32_t lim, queue;
    uint8_t breaker;
    struct inflight *next_free;
};

struct inflight_chunk {
    struct inflight_chunk *next;
    struct inflight items[INFLIGHT_CHUNK];
};

struct phase_msg {
    int index;
    pb_usec at;
    char name[64];
};

struct engine {
    const pb_run_config *cfg;
    pb_recorder *rec;
    int64_t run_id;
    pb_recorder_stats rec_stats0;
    bool disk_refused;        /* the projection did not fit */
    bool disk_low_told;       /* the user has been told that request rows stopped */
    uint64_t projected_bytes; /* what the database will have grown to, at the current rate */

    uv_loop_t loop;
    bool loop_ready;
    uv_timer_t wake, ticker, second, end, rate, drain_guard, start, lag_probe;
    uv_signal_t sigint, sigterm;
    struct sigaction old_sigint, old_sigterm; /* restored after the run */
    bool signals_saved;
    uv_async_t phase_async;
    int n_handles; /* handles initialised, closed at teardown */
    uv_handle_t *handles[12];
    uv_mutex_t phase_mu;
    bool phase_mu_ready;
    struct phase_msg phase_q[PHASE_QUEUE];
    int phase_n;

    pb_pattern pat;
    bool pat_ready;
    pb_mock *mock;
    pb_lanes *http;
    const char *url;
    char *shown_url; /* url as the summary and the database show it: no password (malloc'd) */

    enum engine_state state;
    bool pattern_done, interrupted;
    int signals, signal;
    int fatal;
    pb_err fatal_err;
    pb_usec t0, t_end;
    int64_t t0_wall; /* wall clock at t0, us since the epoch */
    uint64_t tasks;  /* tasks this process runs (its segment's share of --requests) */
    uint64_t seconds_marked;
    pb_usec last_tick, lag_max; /* the ticker's previous run, its worst lateness this second */
    pb_selfmon mon;             /* the harness's CPU, memory and loop lag, second by second */
    int phase; /* the mock's current phase as last seen by the loop, -1 without a mock */
    int next_rate_step;
    uint64_t ramp_slice; /* --stages: the next slice whose rate the rate timer sets */
    double ramp_start;   /* --stages: the value the ramp starts from (pb_run_ramp_start) */

    pb_tally tally;
    bool tally_ready;
    pb_phase_tally phases; /* zeroed (n = 0) without the built-in mock */
    pb_target_tally by_target; /* zeroed (n = 0) without --targets */
    pb_target *targets;        /* --targets' entries, with --header's lines added (n_targets) */
    uint32_t n_targets;
    /* live thresholds (":abort", --abort-on-fail), judged each second on the window */
    pb_threshold live[32];
    int live_index[32]; /* each one's place in cfg->thresholds */
    int n_live;
    pb_trailing *window;
    bool aborted;
    uint64_t resent, abandoned, breaker_transitions;
    uint32_t peak_in_flight;
    uint64_t phase_sent[PB_MAX_PHASES];
    char errors[PB_OUTCOME_COUNT][128];

    struct inflight *free_inflight;
    struct inflight_chunk *chunks;
};

static void pump(struct engine *e);
static void finish(struct engine *e);
static void begin_drain(struct engine *e);

/* Run time at t: from the run's start, which a resumed run's process follows
 * by cfg->resume.run_at. */
static uint64_t rel(const struct engine *e, pb_usec t)
{
    return e->cfg->resume.run_at + (t > e->t0 ? t - e->t0 : 0);
}

/* The monotonic time at which schedule time `at` comes in this process (a
 * resumed one starts at cfg->resume.schedule_at; at is not earlier). */
static pb_usec schedule_time(const struct engine *e, pb_usec at)
{
    return e->t0 + (at - e->cfg->resume.schedule_at);
}

/* Schedule time at t: where the run's schedule (its ramp, rate steps and
 * phases) is, which a resumed run takes up at cfg->resume.schedule_at. */
static pb_usec schedule_at_time(const struct engine *e, pb_usec t)
{
    return e->cfg->resume.schedule_at + (t > e->t0 ? t - e->t0 : 0);
}

/* Timers: libuv refuses only a handle that is closing, which would be a bug here. */
static void arm(uv_timer_t *t, uv_timer_cb cb, uint64_t ms)
{
    int rc = uv_timer_start(t, cb, ms, 0);
    assert(rc == 0);
    (void)rc;
}

static void disarm(uv_timer_t *t)
{
    int rc = uv_timer_stop(t);
    assert(rc == 0);
    (void)rc;
}

static void note(struct engine *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(struct engine *e, const char *fmt, ...)
{
    const pb_run_observer *obs = e->cfg->observer;
    if (e->cfg->quiet || obs == NULL || obs->note == NULL)
        return;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    obs->note(obs->data, msg);
}

static void event(struct engine *e, pb_usec at, pb_event_kind kind, int64_t from, int64_t to,
                  double value, const char *detail)
{
    const char *name = pb_event_kind_name(kind);
    assert(name != NULL); /* patterns emit only kinds of PB_EVENT_KIND_MAP */
    if (e->rec != NULL)
        pb_recorder_event(e->rec, e->run_id, rel(e, at), name, from, to, value, detail);
}

/* Stop the run because the engine itself failed; the run is marked failed. */
static void fail(struct engine *e, int rc, const pb_err *err)
{
    if (e->fatal == 0) {
        e->fatal = rc;
        e->fatal_err = *err;
    }
    e->abandoned += pb_lanes_abort_all(e->http);
    finish(e);
}

static struct inflight *inflight_get(struct engine *e)
{
    if (e->free_inflight == NULL) {
        /* a new peak of requests in flight: grow the pool (never shrinks) */
        struct inflight_chunk *c = calloc(1, sizeof(*c));
        if (c == NULL)
            return NULL;
        c->next = e->chunks;
        e->chunks = c;
        for (int i = 0; i < INFLIGHT_CHUNK; i++) {
            c->items[i].next_free = e->free_inflight;
            e->free_inflight = &c->items[i];
        }
    }
    struct inflight *f = e->free_inflight;
    e->free_inflight = f->next_free;
    return f;
}

static void inflight_put(struct engine *e, struct inflight *f)
{
    f->next_free = e->free_inflight;
    e->free_inflight = f;
}

/* --targets' entries as sent: each with --header's lines added after its own. */
static int targets_init(struct engine *e, pb_err *err)
{
    const pb_run_config *cfg = e->cfg;
    if (cfg->targets.n == 0)
        return 0;
    if ((e->targets = calloc(cfg->targets.n, sizeof(*e->targets))) == NULL)
        return pb_err_set(err, PB_ENOMEM, "out of memory copying the targets");
    for (uint32_t i = 0; i < cfg->targets.n; i++) {
        int rc = pb_target_copy(&e->targets[i], &cfg->targets.items[i], err);
        if (rc != 0)
            return rc;
        e->n_targets++;
        for (const struct curl_slist *h = cfg->request.headers; h != NULL; h = h->next)
            if ((rc = pb_target_add_header(&e->targets[i], h->data, err)) != 0) {
                pb_err_prefix(err, "--targets %s, target %u", cfg->targets_path, i);
                return rc;
            }
    }
    return pb_target_tally_init(&e->by_target, e->n_targets, err);
}

/* The mock's phases as configured: a task belongs to the phase it was due in. */
static int phases_init(struct engine *e, const pb_mock_config *mc, pb_err *err)
{
    pb_usec start[PB_MAX_PHASES];
    const char *name[PB_MAX_PHASES];
    int n = mc != NULL ? pb_mock_config_phase_count(mc) : 0;
    n = n > PB_MAX_PHASES ? PB_MAX_PHASES : n;
    for (int i = 0; i < n; i++)
        pb_mock_config_phase_info(mc, i, &start[i], &name[i]);
    return pb_phase_tally_init(&e->phases, n, start, name, err);
}

static void record_row(struct engine *e, pb_request_row *row)
{
    row->run_id = e->run_id;
    pb_tally_add(&e->tally, row);
    /* phases are placed on the schedule, which a resumed run's gap is not part of */
    pb_request_row on_schedule = *row;
    on_schedule.t_us -= e->cfg->resume.run_at - e->cfg->resume.schedule_at;
    pb_phase_tally_add(&e->phases, &on_schedule);
    pb_target_tally_add(&e->by_target, row->target, row);
    if (e->rec != NULL)
        pb_recorder_request(e->rec, row);
}

static void keep_error(struct engine *e, pb_outcome o, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void keep_error(struct engine *e, pb_outcome o, const char *fmt, ...)
{
    if (o >= PB_OUTCOME_COUNT || e->errors[o][0] != '\0')
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->errors[o], sizeof(e->errors[o]), fmt, ap);
    va_end(ap);
}

static int phase_index(const struct engine *e)
{
    if (e->phase < 0)
        return 0;
    return e->phase < PB_MAX_PHASES ? e->phase : PB_MAX_PHASES - 1;
}

static int start_request(struct engine *e, const pb_admission *a)
{
    pb_err err = {0};
    struct inflight *f = inflight_get(e);
    if (f == NULL) {
        pb_err_set(&err, PB_ENOMEM, "out of memory tracking requests in flight");
        fail(e, PB_ENOMEM, &err);
        return PB_ENOMEM;
    }
    pb_pattern_state st;
    e->pat.ops->state(e->pat.state, &st);
    f->ticket = a->ticket;
    /* a segment's local task j is the whole run's task j*N + I; a resumed
     * run's go on after the last one recorded */
    f->task = e->cfg->resume.first_task + pb_segment_task(e->cfg->segment, a->task);
    f->slot = a->slot;
    f->attempt = a->attempt;
    f->intended = a->intended_start;
    f->lim = st.limit;
    f->queue = st.queue_depth;
    f->breaker = (uint8_t)st.breaker;
    /* the task number and attempt go out as X-PB-Seq and X-PB-Attempt: the
     * mock draws each request's fault from them, so the same seed gives every
     * pattern the same faults, and a retry draws afresh */
    f->target = pb_run_target_of(e->cfg, f->task);
    int rc = pb_lanes_start(e->http, f->task, f->attempt, f->target, f, &err);
    if (rc != 0) {
        inflight_put(e, f);
        fail(e, rc, &err);
        return rc;
    }
    e->phase_sent[phase_index(e)]++;
    uint32_t n = pb_lanes_in_flight(e->http);
    if (n > e->peak_in_flight)
        e->peak_in_flight = n;
    return 0;
}

static void record_reject(struct engine *e, const pb_admission *a, pb_usec now)
{
    pb_pattern_state st;
    e->pat.ops->state(e->pat.state, &st);
    pb_request_row row = {
        .t_us = rel(e, a->intended_start),
        .wait_us = now > a->intended_start ? now - a->intended_start : 0,
        .outcome = (uint8_t)a->reject_outcome,
        .breaker = (uint8_t)st.breaker,
        .attempt = (uint16_t)(a->attempt > UINT16_MAX ? UINT16_MAX : a->attempt),
        .slot = a->slot,
        .lim = st.limit,
        .queue = st.queue_depth,
    };
    row.has_target = e->n_targets > 0;
    row.has_seq = true;
    row.seq = e->cfg->resume.first_task + pb_segment_task(e->cfg->segment, a->task);
    row.target = pb_run_target_of(e->cfg, row.seq);
    record_row(e, &row);
}

static void maybe_finish(struct engine *e)
{
    if (e->state == FINISHED || pb_lanes_in_flight(e->http) > 0)
        return;
    if (e->state == DRAINING || e->pattern_done)
        finish(e);
}

static void wake_cb(uv_timer_t *t)
{
    struct engine *e = t->data;
    e->pat.ops->tick(e->pat.state, pb_monotime_now());
    pump(e);
}

static void arm_wake(struct engine *e, pb_usec wake_at, pb_usec now)
{
    if (wake_at == PB_USEC_NEVER) {
        /* the next completion (or the periodic tick) calls admit again */
        disarm(&e->wake);
        return;
    }
    /* uv timers count whole milliseconds: round up so we never wake early
     * and spin; an open-loop arrival is late by < 1 ms, which the intended
     * start in its row accounts for */
    uint64_t ms = wake_at > now ? (wake_at - now + PB_USEC_PER_MS - 1) / PB_USEC_PER_MS : 0;
    arm(&e->wake, wake_cb, ms);
}

static void pump(struct engine *e)
{
    if (e->state != RUNNING || e->pattern_done)
        return;
    pb_usec now = pb_monotime_now();
    for (int i = 0; i < PUMP_BUDGET; i++) {
        pb_admission a;
        e->pat.ops->admit(e->pat.state, now, &a);
        switch (a.kind) {
        case PB_ADMIT_START:
            if (start_request(e, &a) != 0)
                return;
            break;
        case PB_ADMIT_REJECT:
            record_reject(e, &a, now);
            break;
        case PB_ADMIT_WAIT:
            arm_wake(e, a.wake_at, now);
            return;
        case PB_ADMIT_DONE:
            e->pattern_done = true;
            disarm(&e->wake);
            maybe_finish(e);
            return;
        }
    }
    /* a long run of decisions (an open-loop backlog, a burst of rejections):
     * give I/O, timers and signals a turn before carrying on */
    arm(&e->wake, wake_cb, 0);
}

static void done_cb(void *data, const pb_http_result *res)
{
    struct engine *e = data;
    struct inflight *f = res->user;
    pb_usec now = pb_monotime_now();
    pb_request_row row = {
        .t_us = rel(e, f->intended),
        .wait_us = res->started > f->intended ? res->started - f->intended : 0,
        .connect_us = res->connect_us,
        .ttfb_us = res->ttfb_us,
        .total_us = res->total_us,
        .status = res->status,
        .outcome = (uint8_t)res->outcome,
        .breaker = f->breaker,
        .attempt = (uint16_t)(f->attempt > UINT16_MAX ? UINT16_MAX : f->attempt),
        .bytes = res->bytes > UINT32_MAX ? UINT32_MAX : (uint32_t)res->bytes,
        .slot = f->slot,
        .lim = f->lim,
        .queue = f->queue,
    };
    row.has_target = e->n_targets > 0;
    row.target = f->target;
    row.has_seq = true;
    row.seq = f->task;
    record_row(e, &row);
    if (res->outcome == PB_OUTCOME_HTTP_ERROR)
        keep_error(e, res->outcome, "HTTP status %u", res->status);
    else if (res->outcome != PB_OUTCOME_OK)
        keep_error(e, res->outcome, "%s", res->error);
    if (res->resent > 0) {
        e->resent += res->resent;
        /* one per request that had it, so no text: docs/schema.md explains the kind */
        event(e, now, PB_EVENT_RESEND, (int64_t)f->task, res->resent, 0, NULL);
    }
    pb_result result = {
        .ticket = f->ticket,
        .outcome = res->outcome,
        .http_status = res->status,
        .latency = res->total_us,
        .retry_after = res->retry_after,
    };
    inflight_put(e, f);
    if (e->state == FINISHED)
        return;
    e->pat.ops->complete(e->pat.state, now, &result);
    pump(e);
    maybe_finish(e);
}

static void pattern_event_cb(void *data, const pb_event *ev)
{
    struct engine *e = data;
    if (ev->kind == PB_EVENT_BREAKER_STATE)
        e->breaker_transitions++;
    int64_t from = ev->from;
    if (ev->kind == PB_EVENT_DROP) /* from = the dropped task's number */
        from =
            (int64_t)(e->cfg->resume.first_task + pb_segment_task(e->cfg->segment, (uint64_t)from));
    event(e, ev->at, ev->kind, from, ev->to, ev->value, ev->detail);
}

/* Runs on a mock server thread: queue the change for the loop. */
static void mock_phase_cb(void *data, int index, const char *name, pb_usec at)
{
    struct engine *e = data;
    uv_mutex_lock(&e->phase_mu);
    if (e->phase_n == PHASE_QUEUE) {
        /* the loop is behind by many phases: keep the latest ones */
        memmove(&e->phase_q[0], &e->phase_q[1], sizeof(e->phase_q[0]) * (PHASE_QUEUE - 1));
        e->phase_n--;
    }
    struct phase_msg *m = &e->phase_q[e->phase_n++];
    m->index = index;
    m->at = at;
    snprintf(m->name, sizeof(m->name), "%s", name != NULL ? name : "");
    uv_mutex_unlock(&e->phase_mu);
    int rc = uv_async_send(&e->phase_async);
    assert(rc == 0); /* the mock stops before the handle closes */
    (void)rc;
}

static void phase_async_cb(uv_async_t *a)
{
    struct engine *e = a->data;
    struct phase_msg q[PHASE_QUEUE];
    uv_mutex_lock(&e->phase_mu);
    int n = e->phase_n;
    memcpy(q, e->phase_q, sizeof(q[0]) * (size_t)n);
    e->phase_n = 0;
    uv_mutex_unlock(&e->phase_mu);
    const pb_run_resume *r = &e->cfg->resume;
    for (int i = 0; i < n; i++) {
        e->phase = q[i].index;
        /* the phase clock was restarted at t0 reading schedule_at, so `at` is
         * schedule time; a resumed run recorded the phases before it already */
        if (e->rec != NULL && (r->run_id == 0 || q[i].at >= r->schedule_at))
            pb_recorder_event(e->rec, e->run_id, q[i].at + (r->run_at - r->schedule_at),
                              pb_event_kind_name(PB_EVENT_PHASE), -1, q[i].index, 0, q[i].name);
    }
}

/* The ramp's mean target over second `sec` of run time as this process aims
 * for it (its segment's share), the second cut at the ramp's end; false
 * without a ramp and for a second after its end (the drain). */
static bool ramp_second_target(const pb_run_config *cfg, uint64_t sec, double *out)
{
    /* a resumed run's seconds are run time; its schedule is behind by the gap */
    pb_usec gap = cfg->resume.run_at - cfg->resume.schedule_at;
    pb_usec a = sec * PB_USEC_PER_SEC, b = a + PB_USEC_PER_SEC;
    a = a > gap ? a - gap : 0;
    b = b > gap ? b - gap : 0;
    pb_usec end = pb_stages_length(&cfg->stages);
    if (cfg->stages.n == 0 || a >= end || a >= b)
        return false;
    double mean = pb_stages_mean(&cfg->stages, pb_run_ramp_start(cfg), a, b < end ? b : end);
    /* a ramp of workers is never split into segments (run_config refuses it) */
    *out = cfg->ramp_workers ? mean : pb_segment_rate(cfg->segment, mean);
    return true;
}

/* The end of second `sec` at `now`: the harness's own figures over it go
 * into the mark with the pattern's state, and into the run's verdicts. */
static void mark_second(struct engine *e, uint64_t sec, pb_usec now)
{
    pb_pattern_state st;
    e->pat.ops->state(e->pat.state, &st);
    pb_selfmon_second self;
    pb_selfmon_close_second(&e->mon, now, &self);
    pb_second_mark m = {
        .run_id = e->run_id,
        .sec = e->cfg->resume.run_at / PB_USEC_PER_SEC + sec,
        .in_flight = pb_lanes_in_flight(e->http),
        .lim = st.limit,
        .queue = st.queue_depth,
        .breaker = (uint8_t)st.breaker,
        .phase = e->phase,
        .self_known = true,
        .cpu_pct = self.cpu_pct,
        .rss_bytes = self.rss_bytes,
        .loop_lag_us = self.lag_p99,
        .clock_wall_us = sec == 0 && e->cfg->resume.run_id == 0 ? e->t0_wall : 0,
    };
    m.has_target = ramp_second_target(e->cfg, m.sec, &m.ramp_target);
    if (e->rec != NULL) {
        pb_recorder_stats rs;
        pb_recorder_get_stats(e->rec, &rs);
        m.backlog = rs.backlog;
        pb_recorder_second(e->rec, &m);
    }
    /* drift leaves out fault phases (any phase after the mock's first) and
     * the last, partial second, whose p99 is of a fraction of a second */
    bool whole = now - e->t0 >= (sec + 1) * PB_USEC_PER_SEC;
    double p99_ms = NAN;
    if (whole && e->phase <= 0 && e->tally.sec_answered > 0)
        p99_ms = (double)pb_hist_percentile(e->tally.sec_service, 99.0) / 1e3;
    pb_selfmon_add_second(&e->mon, &self, p99_ms);
}

static void lag_probe_cb(uv_timer_t *t)
{
    struct engine *e = t->data;
    pb_selfmon_probe(&e->mon, pb_monotime_now());
}

/* A database that stops taking rows (disk full...) ends the run: going on
 * would measure requests that are not recorded. */
static bool recorder_failed(struct engine *e)
{
    if (e->rec == NULL)
        return false;
    pb_recorder_stats st;
    pb_recorder_get_stats(e->rec, &st);
    if (st.last_error == 0)
        return false;
    pb_err err;
    pb_err_set(&err, st.last_error, "the database stopped taking rows: %s", st.last_error_msg);
    fail(e, st.last_error, &err);
    return true;
}

/* libcurl's multi interface failing (out of memory...) ends the run too. */
static bool client_failed(struct engine *e)
{
    const char *msg = pb_lanes_error(e->http);
    if (msg[0] == '\0')
        return false;
    pb_err err;
    pb_err_set(&err, PB_ENET, "%s", msg);
    fail(e, PB_ENET, &err);
    return true;
}

/* Seconds into the run at which a closed loop's measured rate is taken as
 * the rate of the whole run for the disk projection. */
#define DISK_JUDGE_SECOND 3

/* Once a second: tell the user when request rows stopped for lack of space,
 * project the database's final size for the progress line and, in a closed
 * loop, judge at DISK_JUDGE_SECOND from the rate so far whether the run will
 * fit (an open loop or a request count was judged before the start). */
static void watch_disk(struct engine *e)
{
    if (e->rec == NULL)
        return;
    pb_recorder_stats st;
    pb_recorder_get_stats(e->rec, &st);
    char a[32];
    if (st.disk_low && !e->disk_low_told) {
        e->disk_low_told = true;
        note(e,
             "%s: free space fell below the reserve (%s free): from here on only the "
             "per-second rollup and events are recorded",
             e->cfg->db_path, pb_format_size(st.free_bytes, a, sizeof(a)));
    }
    /* a resumed run's tally holds its earlier rows too */
    double elapsed = (double)e->cfg->resume.schedule_at / 1e6 + (double)e->seconds_marked;
    double rate = (double)e->tally.rows / elapsed;
    double left_s = e->cfg->duration > 0 ? (double)e->cfg->duration / 1e6 - elapsed
                    : rate > 0.0         ? ((double)e->tasks - (double)e->tally.rows) / rate
                                         : 0.0;
    if (left_s < 0.0)
        left_s = 0.0;
    double left_rows = rate * left_s;
    if (e->tasks > 0 && (double)e->tasks - (double)e->tally.rows < left_rows)
        left_rows = (double)e->tasks - (double)e->tally.rows;
    pb_disk_projection p;
    pb_err err;
    if (pb_disk_project(e->cfg, elapsed, left_rows, left_s, &p, &err) != 0)
        return; /* the figure is missing this second; the run goes on */
    e->projected_bytes =
        st.db_bytes +
        (st.disk_low ? (uint64_t)(left_s * PB_DISK_ROLLUP_BYTES_PER_SEC) : p.projected);
    double planned_rows, planned_s;
    if (e->seconds_marked == DISK_JUDGE_SECOND && !p.fits &&
        !pb_disk_planned(e->cfg, &planned_rows, &planned_s)) {
        e->disk_refused = true;
        pb_disk_refuse(e->cfg, &p, &err);
        pb_err_prefix(&err, "after %d s at %.0f requests/s", DISK_JUDGE_SECOND, rate);
        fail(e, PB_EFULL, &err);
    }
}

/* A ramp's mean target over the second before `elapsed`: what its req/s
 * (or, a ramp of workers, its requests in flight) should read; 0 without. */
static double ramp_target(const pb_run_config *cfg, pb_usec elapsed)
{
    if (cfg->stages.n == 0 || elapsed < PB_USEC_PER_SEC)
        return 0;
    return pb_stages_mean(&cfg->stages, pb_run_ramp_start(cfg), elapsed - PB_USEC_PER_SEC,
                          elapsed);
}

/* What watchers see at `elapsed`: the closed second `sec` and the run so far. */
static void fill_view(struct engine *e, pb_usec elapsed, const pb_tally_second *sec, pb_run_view *v)
{
    *v = (pb_run_view){
        .elapsed = elapsed,
        .duration = e->cfg->duration,
        .rows = e->tally.rows,
        .total_requests = e->tasks,
        .sec_network = sec->network,
        .sec_failed = sec->failed,
        .sec_answered = sec->answered,
        .sec_rejected = sec->rejected,
        .sec_dropped = sec->dropped,
        .p50 = sec->p50,
        .p99 = sec->p99,
        .cp99 = sec->cp99,
        .open_loop = e->cfg->params.rate > 0 || (e->cfg->stages.n > 0 && !e->cfg->ramp_workers),
        .ramp = e->cfg->stages.n > 0,
        .ramp_workers = e->cfg->ramp_workers,
        .rate_target = ramp_target(e->cfg, elapsed),
        .in_flight = pb_lanes_in_flight(e->http),
        .run_id = e->run_id,
        .label = e->cfg->label[0] != '\0' ? e->cfg->label : e->cfg->pattern,
        .pattern_name = e->cfg->pattern,
        .tally = &e->tally,
        .resent = e->resent,
        .phase = e->mock != NULL ? e->phase : -1,
        .loop_lag = e->lag_max,
        .recording = e->rec != NULL,
        .db_projected_bytes = e->projected_bytes,
    };
    e->pat.ops->state(e->pat.state, &v->pattern);
    if (e->rec != NULL) {
        /* this run's share of what the recorder counts across runs */
        pb_recorder_get_stats(e->rec, &v->recorder);
        v->recorder.rows_written -= e->rec_stats0.rows_written;
        v->recorder.rows_lost -= e->rec_stats0.rows_lost;
        v->recorder.commits -= e->rec_stats0.commits;
        v->recorder.stalls -= e->rec_stats0.stalls;
        v->recorder.stall_us -= e->rec_stats0.stall_us;
    }
}

/* Judge the live thresholds on the trailing window, from --abort-delay on;
 * the first that fails stops the run as an interrupt would, status aborted. */
static void judge_live(struct engine *e, pb_usec now)
{
    if (e->state != RUNNING || e->seconds_marked * PB_USEC_PER_SEC < e->cfg->abort_delay)
        return;
    const pb_run_summary *w = pb_trailing_summary(e->window);
    for (int i = 0; i < e->n_live; i++) {
        pb_threshold_result r;
        pb_threshold_eval(&e->live[i], w, &r);
        /* a window without data (nothing answered yet) is not a failure to act on:
         * the end-of-run judgement still sees it */
        if (!r.has_value || r.pass)
            continue;
        char value[32], detail[160];
        pb_threshold_format_value(&e->live[i], &r, value, sizeof(value));
        snprintf(detail, sizeof(detail), "%s: %.*s = %s over the last %d s", e->live[i].expr,
                 (int)strcspn(e->live[i].expr, "<>=!"), e->live[i].expr, value,
                 pb_trailing_seconds(e->window));
        e->aborted = true;
        event(e, now, PB_EVENT_ABORT, e->live_index[i], 0, r.value, detail);
        note(e, "threshold failed: %s; stopping the run (%u requests in flight finish)", detail,
             pb_lanes_in_flight(e->http));
        begin_drain(e);
        return;
    }
}

static void second_cb(uv_timer_t *t)
{
    struct engine *e = t->data;
    pb_usec now = pb_monotime_now();
    if (recorder_failed(e) || client_failed(e))
        return;
    mark_second(e, e->seconds_marked, now);
    e->seconds_marked++;
    if (e->window != NULL && pb_trailing_push(e->window, &e->tally) != 0) {
        pb_err err;
        pb_err_set(&err, PB_ENOMEM, "out of memory keeping the live thresholds' window");
        fail(e, PB_ENOMEM, &err);
        return;
    }
    pb_tally_second sec;
    pb_tally_roll_second(&e->tally, &sec);
    watch_disk(e);
    if (e->fatal != 0)
        return;
    const pb_run_observer *obs = e->cfg->observer, *mon = e->cfg->monitor;
    bool show = !e->cfg->quiet && obs != NULL && obs->second != NULL;
    if (show || (mon != NULL && mon->second != NULL)) {
        pb_run_view v;
        fill_view(e, e->cfg->resume.schedule_at + e->seconds_marked * PB_USEC_PER_SEC, &sec, &v);
        if (show)
            obs->second(obs->data, &v);
        if (mon != NULL && mon->second != NULL)
            mon->second(mon->data, &v);
    }
    if (e->window != NULL)
        judge_live(e, now);
    e->lag_max = 0;
    /* schedule against t0 so that seconds do not drift with loop latency */
    pb_usec next = e->t0 + (e->seconds_marked + 1) * PB_USEC_PER_SEC;
    arm(&e->second, second_cb, next > now ? (next - now + PB_USEC_PER_MS - 1) / PB_USEC_PER_MS : 0);
}

static void drain_guard_cb(uv_timer_t *t)
{
    struct engine *e = t->data;
    e->abandoned += pb_lanes_abort_all(e->http);
    finish(e);
}

/* Stop starting requests; the run ends when those in flight have ended
 * (each is bounded by --timeout; the guard covers a transfer that is not). */
static void begin_drain(struct engine *e)
{
    if (e->state != RUNNING)
        return;
    e->state = DRAINING;
    disarm(&e->wake);
    disarm(&e->rate);
    arm(&e->drain_guard, drain_guard_cb, e->cfg->timeout / PB_USEC_PER_MS + 1000);
    maybe_finish(e);
}

static void stop_now(struct engine *e)
{
    if (e->state == FINISHED)
        return;
    e->abandoned += pb_lanes_abort_all(e->http);
    finish(e);
}

static void end_cb(uv_timer_t *t)
{
    struct engine *e = t->data;
    /* uv timers count whole milliseconds of a clock cached per loop turn, so
     * they can fire a little early: the run lasts at least --duration */
    pb_usec now = pb_monotime_now(), end = schedule_time(e, e->cfg->duration);
    if (now < end) {
        arm(&e->end, end_cb, (end - now + PB_USEC_PER_MS - 1) / PB_USEC_PER_MS);
        return;
    }
    begin_drain(e);
}

static void interrupt(struct engine *e, int signum, int level)
{
    if (e->signal == 0)
        e->signal = signum;
    e->interrupted = true;
    if (level >= 2) {
        note(e, "stopping now; %u requests in flight abandoned", pb_lanes_in_flight(e->http));
        event(e, pb_monotime_now(), PB_EVENT_SIGNAL, 0, signum, 0, "stopped at once");
        stop_now(e);
        return;
    }
    if (e->state != RUNNING)
        return;
    char t[32];
    note(e,
         "interrupted: letting %u requests in flight finish (up to %s); interrupt again to "
         "stop now",
         pb_lanes_in_flight(e->http), pb_format_duration(e->cfg->timeout, t, sizeof(t)));
    event(e, pb_monotime_now(), PB_EVENT_SIGNAL, 0, signum, 0, "stop starting requests");
    begin_drain(e);
}

static void signal_cb(uv_signal_t *h, int signum)
{
    struct engine *e = h->data;
    e->signals++;
    pb_stop_requested = e->signals >= 2 ? 2 : 1;
    interrupt(e, signum, e->signals);
}

static void ticker_cb(uv_timer_t *t)
{
    struct engine *e = t->data;
    /* the tick is due TICK_MS after the previous one ran; any later is time
     * the loop spent elsewhere (a long turn, a wait for the writer): its lag */
    pb_usec now = pb_monotime_now(), due = e->last_tick + TICK_MS * PB_USEC_PER_MS;
    if (now > due && now - due > e->lag_max)
        e->lag_max = now - due;
    e->last_tick = now;
    /* another part of the program (compare's own handler) may ask to stop */
    int stop = pb_stop_requested;
    if (stop > 0 && (stop >= 2 || e->state == RUNNING)) {
        interrupt(e, e->signal != 0 ? e->signal : SIGINT, stop);
        if (e->state == FINISHED)
            return;
    }
    e->pat.ops->tick(e->pat.state, pb_monotime_now());
    pump(e);
}

static void rate_cb(uv_timer_t *t);

/* A ramp (--stages) sets the rate each slice to the stages' mean target over
 * the slice, so that the arrivals of every slice, and so of every second, are
 * those of the linear ramp; the rate timer serves it (rate steps and stages
 * exclude each other). */
#define RAMP_SLICE_US (100 * PB_USEC_PER_MS)

static double ramp_rate(const pb_run_config *cfg, uint64_t slice)
{
    pb_usec a = slice * RAMP_SLICE_US;
    return pb_segment_rate(cfg->segment,
                           pb_stages_mean(&cfg->stages, cfg->params.rate, a, a + RAMP_SLICE_US));
}

static void arm_rate(struct engine *e, pb_usec now)
{
    if (e->cfg->ramp_workers) {
        /* a ramp of workers: the timer fires where the rounded target steps */
        pb_usec at = pb_stages_next_change(&e->cfg->stages, e->ramp_start, schedule_at_time(e, now));
        if (at == PB_USEC_NEVER)
            return;
        at = schedule_time(e, at);
        arm(&e->rate, rate_cb, at > now ? (at - now + PB_USEC_PER_MS - 1) / PB_USEC_PER_MS : 0);
        return;
    }
    if (e->pat.ops->set_rate == NULL)
        return;
    if (e->cfg->stages.n > 0) {
        /* past the ramp's end the last slice's rate holds: a ramp down to 0
         * must not become a closed loop */
        pb_usec at = e->ramp_slice * RAMP_SLICE_US;
        if (at >= pb_stages_length(&e->cfg->stages))
            return;
        at = schedule_time(e, at);
        arm(&e->rate, rate_cb, at > now ? (at - now + PB_USEC_PER_MS - 1) / PB_USEC_PER_MS : 0);
        return;
    }
    if (e->next_rate_step >= e->cfg->n_rate_steps)
        return;
    pb_usec at = schedule_time(e, e->cfg->rate_steps[e->next_rate_step].at);
    arm(&e->rate, rate_cb, at > now ? (at - now + PB_USEC_PER_MS - 1) / PB_USEC_PER_MS : 0);
}

static void rate_cb(uv_timer_t *t)
{
    struct engine *e = t->data;
    pb_usec now = pb_monotime_now();
    if (e->cfg->ramp_workers) {
        /* the workers the ramp has reached now, however late the timer fired
         * (a uv timer may also fire a little early: then nothing changed yet
         * and it is armed again) */
        e->pat.ops->set_workers(e->pat.state, now,
                                pb_stages_workers(&e->cfg->stages, e->ramp_start,
                                                  schedule_at_time(e, now)));
        arm_rate(e, now);
        pump(e);
        return;
    }
    if (e->cfg->stages.n > 0) {
        /* from the slice's start, however late the timer fired: the schedule
         * stays the ramp's on a busy machine (arrivals past the start that
         * were not taken yet are re-timed by the new rate) */
        pb_usec from = schedule_time(e, e->ramp_slice * RAMP_SLICE_US);
        e->pat.ops->set_rate(e->pat.state, from < now ? from : now,
                             ramp_rate(e->cfg, e->ramp_slice));
        e->ramp_slice++;
        arm_rate(e, now);
        pump(e);
        return;
    }
    e->pat.ops->set_rate(
        e->pat.state, now,
        pb_segment_rate(e->cfg->segment, e->cfg->rate_steps[e->next_rate_step].rate));
    e->next_rate_step++;
    arm_rate(e, now);
    pump(e);
}

static void finish(struct engine *e)
{
    if (e->state == FINISHED)
        return;
    e->state = FINISHED;
    e->t_end = pb_monotime_now();
    for (int i = 0; i < e->n_handles; i++)
        if (e->handles[i]->type == UV_TIMER)
            disarm((uv_timer_t *)e->handles[i]);
    uv_stop(&e->loop);
}

static int add_timer(struct engine *e, uv_timer_t *t)
{
    int rc = uv_timer_init(&e->loop, t);
    if (rc != 0)
        return rc;
    t->data = e;
    e->handles[e->n_handles++] = (uv_handle_t *)t;
    return 0;
}

static int setup_loop(struct engine *e, pb_err *err)
{
    int rc = uv_loop_init(&e->loop);
    if (rc != 0)
        return pb_err_set(err, PB_ESYS, "cannot create the event loop: %s", uv_strerror(rc));
    e->loop_ready = true;
    uv_timer_t *timers[] = {&e->wake, &e->ticker,      &e->second, &e->end,
                            &e->rate, &e->drain_guard, &e->start,  &e->lag_probe};
    for (size_t i = 0; i < sizeof(timers) / sizeof(timers[0]) && rc == 0; i++)
        rc = add_timer(e, timers[i]);
    if (rc == 0 && (rc = uv_signal_init(&e->loop, &e->sigint)) == 0) {
        e->sigint.data = e;
        e->handles[e->n_handles++] = (uv_handle_t *)&e->sigint;
    }
    if (rc == 0 && (rc = uv_signal_init(&e->loop, &e->sigterm)) == 0) {
        e->sigterm.data = e;
        e->handles[e->n_handles++] = (uv_handle_t *)&e->sigterm;
    }
    if (rc == 0 && (rc = uv_async_init(&e->loop, &e->phase_async, phase_async_cb)) == 0) {
        e->phase_async.data = e;
        e->handles[e->n_handles++] = (uv_handle_t *)&e->phase_async;
    }
    if (rc == 0 && (rc = uv_mutex_init(&e->phase_mu)) == 0)
        e->phase_mu_ready = true;
    /* signals count from here: one that comes while the mock starts ends the
     * run as soon as it begins. libuv leaves SIG_DFL behind when its handlers
     * go, so keep what the caller (compare, a test) had, to put it back. */
    if (rc == 0) {
        e->signals_saved = sigaction(SIGINT, NULL, &e->old_sigint) == 0 &&
                           sigaction(SIGTERM, NULL, &e->old_sigterm) == 0;
        rc = uv_signal_start(&e->sigint, signal_cb, SIGINT);
    }
    if (rc == 0)
        rc = uv_signal_start(&e->sigterm, signal_cb, SIGTERM);
    if (rc != 0)
        return pb_err_set(err, PB_ESYS, "cannot set up the event loop: %s", uv_strerror(rc));
    return 0;
}

static void teardown(struct engine *e)
{
    /* the mock first: after it stops no thread can touch phase_async */
    pb_mock_stop(e->mock);
    e->mock = NULL;
    if (e->loop_ready) {
        pb_lanes_close(e->http);
        for (int i = 0; i < e->n_handles; i++)
            if (!uv_is_closing(e->handles[i]))
                uv_close(e->handles[i], NULL);
        uv_run(&e->loop, UV_RUN_DEFAULT);
        int rc = uv_loop_close(&e->loop);
        (void)rc;
        assert(rc == 0);
    }
    if (e->signals_saved) {
        /* fails only for an invalid signal number */
        int r1 = sigaction(SIGINT, &e->old_sigint, NULL);
        int r2 = sigaction(SIGTERM, &e->old_sigterm, NULL);
        assert(r1 == 0 && r2 == 0);
        (void)r1;
        (void)r2;
    }
    pb_lanes_destroy(e->http);
    free(e->shown_url);
    if (e->phase_mu_ready)
        uv_mutex_destroy(&e->phase_mu);
    if (e->pat_ready)
        pb_pattern_destroy(&e->pat);
    if (e->tally_ready)
        pb_tally_cleanup(&e->tally);
    pb_phase_tally_cleanup(&e->phases);
    pb_target_tally_cleanup(&e->by_target);
    for (uint32_t i = 0; i < e->n_targets; i++)
        pb_target_cleanup(&e->targets[i]);
    free(e->targets);
    pb_trailing_destroy(e->window);
    pb_selfmon_cleanup(&e->mon);
    struct inflight_chunk *c = e->chunks;
    while (c != NULL) {
        struct inflight_chunk *next = c->next;
        free(c);
        c = next;
    }
    free(e);
}

static void fill_summary(struct engine *e, pb_run_summary *out)
{
    pb_usec end = e->t_end > e->t0 ? e->t_end : pb_monotime_now();
    /* a resumed run's tally holds the whole run's rows: its length is the schedule's */
    pb_tally_fill(&e->tally, (double)(e->cfg->resume.schedule_at + end - e->t0) / 1e6, out);
    pb_phase_tally_fill(&e->phases, out->duration_s, out->phases, &out->n_phases);
    pb_target_tally_fill(&e->by_target, out->targets);
    out->n_targets = e->by_target.n;
    out->targets_total = e->n_targets;
    for (uint32_t i = 0; i < out->n_targets; i++) {
        const pb_target *t = &e->targets[i];
        char *shown = t->url != NULL && t->url[0] != '/' ? pb_secrets_url(t->url) : NULL;
        snprintf(out->targets[i].label, sizeof(out->targets[i].label), "%s %s", t->method,
                 shown != NULL    ? shown
                 : t->url != NULL ? t->url
                                  : "");
        free(shown);
    }
    out->run_id = e->run_id;
    snprintf(out->status, sizeof(out->status), "%s",
             e->fatal != 0    ? "failed"
             : e->interrupted ? "interrupted"
             : e->aborted     ? "aborted"
                              : "completed");
    snprintf(out->pattern_name, sizeof(out->pattern_name), "%s", e->cfg->pattern);
    snprintf(out->target, sizeof(out->target), "%s", e->shown_url);
    out->insecure = e->cfg->insecure;
    e->pat.ops->state(e->pat.state, &out->pattern);
    if (e->rec != NULL) {
        pb_recorder_stats st;
        pb_recorder_get_stats(e->rec, &st);
        out->writer_stalls = st.stalls - e->rec_stats0.stalls;
        out->writer_stall_us = st.stall_us - e->rec_stats0.stall_us;
        out->rows_unstored = st.rows_unstored - e->rec_stats0.rows_unstored;
        out->rows_dropped = st.rows_dropped - e->rec_stats0.rows_dropped;
        out->db_bytes = st.db_bytes;
        out->disk_low = st.disk_low;
    }
    out->disk_refused = e->disk_refused;
    memcpy(out->phase_sent, e->phase_sent, sizeof(out->phase_sent));
    memcpy(out->errors, e->errors, sizeof(out->errors));
    out->resent = e->resent;
    out->abandoned = e->abandoned;
    out->breaker_transitions = e->breaker_transitions;
    out->peak_in_flight = e->peak_in_flight;
    out->connections = pb_lanes_connections(e->http);
    out->client_threads = pb_lanes_threads(e->http);
    out->signal = e->signal;
    out->segment = e->cfg->segment;
    out->start_aimed_us = e->cfg->start_at_us;
    out->start_achieved_us = e->t0_wall;
    if (e->mock != NULL) {
        out->has_server = true;
        pb_mock_get_stats(e->mock, &out->server);
    }
    if (e->mon.seconds > 0) {
        out->has_harness = true;
        pb_selfmon_verdict_get(&e->mon, &out->harness);
        pb_selfmon_p99_drift(&e->mon, &out->p99_drift);
    }
}

/* Earlier resumes of the run being replayed: where each began in run time
 * and the gap it left, so that a row's schedule time is known. */
#define REPLAY_RESUMES 64
struct replay {
    struct engine *e;
    size_t n;
    uint64_t at[REPLAY_RESUMES], gap_us[REPLAY_RESUMES];
};

static int replay_resume(void *data, const pb_store_event *ev)
{
    struct replay *r = data;
    if (r->n < REPLAY_RESUMES && ev->has_value && ev->value > 0) {
        r->at[r->n] = ev->t_us;
        r->gap_us[r->n++] = (uint64_t)(ev->value * 1e6 + 0.5);
    }
    return 0;
}

static int replay_row(void *data, const pb_request_row *row)
{
    struct replay *r = data;
    struct engine *e = r->e;
    pb_tally_add(&e->tally, row);
    pb_target_tally_add(&e->by_target, row->target, row);
    pb_request_row on_schedule = *row;
    for (size_t i = 0; i < r->n; i++)
        if (row->t_us >= r->at[i])
            on_schedule.t_us -= r->gap_us[i];
    pb_phase_tally_add(&e->phases, &on_schedule);
    return 0;
}

/* A resumed run's summary is the whole run's: the request rows its earlier
 * processes stored go into the tallies first (rows --record or
 * --keep-requests left out are not there to count). */
static int replay_rows(struct engine *e, pb_err *err)
{
    const pb_run_config *cfg = e->cfg;
    if (cfg->resume.run_id == 0 || e->rec == NULL)
        return 0;
    pb_reader *rd = NULL;
    pb_store_run *runs = NULL;
    size_t n = 0;
    struct replay r = {.e = e};
    int rc = pb_reader_open(cfg->db_path, &rd, err);
    if (rc == 0)
        rc = pb_reader_runs(rd, false, cfg->resume.run_id, &runs, &n, err);
    if (rc == 0 && n != 1)
        rc = pb_err_set(err, PB_ENOENT, "%s: no run %" PRId64, cfg->db_path, cfg->resume.run_id);
    if (rc == 0)
        rc = pb_reader_events(rd, cfg->resume.run_id, PB_EVENT_RESUME, 0, replay_resume, &r, err);
    if (rc == 0)
        rc = pb_reader_requests(rd, &runs[0], replay_row, &r, err);
    /* the rows' seconds are not this process's */
    pb_tally_second sec;
    pb_tally_roll_second(&e->tally, &sec);
    for (size_t i = 0; i < n; i++)
        pb_store_run_cleanup(&runs[i]);
    free(runs);
    pb_reader_close(rd);
    return rc;
}

static int begin_recording(struct engine *e, pb_err *err)
{
    if (e->rec == NULL)
        return 0;
    char *config_json = pb_run_config_to_json(e->cfg);
    char *params_json = pb_pattern_params_to_json(&e->cfg->params, e->cfg->pattern);
    char *versions_json = pb_run_versions_json();
    char *host = pb_run_host_text();
    int rc = PB_ENOMEM;
    if (config_json == NULL || params_json == NULL || versions_json == NULL || host == NULL) {
        pb_err_set(err, rc, "out of memory describing the run");
        goto done;
    }
    pb_run_info info = {
        .compare_id = e->cfg->compare_id,
        .label = e->cfg->label[0] != '\0' ? e->cfg->label : e->cfg->pattern,
        .pattern = e->cfg->pattern,
        .params_json = params_json,
        .config_json = config_json,
        .target = e->shown_url,
        .seed = e->cfg->seed,
        .versions_json = versions_json,
        .host = host,
        .keep_every = e->cfg->keep_every,
        .rollup_only = e->cfg->keep_every == 0,
        .keep_requests_us = e->cfg->keep_requests,
    };
    pb_disk_projection proj;
    if (pb_disk_project(e->cfg, 0.0, 0.0, 0.0, &proj, err) != 0)
        goto done;
    pb_recorder_set_disk_reserve(e->rec, proj.reserve);
    if (e->cfg->resume.run_id != 0) {
        e->run_id = e->cfg->resume.run_id;
        rc = pb_recorder_reopen_run(e->rec, e->run_id, &info, err);
    } else {
        rc = pb_recorder_begin_run(e->rec, &info, &e->run_id, err);
    }
    if (rc == 0)
        pb_recorder_get_stats(e->rec, &e->rec_stats0);
done:
    free(config_json);
    free(params_json);
    free(versions_json);
    free(host);
    return rc;
}

static void start_running(struct engine *e)
{
    const pb_run_config *cfg = e->cfg;
    if (!cfg->quiet) {
        char who[32], d[32];
        if (e->run_id > 0)
            snprintf(who, sizeof(who), "run %" PRId64, e->run_id);
        else
            snprintf(who, sizeof(who), "unrecorded run");
        pb_format_duration(cfg->duration, d, sizeof(d));
        if (cfg->duration > 0 && e->tasks > 0)
            note(e, "%s: %s against %s, %" PRIu64 " requests or %s", who, cfg->pattern,
                 e->shown_url, e->tasks, d);
        else if (cfg->duration > 0)
            note(e, "%s: %s against %s for %s", who, cfg->pattern, e->shown_url, d);
        else
            note(e, "%s: %s against %s, %" PRIu64 " requests", who, cfg->pattern, e->shown_url,
                 e->tasks);
        const pb_run_resume *r = &cfg->resume;
        if (r->run_id != 0) {
            char at[32], gap[32];
            pb_format_duration(r->schedule_at, at, sizeof(at));
            pb_format_duration(r->run_at - r->schedule_at, gap, sizeof(gap));
            note(e, "resumed at %s of its schedule, task %" PRIu64 " on, after a gap of %s", at,
                 r->first_task, gap);
        }
    }
    uv_mutex_lock(&e->phase_mu);
    e->phase_n = 0; /* phases announced before the run are not part of it */
    uv_mutex_unlock(&e->phase_mu);
    /* timers count from the loop's cached clock: bring it to t0 */
    uv_update_time(&e->loop);
    e->t0 = pb_monotime_now();
    e->last_tick = e->t0;
    e->t0_wall = pb_segment_wall_now();
    if (e->mock != NULL) {
        e->phase = 0;
        pb_mock_restart_phases_at(e->mock, cfg->resume.schedule_at);
    }
    if (cfg->resume.run_id != 0) {
        const pb_run_resume *r = &cfg->resume;
        char detail[160];
        snprintf(detail, sizeof(detail),
                 "resumed: the schedule goes on at %.3f s, tasks from %" PRIu64,
                 (double)r->schedule_at / 1e6, r->first_task);
        event(e, e->t0, PB_EVENT_RESUME, (int64_t)r->last_sec,
              (int64_t)(r->run_at / PB_USEC_PER_SEC), (double)(r->run_at - r->schedule_at) / 1e6,
              detail);
    }
    e->pat.ops->start(e->pat.state, e->t0);
    if (cfg->ramp_workers)
        e->pat.ops->set_workers(e->pat.state, e->t0,
                                pb_stages_workers(&cfg->stages, e->ramp_start,
                                                  cfg->resume.schedule_at));
    /* the harness's figures count from t0 too (nothing was added while waiting) */
    pb_selfmon_init(&e->mon, (double)uv_available_parallelism(), e->t0);
    int rc = uv_timer_start(&e->ticker, ticker_cb, TICK_MS, TICK_MS);
    if (rc == 0)
        rc = uv_timer_start(&e->lag_probe, lag_probe_cb, PB_SELFMON_PROBE_MS, PB_SELFMON_PROBE_MS);
    assert(rc == 0);
    (void)rc;
    arm(&e->second, second_cb, 1000);
    if (cfg->duration > 0)
        arm(&e->end, end_cb,
            (cfg->duration - cfg->resume.schedule_at + PB_USEC_PER_MS - 1) / PB_USEC_PER_MS);
    arm_rate(e, e->t0);
    pump(e);
}

static void start_cb(uv_timer_t *t)
{
    struct engine *e = t->data;
    /* a uv timer may fire up to a millisecond early: wait out the rest */
    int64_t left = e->cfg->start_at_us - pb_segment_wall_now();
    if (left > 0) {
        arm(&e->start, start_cb, (uint64_t)(left + PB_USEC_PER_MS - 1) / PB_USEC_PER_MS);
        return;
    }
    start_running(e);
}

/* --start-at: the loop waits (signals still stop it) until the wall clock
 * says so, with everything else ready, so that segments started on several
 * machines begin together. A time already past starts at once, with a note:
 * a pod that came up late still runs, and the summary records how late. */
static void wait_for_start(struct engine *e)
{
    e->t0 = pb_monotime_now(); /* a run stopped while waiting has length 0 */
    pb_selfmon_init(&e->mon, (double)uv_available_parallelism(), e->t0);
    int64_t left = e->cfg->start_at_us != 0 ? e->cfg->start_at_us - pb_segment_wall_now() : 0;
    if (e->cfg->start_at_us != 0 && left <= 0)
        note(e, "warning: --start-at was %.3f s ago; starting at once", (double)-left / 1e6);
    if (left <= 0) {
        start_running(e);
        return;
    }
    note(e, "waiting %.3f s for --start-at", (double)left / 1e6);
    arm(&e->start, start_cb, (uint64_t)(left + PB_USEC_PER_MS - 1) / PB_USEC_PER_MS);
}

/* The thresholds judged while the run goes: those written with ":abort", or
 * with --abort-on-fail every one a window can judge; and their window. */
static int live_setup(struct engine *e, pb_err *err)
{
    const pb_run_config *cfg = e->cfg;
    for (int i = 0; i < cfg->n_thresholds; i++) {
        pb_threshold t;
        int rc = pb_threshold_parse(cfg->thresholds[i], &t, err);
        if (rc != 0)
            return rc;
        if (!t.abort && !(cfg->abort_on_fail && pb_threshold_is_live(&t)))
            continue;
        e->live_index[e->n_live] = i;
        e->live[e->n_live++] = t;
    }
    if (e->n_live == 0)
        return 0;
    return pb_trailing_create((int)(cfg->threshold_window / PB_USEC_PER_SEC), &e->window, err);
}

int pb_run_execute(const pb_run_config *cfg, pb_recorder *rec, pb_run_summary *out, pb_err *err)
{
    memset(out, 0, sizeof(*out));
    int rc = pb_run_config_check(cfg, err);
    if (rc != 0)
        return rc;
    struct engine *e = calloc(1, sizeof(*e));
    if (e == NULL)
        return pb_err_set(err, PB_ENOMEM, "out of memory starting a run");
    e->cfg = cfg;
    e->rec = cfg->record ? rec : NULL;
    e->phase = -1;

    if ((rc = pb_tally_init(&e->tally, err)) != 0)
        goto out;
    e->tally_ready = true;
    if (cfg->target_url == NULL && (rc = phases_init(e, cfg->mock, err)) != 0)
        goto out;
    if ((rc = live_setup(e, err)) != 0)
        goto out;
    /* a run whose settings say how much it will write is judged before anything starts */
    if (e->rec != NULL && (rc = pb_disk_check_planned(cfg, err)) != 0) {
        out->disk_refused = rc == PB_EFULL;
        goto out;
    }
    pb_pattern_params params = cfg->params;
    params.seed = cfg->seed;
    const pb_run_resume *resume = &cfg->resume;
    e->ramp_start = pb_run_ramp_start(cfg);
    if (cfg->stages.n > 0 && cfg->ramp_workers) {
        /* a worker for the most the ramp reaches; start_running lets in its first count */
        params.concurrency = (uint32_t)pb_stages_max(&cfg->stages, e->ramp_start);
    } else if (cfg->stages.n > 0) {
        /* the ramp's first slice (a resumed run's: the one it goes on in); the
         * segment's share is taken below */
        uint64_t slice = resume->schedule_at / RAMP_SLICE_US;
        params.rate = pb_stages_mean(&cfg->stages, cfg->params.rate, resume->schedule_at,
                                     (slice + 1) * RAMP_SLICE_US);
        e->ramp_slice = slice + 1;
    }
    /* a resumed run goes on at the rate step in force where it stopped */
    while (e->next_rate_step < cfg->n_rate_steps &&
           cfg->rate_steps[e->next_rate_step].at <= resume->schedule_at)
        params.rate = cfg->rate_steps[e->next_rate_step++].rate;
    /* a segment runs its share: concurrency, tasks, every N-th arrival; a
     * resumed run the tasks it has left */
    if (cfg->requests > 0 && resume->first_task >= cfg->requests) {
        rc = pb_err_set(err, PB_EINVAL, "run %" PRId64 " has sent all its %" PRIu64 " tasks",
                        resume->run_id, cfg->requests);
        goto out;
    }
    uint64_t left = cfg->requests > 0 ? cfg->requests - resume->first_task : 0;
    if ((rc = pb_segment_params(cfg->segment, left, &params, err)) != 0)
        goto out;
    e->tasks = params.total_tasks;
    if ((rc = pb_pattern_create(cfg->pattern, &params, pattern_event_cb, e, &e->pat, err)) != 0)
        goto out;
    e->pat_ready = true;
    if ((rc = setup_loop(e, err)) != 0)
        goto out;
    if (cfg->target_url == NULL) {
        if ((rc = pb_mock_start(cfg->mock, mock_phase_cb, e, &e->mock, err)) != 0) {
            pb_err_prefix(err, "starting the built-in mock server");
            goto out;
        }
        e->url = pb_mock_url(e->mock);
    } else {
        e->url = cfg->target_url;
    }
    /* one easy handle per slot the pattern can use at once */
    pb_pattern_state st;
    e->pat.ops->state(e->pat.state, &st);
    uint32_t slots = st.slots > 0 ? st.slots : params.concurrency > 0 ? params.concurrency : 1;
    uint32_t threads =
        pb_run_client_threads(cfg->client_threads, slots, (long)uv_available_parallelism());
    if ((e->shown_url = pb_secrets_url(e->url)) == NULL) {
        rc = pb_err_set(err, PB_ENOMEM, "out of memory starting a run");
        goto out;
    }
    if ((rc = targets_init(e, err)) != 0)
        goto out;
    pb_http_config http = {
        .url = e->url,
        .targets = e->n_targets > 0 ? e->targets : &cfg->request,
        .n_targets = e->n_targets > 0 ? e->n_targets : 1,
        .timeout = cfg->timeout,
        .ok = &cfg->ok_status,
        .cacert = cfg->cacert,
        .insecure = cfg->insecure,
    };
    if ((rc = pb_lanes_create(&e->loop, &http, slots, threads, done_cb, e, &e->http, err)) != 0)
        goto out;
    if ((rc = replay_rows(e, err)) != 0 || (rc = begin_recording(e, err)) != 0)
        goto out;

    wait_for_start(e);
    uv_run(&e->loop, UV_RUN_DEFAULT);
    if (!cfg->quiet && cfg->observer != NULL && cfg->observer->finish != NULL)
        cfg->observer->finish(cfg->observer->data);

    /* the last, partial second gets its mark too */
    if (e->t_end - e->t0 > e->seconds_marked * PB_USEC_PER_SEC)
        mark_second(e, e->seconds_marked, e->t_end);
    if (e->rec != NULL) {
        /* the writer catches up first, so that the summary's stored-row count is final;
         * a failure here is reported by end_run below */
        pb_err flush_err;
        int frc = pb_recorder_flush(e->rec, &flush_err);
        (void)frc;
    }
    fill_summary(e, out);
    if (e->fatal != 0) {
        rc = e->fatal;
        *err = e->fatal_err;
    }
    if (e->rec != NULL) {
        char *json = pb_threshold_summary_json(out, cfg->thresholds, cfg->n_thresholds);
        pb_err end_err = {0};
        /* run time, as the rows, seconds and events count it: a resumed run's
         * gaps are inside (the summary's duration_s is its schedule's, without) */
        int erc = pb_recorder_end_run(e->rec, e->run_id, out->status,
                                      cfg->resume.run_at + e->t_end - e->t0, json, &end_err);
        free(json);
        if (erc != 0 && rc == 0) {
            rc = erc;
            *err = end_err;
        }
    }
    const pb_run_observer *mon = cfg->monitor;
    if (mon != NULL && mon->second != NULL) {
        /* after end_run: the recorder's figures are final too */
        pb_tally_second rest;
        pb_tally_roll_second(&e->tally, &rest);
        pb_run_view v;
        fill_view(e, e->t_end - e->t0, &rest, &v);
        v.final = true;
        mon->second(mon->data, &v);
    }
out:
    teardown(e);
    return rc;
}
