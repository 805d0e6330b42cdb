/* A discrete-event driver for pattern tests: it plays the engine's part
 * (admit until WAIT/DONE, complete each START once, tick at wake_at and every
 * 100 ms) on a fake clock, with request results chosen by the test. No real
 * time passes and nothing sleeps. */
#ifndef PB_TEST_SIM_H
#define PB_TEST_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pattern.h"

struct sim;

/* Decide how the request `adm`, started at `now`, ends: fill outcome,
 * http_status, latency and retry_after (ticket is filled by the sim). */
typedef void (*sim_result_fn)(void *data, struct sim *s, const pb_admission *adm, pb_result *res);

/* Called after every call into the pattern, to check invariants. */
typedef void (*sim_check_fn)(void *data, struct sim *s);

/* One admission the pattern made (START or REJECT), with what became of it. */
typedef struct sim_record {
    pb_admission adm;
    pb_usec at;             /* when admit() returned it */
    pb_pattern_state state; /* the pattern's state right after */
    pb_result res;          /* START: its result */
    pb_usec end;            /* START: when it completed (0 while in flight) */
} sim_record;

typedef struct sim {
    pb_pattern pat;
    pb_usec now, start, tick_every, next_tick, wake_at;
    bool done;
    sim_record *rec;
    size_t n_rec, cap_rec;
    size_t *in_flight; /* indexes into rec */
    size_t n_in_flight, cap_in_flight;
    pb_event *ev;
    size_t n_ev, cap_ev;
    sim_result_fn result;
    void *result_data;
    sim_check_fn check;
    void *check_data;
    uint64_t calls; /* admit/complete/tick calls made */
} sim;

/* Create `pattern` with p; events are logged in s->ev. Fails the test on error. */
void sim_init(sim *s, const char *pattern, const pb_pattern_params *p, sim_result_fn result,
              void *result_data);
void sim_cleanup(sim *s);

/* Start the pattern at `start` and run its first admissions. */
void sim_start(sim *s, pb_usec start);

/* Advance the fake clock event by event until the pattern is DONE with
 * nothing in flight, or the clock would pass `until`. */
void sim_run(sim *s, pb_usec until);

/* Change the open-loop rate at the current time and admit what follows. */
void sim_set_rate(sim *s, double rate);

/* The pattern's state now. */
pb_pattern_state sim_state(const sim *s);

/* Count records of a kind (START or REJECT). */
size_t sim_count(const sim *s, pb_admit_kind kind);

/* Count events of a kind. */
size_t sim_count_events(const sim *s, pb_event_kind kind);

/* Constant-latency outcomes: *(const pb_result *)data is copied for every request. */
void sim_result_fixed(void *data, struct sim *s, const pb_admission *adm, pb_result *res);

/* Outside a sim, by hand: one admission decision of pat at now, and the
 * completion of admission a at now as a 200 in 1 ms. */
pb_admission sim_decide(pb_pattern *pat, pb_usec now);
void sim_finish_ok(pb_pattern *pat, pb_usec now, const pb_admission *a);

#endif
