#include "sim.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "registry.h"

#define SIM_MAX_ADMITS_PER_LOOP 10000000

static void *grow(void *p, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return p;
    size_t n = *cap ? *cap * 2 : 64;
    while (n < need)
        n *= 2;
    void *q = realloc(p, n * size);
    assert_non_null(q);
    *cap = n;
    return q;
}

static void on_event(void *data, const pb_event *ev)
{
    sim *s = data;
    s->ev = grow(s->ev, &s->cap_ev, s->n_ev + 1, sizeof(*s->ev));
    s->ev[s->n_ev++] = *ev;
}

void sim_init(sim *s, const char *pattern, const pb_pattern_params *p, sim_result_fn result,
              void *result_data)
{
    memset(s, 0, sizeof(*s));
    s->result = result;
    s->result_data = result_data;
    s->tick_every = 100 * PB_USEC_PER_MS;
    pb_err err = {0};
    int rc = pb_pattern_create(pattern, p, on_event, s, &s->pat, &err);
    if (rc != 0)
        fail_msg("creating %s: %s", pattern, err.msg);
}

void sim_cleanup(sim *s)
{
    pb_pattern_destroy(&s->pat);
    free(s->rec);
    free(s->in_flight);
    free(s->ev);
}

pb_pattern_state sim_state(const sim *s)
{
    pb_pattern_state st;
    s->pat.ops->state(s->pat.state, &st);
    return st;
}

static void checked(sim *s)
{
    s->calls++;
    if (s->check != NULL)
        s->check(s->check_data, s);
}

static void admit_loop(sim *s)
{
    for (long guard = 0; guard < SIM_MAX_ADMITS_PER_LOOP; guard++) {
        pb_admission a;
        s->pat.ops->admit(s->pat.state, s->now, &a);
        if (a.kind == PB_ADMIT_WAIT) {
            assert_true(a.wake_at > s->now); /* a WAIT until now would spin the engine */
            s->wake_at = a.wake_at;
            checked(s);
            return;
        }
        if (a.kind == PB_ADMIT_DONE) {
            s->done = true;
            s->wake_at = PB_USEC_NEVER;
            checked(s);
            return;
        }
        s->rec = grow(s->rec, &s->cap_rec, s->n_rec + 1, sizeof(*s->rec));
        sim_record *r = &s->rec[s->n_rec];
        *r = (sim_record){.adm = a, .at = s->now, .state = sim_state(s)};
        if (a.kind == PB_ADMIT_START) {
            r->res = (pb_result){.outcome = PB_OUTCOME_OK, .http_status = 200};
            s->result(s->result_data, s, &a, &r->res);
            r->res.ticket = a.ticket;
            s->in_flight =
                grow(s->in_flight, &s->cap_in_flight, s->n_in_flight + 1, sizeof(*s->in_flight));
            s->in_flight[s->n_in_flight++] = s->n_rec;
        } else {
            assert_int_equal(a.kind, PB_ADMIT_REJECT);
        }
        s->n_rec++;
        checked(s);
    }
    fail_msg("admit() never returned WAIT or DONE");
}

/* The in-flight request that ends first (ties: the earliest started). */
static long earliest_end(const sim *s, pb_usec *end)
{
    long best = -1;
    for (size_t i = 0; i < s->n_in_flight; i++) {
        const sim_record *r = &s->rec[s->in_flight[i]];
        pb_usec e = r->at + r->res.latency;
        if (best < 0 || e < *end) {
            best = (long)i;
            *end = e;
        }
    }
    return best;
}

void sim_start(sim *s, pb_usec start)
{
    s->start = s->now = start;
    s->next_tick = start + s->tick_every;
    s->pat.ops->start(s->pat.state, start);
    checked(s);
    admit_loop(s);
}

void sim_run(sim *s, pb_usec until)
{
    for (;;) {
        if (s->done && s->n_in_flight == 0)
            return;
        pb_usec end = PB_USEC_NEVER;
        long first = earliest_end(s, &end);
        pb_usec next = s->wake_at;
        if (end < next)
            next = end;
        if (s->next_tick < next)
            next = s->next_tick;
        if (next > until) {
            s->now = until;
            return;
        }
        assert_true(next >= s->now);
        s->now = next;
        if (first >= 0 && end <= s->now) {
            sim_record *r = &s->rec[s->in_flight[first]];
            s->in_flight[first] = s->in_flight[--s->n_in_flight];
            r->end = s->now;
            s->pat.ops->complete(s->pat.state, s->now, &r->res);
            checked(s);
            admit_loop(s);
            continue;
        }
        if (s->now >= s->next_tick || s->now >= s->wake_at) {
            s->pat.ops->tick(s->pat.state, s->now);
            checked(s);
            if (s->now >= s->next_tick)
                s->next_tick += s->tick_every;
            admit_loop(s);
        }
    }
}

void sim_set_rate(sim *s, double rate)
{
    s->pat.ops->set_rate(s->pat.state, s->now, rate);
    checked(s);
    admit_loop(s);
}

size_t sim_count(const sim *s, pb_admit_kind kind)
{
    size_t n = 0;
    for (size_t i = 0; i < s->n_rec; i++)
        n += s->rec[i].adm.kind == kind;
    return n;
}

size_t sim_count_events(const sim *s, pb_event_kind kind)
{
    size_t n = 0;
    for (size_t i = 0; i < s->n_ev; i++)
        n += s->ev[i].kind == kind;
    return n;
}

void sim_result_fixed(void *data, struct sim *s, const pb_admission *adm, pb_result *res)
{
    *res = *(const pb_result *)data;
}

pb_admission sim_decide(pb_pattern *pat, pb_usec now)
{
    pb_admission a;
    pat->ops->admit(pat->state, now, &a);
    return a;
}

void sim_finish_ok(pb_pattern *pat, pb_usec now, const pb_admission *a)
{
    pb_result r = {.ticket = a->ticket,
                   .outcome = PB_OUTCOME_OK,
                   .http_status = 200,
                   .latency = PB_USEC_PER_MS};
    pat->ops->complete(pat->state, now, &r);
}
