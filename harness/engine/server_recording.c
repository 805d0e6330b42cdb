/* The mock server's view of a run, recorded (server_recording.h). */
#include "server_recording.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "mock_config.h"
#include "run_host.h"
#include "run_summary.h"
#include "tally.h"
#include "vocabulary.h"

/* The outcome a client would see for each thing the mock does: the row's
 * `code` speaks the clients' vocabulary (common/vocabulary.h), so reports
 * count a server run's 503s and resets as they count a client's. A slow body
 * is a 200 answered slowly; a hang is closed without an answer. */
static const uint8_t outcome_of[PB_MOCK_KIND_COUNT] = {
    [PB_MOCK_KIND_OK] = PB_OUTCOME_OK,
    [PB_MOCK_KIND_ERROR] = PB_OUTCOME_HTTP_ERROR,
    [PB_MOCK_KIND_REJECTED_CAPACITY] = PB_OUTCOME_HTTP_ERROR,
    [PB_MOCK_KIND_RATE_LIMITED] = PB_OUTCOME_HTTP_ERROR,
    [PB_MOCK_KIND_RESET] = PB_OUTCOME_RESET,
    [PB_MOCK_KIND_HANG] = PB_OUTCOME_TIMEOUT,
    [PB_MOCK_KIND_SLOW_BODY] = PB_OUTCOME_OK,
    [PB_MOCK_KIND_MALFORMED] = PB_OUTCOME_PROTOCOL_ERROR,
    [PB_MOCK_KIND_BAD_REQUEST] = PB_OUTCOME_HTTP_ERROR,
};
_Static_assert(PB_MOCK_KIND_COUNT == 9, "a new kind of mock outcome needs its client outcome here");

#define EARLY_MAX 1024

struct pb_server_recording {
    pb_recorder *rec;
    char *label, *config_json;
    int64_t compare_id;
    uint32_t keep_every;       /* pb_server_run_info's, for the run row */
    bool rollup_only;
    uint64_t keep_requests_us;
    uint64_t seed;   /* the mock's */
    char target[96]; /* its URL, from begin */
    pb_mock_phase_cb then;
    void *then_data;
    pb_usec t0;

    /* mu serialises the recorder's producer calls (rows, events, marks) and
     * guards everything below */
    pthread_mutex_t mu;
    int64_t run_id;      /* 0 until begin */
    pb_mock *mock;       /* gauges for the marks; NULL after end begins */
    pb_tally tally;      /* the rows, for the summary */
    /* requests answered between the mock's start and begin (a client that
     * knew a fixed port early), held until the run row exists */
    pb_request_row early[EARLY_MAX];
    size_t n_early;
    uint64_t early_lost; /* beyond EARLY_MAX: not recorded, said by begin */
    int phase;           /* the phase now */
    pb_usec phase_at;    /* the first phase event, held until begin */
    char phase_name[sizeof(((pb_mock_phase *)0)->name)];
    bool phase_pending;
    uint64_t marked;     /* seconds closed so far */
    pb_recorder_stats at_begin; /* the recorder's figures when the run began */
    bool quit;
    pthread_cond_t wake;
    pthread_t ticker;
    bool ticking;
};

static pb_usec since_t0(const pb_server_recording *s, pb_usec at)
{
    return at > s->t0 ? at - s->t0 : 0;
}

static void on_request(void *data, const pb_mock_request_record *r)
{
    pb_server_recording *s = data;
    pb_request_row row = {
        .t_us = since_t0(s, r->arrived),
        .wait_us = r->started > r->arrived ? r->started - r->arrived : 0,
        .ttfb_us = r->latency,
        .total_us = r->ended > r->started ? r->ended - r->started : 0,
        .status = r->status,
        .outcome = r->kind < PB_MOCK_KIND_COUNT ? outcome_of[r->kind] : PB_OUTCOME_OTHER_ERROR,
        .breaker = PB_BREAKER_NONE,
        .attempt = r->attempt,
        .bytes = r->bytes > UINT32_MAX ? UINT32_MAX : (uint32_t)r->bytes,
        .slot = r->phase < 0 ? 0 : (uint32_t)r->phase,
        .lim = r->capacity,
        .queue = r->queued,
        .seq = r->seq,
        .has_seq = r->has_seq,
        .has_bytes_in = true,
        .bytes_in = r->bytes_in,
    };
    pthread_mutex_lock(&s->mu);
    if (s->run_id == 0) {
        if (s->n_early < EARLY_MAX)
            s->early[s->n_early++] = row;
        else
            s->early_lost++;
    } else {
        row.run_id = s->run_id;
        pb_tally_add(&s->tally, &row);
        pb_recorder_request(s->rec, &row);
    }
    pthread_mutex_unlock(&s->mu);
}

/* Under mu: the phase event, once there is a run to hold it. */
static void phase_event(pb_server_recording *s, pb_usec at, int index, const char *name)
{
    pb_recorder_event(s->rec, s->run_id, since_t0(s, at), pb_event_kind_name(PB_EVENT_PHASE), -1,
                      index, 0, name);
}

static void on_phase(void *data, int index, const char *name, pb_usec at)
{
    pb_server_recording *s = data;
    pb_usec now = pb_monotime_now();
    pthread_mutex_lock(&s->mu);
    s->phase = index;
    if (s->run_id != 0) {
        phase_event(s, now, index, name);
    } else {
        /* the start's phase 0, before the run row exists (the name is the
         * caller's, for the call only) */
        s->phase_pending = true;
        s->phase_at = now;
        snprintf(s->phase_name, sizeof(s->phase_name), "%s", name);
    }
    pthread_mutex_unlock(&s->mu);
    if (s->then != NULL)
        s->then(s->then_data, index, name, at);
}

/* Under mu: close every second that ended before `now`. */
static void mark_seconds(pb_server_recording *s, pb_usec now, bool final)
{
    uint64_t upto = since_t0(s, now) / PB_USEC_PER_SEC + (final ? 1 : 0);
    pb_mock_stats st;
    uint32_t in_flight = 0, queued = 0;
    if (s->marked < upto && s->mock != NULL) {
        pb_mock_get_stats(s->mock, &st);
        in_flight = st.in_flight;
        queued = st.queued;
    }
    for (; s->marked < upto; s->marked++) {
        pb_second_mark m = {.run_id = s->run_id,
                            .sec = s->marked,
                            .in_flight = in_flight,
                            .queue = queued,
                            .breaker = PB_BREAKER_NONE,
                            .phase = s->phase};
        pb_recorder_second(s->rec, &m);
    }
}

static void *ticker_main(void *arg)
{
    pb_server_recording *s = arg;
    pthread_mutex_lock(&s->mu);
    while (!s->quit) {
        pb_usec due = s->t0 + (s->marked + 1) * PB_USEC_PER_SEC;
        pb_usec now = pb_monotime_now();
        if (now >= due) {
            mark_seconds(s, now, false);
            continue;
        }
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        pb_usec wait = due - now;
        ts.tv_sec += (time_t)(wait / PB_USEC_PER_SEC);
        ts.tv_nsec += (long)(wait % PB_USEC_PER_SEC) * 1000;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&s->wake, &s->mu, &ts);
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

int pb_server_recording_create(pb_recorder *rec, const pb_server_run_info *info,
                               pb_mock_phase_cb then, void *then_data, pb_server_recording **out,
                               pb_err *err)
{
    pb_server_recording *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return pb_err_set(err, PB_ENOMEM, "out of memory");
    char *profile = pb_mock_config_to_json(info->mock);
    s->label = strdup(info->label != NULL ? info->label : "mock");
    if (profile != NULL && s->label != NULL &&
        asprintf(&s->config_json, "{\"view\": \"server\", \"mock\": %s}", profile) < 0)
        s->config_json = NULL;
    free(profile);
    int rc = s->config_json == NULL ? pb_err_set(err, PB_ENOMEM, "out of memory")
                                     : pb_tally_init(&s->tally, err);
    if (rc != 0) {
        free(s->label);
        free(s->config_json);
        free(s);
        return rc;
    }
    s->rec = rec;
    s->compare_id = info->compare_id;
    s->seed = info->mock->seed;
    s->keep_every = info->keep_every;
    s->rollup_only = info->rollup_only;
    s->keep_requests_us = info->keep_requests_us;
    s->then = then;
    s->then_data = then_data;
    pthread_mutex_init(&s->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->wake, &ca);
    pthread_condattr_destroy(&ca);
    s->t0 = pb_monotime_now();
    *out = s;
    return 0;
}

void pb_server_recording_hooks(pb_server_recording *s, pb_mock_hooks *out)
{
    *out = (pb_mock_hooks){.phase = on_phase, .request = on_request, .data = s};
}

int pb_server_recording_begin(pb_server_recording *s, pb_mock *m, pb_err *err)
{
    char *versions = pb_run_versions_json(), *host = pb_run_host_text();
    pb_run_info info = {.compare_id = s->compare_id,
                        .label = s->label,
                        .pattern = "mock",
                        .params_json = "{}",
                        .config_json = s->config_json,
                        .target = pb_mock_url(m),
                        .seed = s->seed,
                        .versions_json = versions,
                        .host = host,
                        .keep_every = s->keep_every,
                        .rollup_only = s->rollup_only,
                        .keep_requests_us = s->keep_requests_us};
    int64_t id = 0;
    int rc = pb_recorder_begin_run(s->rec, &info, &id, err);
    free(versions);
    free(host);
    if (rc != 0)
        return rc;
    pb_recorder_get_stats(s->rec, &s->at_begin);
    snprintf(s->target, sizeof(s->target), "%s", pb_mock_url(m));
    pthread_mutex_lock(&s->mu);
    s->run_id = id;
    s->mock = m;
    for (size_t i = 0; i < s->n_early; i++) {
        s->early[i].run_id = id;
        pb_tally_add(&s->tally, &s->early[i]);
        pb_recorder_request(s->rec, &s->early[i]);
    }
    uint64_t lost = s->early_lost;
    if (s->phase_pending)
        phase_event(s, s->phase_at, s->phase, s->phase_name);
    s->phase_pending = false;
    pthread_mutex_unlock(&s->mu);
    if (lost > 0)
        fprintf(stderr, "patternbench: %llu requests answered before the run began were not "
                        "recorded\n", (unsigned long long)lost);
    if (pthread_create(&s->ticker, NULL, ticker_main, s) != 0)
        return pb_err_set(err, PB_ENOMEM, "cannot start the recording's clock thread");
    s->ticking = true;
    return 0;
}

int64_t pb_server_recording_run_id(const pb_server_recording *s)
{
    return s->run_id;
}

/* Stop closing seconds and reading the mock's gauges, before it stops. */
static void detach(pb_server_recording *s)
{
    pthread_mutex_lock(&s->mu);
    s->quit = true;
    s->mock = NULL;
    pthread_cond_signal(&s->wake);
    pthread_mutex_unlock(&s->mu);
    if (s->ticking)
        pthread_join(s->ticker, NULL);
    s->ticking = false;
}

int pb_server_recording_stop(pb_server_recording *s, pb_mock *m, const char *status,
                             pb_mock_stats *final, pb_err *err)
{
    pb_mock_stats counters;
    if (final == NULL)
        final = &counters;
    if (s == NULL) {
        pb_mock_stop_stats(m, final);
        return 0;
    }
    detach(s);
    pb_mock_stop_stats(m, final);
    int rc = 0;
    if (s->run_id != 0) {
        pb_usec end = pb_monotime_now();
        pthread_mutex_lock(&s->mu);
        mark_seconds(s, end, true);
        pthread_mutex_unlock(&s->mu);
        pb_run_summary *sum = calloc(1, sizeof(*sum));
        char *json = NULL;
        if (sum != NULL) {
            pb_tally_fill(&s->tally, (double)(end - s->t0) / 1e6, sum);
            sum->run_id = s->run_id;
            snprintf(sum->status, sizeof(sum->status), "%s", status);
            snprintf(sum->pattern_name, sizeof(sum->pattern_name), "mock");
            snprintf(sum->target, sizeof(sum->target), "%s", s->target);
            /* the recorder's figures over this run (it may hold others) */
            pb_recorder_stats rs;
            pb_recorder_get_stats(s->rec, &rs);
            sum->writer_stalls = rs.stalls - s->at_begin.stalls;
            sum->writer_stall_us = rs.stall_us - s->at_begin.stall_us;
            sum->rows_unstored = rs.rows_unstored - s->at_begin.rows_unstored;
            sum->disk_low = rs.disk_low;
            sum->db_bytes = rs.db_bytes;
            sum->has_server = m != NULL;
            sum->server = *final;
            json = pb_run_summary_to_json(sum);
        }
        rc = pb_recorder_end_run(s->rec, s->run_id, status, end - s->t0, json, err);
        free(json);
        free(sum);
    }
    pb_tally_cleanup(&s->tally);
    pthread_cond_destroy(&s->wake);
    pthread_mutex_destroy(&s->mu);
    free(s->label);
    free(s->config_json);
    free(s);
    return rc;
}
