#include "selfmon.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

/* User + system CPU time of the whole process (every thread: the client
 * threads, the writer and the built-in mock's as well), in us. */
static pb_usec process_cpu_us(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return 0;
    return (pb_usec)ru.ru_utime.tv_sec * PB_USEC_PER_SEC + (pb_usec)ru.ru_utime.tv_usec +
           (pb_usec)ru.ru_stime.tv_sec * PB_USEC_PER_SEC + (pb_usec)ru.ru_stime.tv_usec;
}

/* Resident bytes from /proc/self/statm (its second field, in pages); 0 when unreadable. */
static uint64_t resident_bytes(long page_bytes)
{
    FILE *f = fopen("/proc/self/statm", "r");
    if (f == NULL)
        return 0;
    unsigned long size = 0, resident = 0;
    int got = fscanf(f, "%lu %lu", &size, &resident);
    fclose(f);
    return got == 2 && page_bytes > 0 ? (uint64_t)resident * (uint64_t)page_bytes : 0;
}

void pb_selfmon_init(pb_selfmon *m, double cpus, pb_usec now)
{
    memset(m, 0, sizeof(*m));
    m->cpus = cpus >= 1.0 ? cpus : 1.0;
    m->last_probe = now;
    m->wall0 = now;
    m->cpu_us0 = process_cpu_us();
    m->page_bytes = sysconf(_SC_PAGESIZE);
}

void pb_selfmon_cleanup(pb_selfmon *m)
{
    free(m->p99_ms);
    m->p99_ms = NULL;
    m->n_p99 = m->cap_p99 = 0;
}

void pb_selfmon_probe(pb_selfmon *m, pb_usec now)
{
    /* due PB_SELFMON_PROBE_MS after the previous run; later is time the loop
     * spent elsewhere (a long turn, a wait for the writer) */
    pb_usec due = m->last_probe + PB_SELFMON_PROBE_MS * PB_USEC_PER_MS;
    m->last_probe = now;
    if (m->n_lag < PB_SELFMON_LAG_SAMPLES)
        m->lag[m->n_lag++] = now > due ? now - due : 0;
}

static int cmp_usec(const void *a, const void *b)
{
    pb_usec x = *(const pb_usec *)a, y = *(const pb_usec *)b;
    return (x > y) - (x < y);
}

void pb_selfmon_close_second(pb_selfmon *m, pb_usec now, pb_selfmon_second *out)
{
    pb_usec cpu = process_cpu_us();
    pb_usec wall = now > m->wall0 ? now - m->wall0 : 0;
    out->cpu_pct =
        wall > 0 && cpu >= m->cpu_us0 ? (double)(cpu - m->cpu_us0) / (double)wall * 100.0 : 0.0;
    out->rss_bytes = resident_bytes(m->page_bytes);
    out->lag_p99 = 0;
    if (m->n_lag > 0) {
        /* nearest rank: at 100 samples the second-highest */
        qsort(m->lag, m->n_lag, sizeof(m->lag[0]), cmp_usec);
        size_t rank = (size_t)ceil(0.99 * (double)m->n_lag);
        out->lag_p99 = m->lag[rank > 0 ? rank - 1 : 0];
    }
    m->n_lag = 0;
    m->cpu_us0 = cpu;
    m->wall0 = now;
}

void pb_selfmon_add_second(pb_selfmon *m, const pb_selfmon_second *s, double p99_ms)
{
    bool lagged = s->lag_p99 > PB_SELFMON_LAG_LIMIT_US;
    bool cpu_bound = s->cpu_pct >= PB_SELFMON_CPU_LIMIT * m->cpus * 100.0;
    m->seconds++;
    m->lagged += lagged;
    m->cpu_bound += cpu_bound;
    m->saturated += lagged || cpu_bound;
    m->cpu_sum += s->cpu_pct;
    if (s->cpu_pct > m->cpu_max)
        m->cpu_max = s->cpu_pct;
    if (s->lag_p99 > m->lag_max)
        m->lag_max = s->lag_p99;
    if (s->rss_bytes > m->rss_max)
        m->rss_max = s->rss_bytes;
    if (m->history_lost)
        return;
    if (m->n_p99 == m->cap_p99) {
        /* a 72-hour run keeps 259,200 doubles: 2 MB, grown once an hour or so */
        size_t cap = m->cap_p99 == 0 ? 1024 : m->cap_p99 * 2;
        double *np = realloc(m->p99_ms, cap * sizeof(*np));
        if (np == NULL) {
            m->history_lost = true;
            return;
        }
        m->p99_ms = np;
        m->cap_p99 = cap;
    }
    m->p99_ms[m->n_p99++] = p99_ms;
}

void pb_selfmon_verdict_get(const pb_selfmon *m, pb_selfmon_verdict *out)
{
    *out = (pb_selfmon_verdict){
        .seconds = m->seconds,
        .seconds_lagged = m->lagged,
        .seconds_cpu_bound = m->cpu_bound,
        .seconds_saturated = m->saturated,
        .cpus = m->cpus,
        .cpu_pct_mean = m->seconds > 0 ? m->cpu_sum / (double)m->seconds : 0.0,
        .cpu_pct_max = m->cpu_max,
        .lag_p99_max = m->lag_max,
        .rss_max_bytes = m->rss_max,
    };
    out->generator_bound =
        m->saturated > 0 && (double)m->saturated >= PB_SELFMON_SATURATED_SHARE * (double)m->seconds;
}

void pb_selfmon_p99_drift(const pb_selfmon *m, pb_drift *out)
{
    pb_drift_compute(m->p99_ms, m->history_lost ? 0 : m->n_p99, out);
}
