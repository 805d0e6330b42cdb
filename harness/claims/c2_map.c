/* C2's grid, its expectation and its verdict. */
#include "c2_map.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static const double rates[PB_C2_RATES] = {0.001, 0.01, 0.05};
static const uint32_t batches[PB_C2_BATCHES] = {10, 100, 1000};

/* The isolate control at the sheet's settings: its mock's 1 %, C1's batches of 1,000. */
#define CONTROL_RATE 0.01
#define CONTROL_BATCH 1000

double pb_c2_rate(size_t i)
{
    assert(i < PB_C2_RATES);
    return rates[i];
}

uint32_t pb_c2_batch(size_t j)
{
    assert(j < PB_C2_BATCHES);
    return batches[j];
}

double pb_c2_expected(double p, uint32_t n)
{
    return n == 0 ? 0.0 : 1.0 - pow(1.0 - p, (double)(n - 1));
}

double pb_c2_batch_for(double p, double rate)
{
    return 1.0 + log(1.0 - rate) / log(1.0 - p);
}

void pb_c2_cell_add(pb_c2_cell *c, uint64_t ok, uint64_t failed, uint64_t lost, uint64_t cascaded)
{
    if (c->n >= PB_C2_TRIALS_MAX)
        return;
    c->trial_ok[c->n] = (double)ok;
    c->trial_cascaded[c->n] = (double)cascaded;
    c->cascade[c->n++] = ok > 0 ? (double)cascaded / (double)ok : 0.0;
    c->ok += ok;
    c->failed += failed;
    c->lost += lost;
    c->cascaded += cascaded;
    c->requests += ok + failed;
}

void pb_c2_cell_finish(pb_c2_cell *c)
{
    c->expected = pb_c2_expected(c->p, c->batch);
    /* a share's interval: mean +- t * sd of a few trials' rates runs past
     * 0 and 100 % (66.7 +- 82.8 %); this one cannot */
    c->ready =
        c->n >= 2 && pb_stats_share95(c->trial_cascaded, c->trial_ok, c->n, &c->ci, NULL) == 0;
    if (!c->ready)
        return;
    c->versus_sheet = c->ci.hi < PB_C2_SHEET_DROP         ? -1
                      : c->ci.lo > PB_C2_SHEET_DROP       ? 1
                      : c->ci.half <= PB_C2_DECISIVE_HALF ? 0
                                                          : 2;
}

void pb_c2_map_init(pb_c2_map *m)
{
    memset(m, 0, sizeof(*m));
    for (size_t i = 0; i < PB_C2_RATES; i++)
        for (size_t j = 0; j < PB_C2_BATCHES; j++) {
            m->cell[i][j].p = rates[i];
            m->cell[i][j].batch = batches[j];
        }
    m->control.p = CONTROL_RATE;
    m->control.batch = CONTROL_BATCH;
}

uint64_t pb_c2_tasks(uint32_t batch, uint64_t budget)
{
    uint64_t n = (budget + batch - 1) / batch;
    return (n < 3 ? 3 : n) * batch;
}

/* "5 % x 100 (97.1 ± 2.0 %)" for each cell whose side of 94 % is `side`. */
static size_t list_cells(const pb_c2_map *m, int side, char *buf, size_t len)
{
    size_t used = 0, count = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < PB_C2_RATES; i++)
        for (size_t j = 0; j < PB_C2_BATCHES; j++) {
            const pb_c2_cell *c = &m->cell[i][j];
            if (c->versus_sheet != side || used >= len)
                continue;
            used += (size_t)snprintf(buf + used, len - used, "%s%g %% x %u (%.1f [%.1f, %.1f] %%)",
                                     count ? ", " : "", c->p * 100, c->batch, c->ci.mean * 100,
                                     c->ci.lo * 100, c->ci.hi * 100);
            count++;
        }
    if (count == 0)
        snprintf(buf, len, "none");
    return count;
}

void pb_c2_verdict(const pb_c2_map *m, char *word, size_t wlen, char *reason, size_t rlen)
{
    bool ready = m->control.ready;
    for (size_t i = 0; i < PB_C2_RATES; i++)
        for (size_t j = 0; j < PB_C2_BATCHES; j++)
            ready = ready && m->cell[i][j].ready;
    if (!ready) {
        snprintf(word, wlen, "not measured");
        snprintf(reason, rlen, "%s", m->missing[0] ? m->missing : "fewer than 2 trials per cell");
        return;
    }
    char holds[320], below[320], above[320], undecided[320];
    list_cells(m, 0, holds, sizeof(holds));
    list_cells(m, -1, below, sizeof(below));
    list_cells(m, 1, above, sizeof(above));
    list_cells(m, 2, undecided, sizeof(undecided));
    if (m->control.lost > 0) {
        /* isolate cannot lose a result; if it did, the pattern is wrong */
        snprintf(word, wlen, "contradicted");
        snprintf(reason, rlen, "isolate lost %llu results, which it cannot: a bug to report",
                 (unsigned long long)m->control.lost);
        return;
    }
    if (list_cells(m, 0, holds, sizeof(holds)) == 0) {
        /* "reproduced only when ..." beside "holds at: none" said nothing */
        snprintf(word, wlen, "not reproduced at any tested condition");
        snprintf(reason, rlen,
                 "no cell's 95 %% interval holds 94 %% within 5 points; lower at: %s; higher "
                 "at: %s; undecided (the interval holds 94 %% but is wider) at: %s; "
                 "isolate lost none of %llu results. Where it would hold: independence puts a 94 %% "
                 "cascade at batches of %.0f (0.1 %% errors), %.0f (1 %%), %.0f (5 %%), "
                 "none of them a tested batch size",
                 below, above, undecided, (unsigned long long)(m->control.ok + m->control.failed),
                 pb_c2_batch_for(0.001, PB_C2_SHEET_DROP), pb_c2_batch_for(0.01, PB_C2_SHEET_DROP),
                 pb_c2_batch_for(0.05, PB_C2_SHEET_DROP));
        return;
    }
    snprintf(word, wlen, "reproduced only when 1 - (1 - p)^(n - 1) is near 94 %%");
    snprintf(reason, rlen,
             "isolate lost none of %llu results (control: %g %% errors, batches of %u), so as a "
             "relative reduction the drop is 100 %% wherever propagate lost anything; 94 %% fits "
             "only as the fall of propagate's cascade rate (successes the caller never saw) to "
             "0, which holds (95 %% interval holds 94 %%, at most 10 points wide) at: %s; "
             "lower at: %s; higher at: "
             "%s; undecided (CI holds 94 %% but is wider) at: %s. Independence predicts 94 %% at "
             "batches of %.0f (0.1 %% errors), %.0f (1 %%), %.0f (5 %%)",
             (unsigned long long)(m->control.ok + m->control.failed), m->control.p * 100,
             m->control.batch, holds, below, above, undecided,
             pb_c2_batch_for(0.001, PB_C2_SHEET_DROP), pb_c2_batch_for(0.01, PB_C2_SHEET_DROP),
             pb_c2_batch_for(0.05, PB_C2_SHEET_DROP));
}
