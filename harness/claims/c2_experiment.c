/* C2's experiment: running the condition map's cells, and showing the map. */
#include "c2_experiment.h"

#include <stdint.h>
#include <string.h>

#include "engine.h"

/* C2's runs: the cascade depends only on which requests fail (the mock's
 * seeded draws, by task number), not on their timing, so the map's mock
 * answers in 1 ms to keep it fast; the failures are 503s at the cell's rate.
 * A cell's trial runs whole batches, about this many tasks per second of
 * trial. */
#define C2_CONCURRENCY 20
#define C2_LATENCY "fixed:1ms"
#define C2_TASKS_PER_SECOND 2000

/* One trial of one cell under on_error ("propagate", "isolate"). */
static int run_cell(pb_c2_cell *c, const char *on_error, pb_impl impl, const pb_trial_plan *tp,
                    uint64_t seed, pb_err *err)
{
    char label[64], batch[16], tasks[24], errors[32];
    snprintf(label, sizeof(label), "c2 %s p=%g n=%u", on_error, c->p, c->batch);
    snprintf(batch, sizeof(batch), "%u", c->batch);
    uint64_t budget = (uint64_t)((double)tp->duration / 1e6 * C2_TASKS_PER_SECOND);
    uint64_t n_tasks = pb_c2_tasks(c->batch, budget);
    snprintf(tasks, sizeof(tasks), "%llu", (unsigned long long)n_tasks);
    snprintf(errors, sizeof(errors), "503:%g", c->p);
    /* whole batches bound the run; the duration is only a safety net */
    const char *const params[] = {"batch", batch,      "on-error", on_error, "requests",
                                  tasks,   "duration", "120s",     NULL};
    const char *const py_args[] = {"--batch", batch, "--on-error", on_error, NULL};
    pb_arm arm = {.label = label,
                  .pattern = "semaphore",
                  .concurrency = C2_CONCURRENCY,
                  .c_params = params,
                  .py_args = py_args,
                  .tasks = n_tasks,
                  .latency = C2_LATENCY,
                  .errors = errors};
    pb_trial tr;
    int rc = impl == PB_IMPL_C ? pb_trial_run_c(&arm, tp, seed, &tr, err)
                               : pb_trial_run_python(&arm, tp, seed, &tr, err);
    if (rc != 0)
        return rc;
    pb_c2_cell_add(c, tr.ok, tr.failed, tr.lost, tr.cascaded);
    fprintf(stderr, "%-28s %-6s %6llu results, %6llu lost, cascade %5.1f %%\n", label,
            impl == PB_IMPL_C ? "C" : "Python", (unsigned long long)(tr.ok + tr.failed),
            (unsigned long long)tr.lost, c->cascade[c->n - 1] * 100);
    return 0;
}

int pb_c2_run_trial(pb_c2_map *m, pb_impl impl, int rate, const pb_trial_plan *tp, uint64_t seed,
                    pb_err *err)
{
    int rc = run_cell(&m->control, "isolate", impl, tp, seed, err);
    for (size_t i = 0; rc == 0 && i < PB_C2_RATES; i++)
        for (size_t j = 0;
             rc == 0 && (rate < 0 || (size_t)rate == i) && j < PB_C2_BATCHES && !pb_stop_requested;
             j++)
            rc = run_cell(&m->cell[i][j], "propagate", impl, tp, seed, err);
    return rc;
}

static void agree_cell(const pb_c2_cell *a, const pb_c2_cell *b, size_t *pairs, size_t *equal)
{
    size_t n = a->n < b->n ? a->n : b->n;
    for (size_t t = 0; t < n; t++) {
        (*pairs)++;
        *equal += a->cascade[t] == b->cascade[t];
    }
}

void pb_c2_agreement(const pb_c2_map *a, const pb_c2_map *b, size_t *pairs, size_t *equal)
{
    *pairs = *equal = 0;
    agree_cell(&a->control, &b->control, pairs, equal);
    for (size_t i = 0; i < PB_C2_RATES; i++)
        for (size_t j = 0; j < PB_C2_BATCHES; j++)
            agree_cell(&a->cell[i][j], &b->cell[i][j], pairs, equal);
}

json_t *pb_ci_json(const pb_ci *ci)
{
    return json_pack("{s:f, s:f, s:f, s:f, s:f}", "mean", ci->mean, "half", ci->half, "lo", ci->lo,
                     "hi", ci->hi, "sd", ci->sd);
}

static json_t *cell_json(const pb_c2_cell *c)
{
    json_t *per_trial = json_array();
    for (size_t t = 0; t < c->n; t++)
        json_array_append_new(per_trial, json_real(c->cascade[t]));
    json_t *j =
        json_pack("{s:f, s:i, s:i, s:f, s:I, s:I, s:I, s:I, s:o}", "error_rate", c->p, "batch",
                  (int)c->batch, "trials", (int)c->n, "expected", c->expected, "ok",
                  (json_int_t)c->ok, "failed", (json_int_t)c->failed, "lost", (json_int_t)c->lost,
                  "cascaded", (json_int_t)c->cascaded, "cascade_per_trial", per_trial);
    if (c->ready) {
        json_object_set_new(j, "cascade", pb_ci_json(&c->ci));
        json_object_set_new(j, "versus_sheet",
                            json_string(c->versus_sheet < 0    ? "lower"
                                        : c->versus_sheet == 1 ? "higher"
                                        : c->versus_sheet == 2 ? "undecided"
                                                               : "holds"));
    }
    return j;
}

json_t *pb_c2_map_json(const pb_c2_map *m)
{
    json_t *cells = json_array(), *at94 = json_array();
    for (size_t i = 0; i < PB_C2_RATES; i++) {
        for (size_t j = 0; j < PB_C2_BATCHES; j++)
            json_array_append_new(cells, cell_json(&m->cell[i][j]));
        json_array_append_new(at94, json_pack("{s:f, s:f}", "error_rate", pb_c2_rate(i), "batch",
                                              pb_c2_batch_for(pb_c2_rate(i), PB_C2_SHEET_DROP)));
    }
    return json_pack(
        "{s:s, s:s, s:s, s:f, s:o, s:o, s:o, s:s}", "cascade_rate",
        "successes whose result the caller never got because another task of their batch "
        "failed first (cascaded / ok answers)",
        "expected",
        "1 - (1 - p)^(n - 1): a success is lost when any of the batch's other n - 1 "
        "tasks fails",
        "mode", "semaphore --on-error propagate; the control runs isolate", "sheet_drop",
        PB_C2_SHEET_DROP, "cells", cells, "control", cell_json(&m->control), "sheet_drop_at", at94,
        "missing", m->missing);
}

/* "12.3 [11.3, 13.4] % [12.0] 94!", one trial's "12.3 % [12.0]", or "-". */
static void cell_text(const pb_c2_cell *c, char *buf, size_t len)
{
    if (c->ready)
        snprintf(buf, len, "%5.1f [%5.1f, %5.1f] %% [%5.1f]%s", c->ci.mean * 100, c->ci.lo * 100,
                 c->ci.hi * 100, c->expected * 100,
                 c->versus_sheet == 0   ? " 94!"
                 : c->versus_sheet == 2 ? " ?"
                                        : "");
    else if (c->n == 1)
        snprintf(buf, len, "%5.1f %% (1 trial) [%5.1f]", c->cascade[0] * 100,
                 pb_c2_expected(c->p, c->batch) * 100);
    else
        snprintf(buf, len, "-");
}

void pb_c2_map_print(FILE *out, const pb_c2_map *m, const char *who)
{
    fprintf(out,
            "\n  C2 condition map, %s: cascade rate under propagate (successes the caller never "
            "saw), measured [95 %% interval] [expected]\n",
            who);
    if (m->missing[0] != '\0')
        fprintf(out, "  (%s)\n", m->missing);
    fprintf(out, "  %-10s", "errors");
    for (size_t j = 0; j < PB_C2_BATCHES; j++) {
        char h[32];
        snprintf(h, sizeof(h), "batch %u", pb_c2_batch(j));
        fprintf(out, " | %-34s", h);
    }
    fprintf(out, "\n");
    for (size_t i = 0; i < PB_C2_RATES; i++) {
        char r[16];
        snprintf(r, sizeof(r), "%g %%", pb_c2_rate(i) * 100);
        fprintf(out, "  %-10s", r);
        for (size_t j = 0; j < PB_C2_BATCHES; j++) {
            char t[64];
            cell_text(&m->cell[i][j], t, sizeof(t));
            fprintf(out, " | %-34s", t);
        }
        fprintf(out, "\n");
    }
    fprintf(
        out,
        "  control (isolate, %g %% x %u): %llu results, %llu lost; 94!: the interval "
        "holds the sheet's 94 %% and is at most 10 points wide; ?: it holds 94 %% but is wider\n",
        m->control.p * 100, m->control.batch,
        (unsigned long long)(m->control.ok + m->control.failed),
        (unsigned long long)m->control.lost);
}
