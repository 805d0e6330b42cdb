#include "run_summary.h"

#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <string.h>

#include "json_out.h"
#include "mock_stats.h"
#include "mock_vocab.h"
#include "units.h"

bool pb_run_summary_unanswered(const pb_run_summary *s, char *buf, size_t len)
{
    if (s->answered > 0 || s->network == 0)
        return false;
    size_t n = (size_t)snprintf(buf, len, "no request got an answer from %s:", s->target);
    const char *sep = "";
    int most = -1;
    for (int o = 0; o < PB_OUTCOME_COUNT && n < len; o++) {
        if (s->outcomes[o] == 0 || o == PB_OUTCOME_REJECTED_BY_BREAKER ||
            o == PB_OUTCOME_DROPPED_BY_BACKPRESSURE)
            continue;
        n += (size_t)snprintf(buf + n, len - n, "%s %" PRIu64 " %s", sep, s->outcomes[o],
                              pb_outcome_name((pb_outcome)o));
        sep = ",";
        if (most < 0 || s->outcomes[o] > s->outcomes[most])
            most = o;
    }
    if (n < len && most >= 0 && s->errors[most][0] != '\0')
        snprintf(buf + n, len - n, " (%s)", s->errors[most]);
    return true;
}

static const char *dur(pb_usec us, char *buf, size_t len)
{
    return pb_format_duration(us, buf, len);
}

void pb_run_summary_print(const pb_run_summary *s, const char *db, FILE *out)
{
    char a[32], b[32], c[32], d[32], e[32], f[32], g[32];
    fprintf(out, "\n%s: %s run of %s against %s%s, %.2fs\n",
            s->run_id > 0 ? "run" : "unrecorded run", s->status, s->pattern_name, s->target,
            s->insecure ? " (--insecure: its certificate was not verified)" : "", s->duration_s);
    if (s->has_harness && s->harness.generator_bound)
        fprintf(out, "  GENERATOR-BOUND: the harness itself was saturated (see 'generator' "
                     "below), so these figures measure the client as much as the target\n");
    fprintf(out,
            "  requests    %" PRIu64 " (%" PRIu64 " reached the network, %" PRIu64
            " failed: %.2f%%)\n",
            s->requests, s->network, s->failed, 100.0 * s->error_rate);
    fprintf(out,
            "  req/s       %.1f  (peak %u in flight, %" PRIu64
            " connections opened, %u client threads)\n",
            s->rps, s->peak_in_flight, s->connections, s->client_threads);
    fprintf(out, "  outcomes   ");
    for (int o = 0; o < PB_OUTCOME_COUNT; o++)
        if (s->outcomes[o] > 0)
            fprintf(out, " %s %" PRIu64, pb_outcome_name((pb_outcome)o), s->outcomes[o]);
    if (s->requests == 0)
        fprintf(out, " none");
    fprintf(out, "\n");
    fprintf(out, "  statuses   ");
    bool any = false;
    for (int st = 1; st < 600; st++)
        if (s->status_counts[st] > 0) {
            fprintf(out, " %d: %" PRIu64, st, s->status_counts[st]);
            any = true;
        }
    fprintf(out, "%s\n", any ? "" : " none");
    for (int o = 0; o < PB_OUTCOME_COUNT; o++)
        if (s->errors[o][0] != '\0')
            fprintf(out, "  %-11s e.g. %s\n", pb_outcome_name((pb_outcome)o), s->errors[o]);
    if (s->answered == 0 && s->network > 0)
        fprintf(out, "  latency     none: no request got an answer\n");
    if (s->answered > 0) {
        fprintf(out, "  latency     min %s  p50 %s  p90 %s  p99 %s  p99.9 %s  max %s  mean %s\n",
                dur(s->min, a, sizeof(a)), dur(s->p50, b, sizeof(b)), dur(s->p90, c, sizeof(c)),
                dur(s->p99, d, sizeof(d)), dur(s->p999, e, sizeof(e)), dur(s->max, f, sizeof(f)),
                dur((pb_usec)s->mean, g, sizeof(g)));
        fprintf(out, "  corrected   p50 %s  p99 %s  (from the intended start)\n",
                dur(s->cp50, a, sizeof(a)), dur(s->cp99, b, sizeof(b)));
    }
    const pb_pattern_state *p = &s->pattern;
    fprintf(out,
            "  pattern     produced %" PRIu64 "  consumed %" PRIu64 "  dropped %" PRIu64
            "  rejected %" PRIu64 "  retries %" PRIu64 "  limit changes %" PRIu64
            "  breaker transitions %" PRIu64 "  limit %u\n",
            p->produced, p->consumed, p->dropped, p->rejected, p->retries, p->limit_changes,
            s->breaker_transitions, p->limit);
    if (s->pattern.lost > 0)
        fprintf(out,
                "  lost        %" PRIu64 " results never reached the caller (a failure raised "
                "in gather first); %" PRIu64 " of them successes\n",
                p->lost, p->cascaded);
    if (s->has_server) {
        /* every way the server answered, from the mock's own table of counters */
        fprintf(out, "  server      received %" PRIu64 ":", s->server.requests);
#define SERVER_KIND_OUTCOMES(counter) fprintf(out, "  %s %" PRIu64, #counter, s->server.counter);
#define SERVER_KIND_REQUESTS(counter)
#define SERVER_KIND_RESENT(counter)
#define SERVER_KIND_CONNECTIONS_DROPPED(counter)
#define SERVER_KIND_RECEIVED_BYTES(counter)                                                        \
    if (s->server.counter > 0)                                                                     \
        fprintf(out, "  body bytes received %" PRIu64, s->server.counter);
#define SERVER_COUNTER(counter, kind, label) SERVER_KIND_##kind(counter)
        PB_MOCK_COUNTER_MAP(SERVER_COUNTER)
#undef SERVER_COUNTER
#undef SERVER_KIND_OUTCOMES
#undef SERVER_KIND_REQUESTS
#undef SERVER_KIND_RESENT
#undef SERVER_KIND_CONNECTIONS_DROPPED
#undef SERVER_KIND_RECEIVED_BYTES
        fprintf(out, "\n");
    }
    if (s->n_targets > 0) {
        fprintf(out, "  targets     %u%s:\n", s->targets_total,
                s->targets_total > s->n_targets ? " (the last line counts the rest too)" : "");
        for (uint32_t i = 0; i < s->n_targets; i++) {
            const pb_target_figures *t = &s->targets[i];
            fprintf(out, "    %-4u %-40s %8" PRIu64 " requests  ok %5.1f%%  p50 %-8s p99 %s\n", i,
                    t->label, t->attempts,
                    t->network > 0 ? 100.0 * (double)t->ok / (double)t->network : 0.0,
                    dur(t->p50, a, sizeof(a)), dur(t->p99, b, sizeof(b)));
        }
    }
    if (s->resent > 0)
        fprintf(out,
                "  resent      %" PRIu64 " (libcurl re-sent them on a fresh connection after "
                "a reused one closed without a reply)\n",
                s->resent);
    if (s->abandoned > 0)
        fprintf(out, "  abandoned   %" PRIu64 " in flight when the run was stopped at once\n",
                s->abandoned);
    if (s->writer_stalls > 0)
        fprintf(out, "  writer      %" PRIu64 " stalls, %s waiting for the database\n",
                s->writer_stalls, dur(s->writer_stall_us, a, sizeof(a)));
    if (s->rows_dropped > 0)
        fprintf(out,
                "  dropped     %" PRIu64 " request rows older than --keep-requests as the run "
                "went; the per-second rollup keeps every second\n",
                s->rows_dropped);
    if (s->rows_unstored > 0)
        fprintf(out,
                "  stored      %" PRIu64 " of %" PRIu64 " request rows%s; the per-second rollup "
                "counts all\n",
                s->requests - s->rows_unstored, s->requests,
                s->disk_low ? " (free space fell below the reserve)" : "");
    if (s->has_harness) {
        const pb_selfmon_verdict *h = &s->harness;
        fprintf(out,
                "  harness     CPU %.0f %% mean, %.0f %% max (of %.0f CPUs = %.0f %%), RSS %.1f MB "
                "max, loop lag p99 %s max\n",
                h->cpu_pct_mean, h->cpu_pct_max, h->cpus, h->cpus * 100.0,
                (double)h->rss_max_bytes / 1e6, dur(h->lag_p99_max, a, sizeof(a)));
        fprintf(out,
                "  generator   %s: %" PRIu64 " of %" PRIu64 " s saturated (%" PRIu64
                " with loop lag p99 > %d ms, %" PRIu64 " with CPU >= %.0f %% of the CPUs; "
                "bound at >= %.0f %% of seconds)\n",
                h->generator_bound ? "generator-bound" : "not bound", h->seconds_saturated,
                h->seconds, h->seconds_lagged, PB_SELFMON_LAG_LIMIT_US / 1000, h->seconds_cpu_bound,
                PB_SELFMON_CPU_LIMIT * 100.0, PB_SELFMON_SATURATED_SHARE * 100.0);
        if (s->p99_drift.verdict != PB_DRIFT_UNKNOWN)
            fprintf(out, "  p99 drift   %+.2f %%/h (%s)\n", s->p99_drift.pct_per_h,
                    pb_drift_verdict_name(s->p99_drift.verdict));
    }
    if (db != NULL && s->run_id > 0)
        fprintf(out, "  recorded    run %" PRId64 " in %s\n", s->run_id, db);
}

/* jansson's setters return -1 only when out of memory; collect that once. */
static int put(json_t *obj, const char *key, json_t *val)
{
    return val == NULL ? -1 : json_object_set_new(obj, key, val);
}

/* A finite number, or null (jansson has no NaN). */
static json_t *real_or_null(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

/* "generator_bound" and "harness" (the figures that decided it), and
 * "p99_drift" once the run is long enough to judge. */
static int put_harness(json_t *root, const pb_run_summary *s)
{
    const pb_selfmon_verdict *h = &s->harness;
    int bad = put(root, "generator_bound", json_boolean(h->generator_bound));
    json_t *o = json_object();
    bad |= o == NULL;
    if (o != NULL) {
        bad |= put(o, "cpus", json_real(h->cpus));
        bad |= put(o, "cpu_pct_mean", json_real(h->cpu_pct_mean));
        bad |= put(o, "cpu_pct_max", json_real(h->cpu_pct_max));
        bad |= put(o, "rss_max_bytes", json_integer((json_int_t)h->rss_max_bytes));
        bad |= put(o, "loop_lag_p99_max_us", json_integer((json_int_t)h->lag_p99_max));
        bad |= put(o, "seconds", json_integer((json_int_t)h->seconds));
        bad |= put(o, "seconds_lagged", json_integer((json_int_t)h->seconds_lagged));
        bad |= put(o, "seconds_cpu_bound", json_integer((json_int_t)h->seconds_cpu_bound));
        bad |= put(o, "seconds_saturated", json_integer((json_int_t)h->seconds_saturated));
        bad |= put(o, "rule",
                   json_pack("{s:i, s:f, s:f}", "loop_lag_p99_above_us", PB_SELFMON_LAG_LIMIT_US,
                             "cpu_share_at_least", PB_SELFMON_CPU_LIMIT, "seconds_share_at_least",
                             PB_SELFMON_SATURATED_SHARE));
    }
    bad |= put(root, "harness", o);
    const pb_drift *d = &s->p99_drift;
    if (d->verdict != PB_DRIFT_UNKNOWN)
        bad |= put(root, "p99_drift",
                   json_pack("{s:o, s:o, s:o, s:o, s:s}", "pct_per_h", real_or_null(d->pct_per_h),
                             "ms_per_h", real_or_null(d->slope_per_h), "ms_per_h_lo",
                             real_or_null(d->lo_per_h), "ms_per_h_hi", real_or_null(d->hi_per_h),
                             "verdict", pb_drift_verdict_name(d->verdict)));
    return bad;
}

/* Each mock phase's figures: the per-phase scoreboard's input. */
/* Per target: index, label, requests, ok share, p50/p99 of the answered. */
static json_t *targets_json(const pb_run_summary *s)
{
    json_t *arr = json_array();
    for (uint32_t i = 0; arr != NULL && i < s->n_targets; i++) {
        const pb_target_figures *f = &s->targets[i];
        json_t *o = json_pack("{s:i,s:s,s:I,s:I,s:I,s:f,s:I,s:I}", "index", (int)i, "target",
                              f->label, "requests", (json_int_t)f->attempts, "network",
                              (json_int_t)f->network, "ok", (json_int_t)f->ok, "ok_share",
                              f->network > 0 ? (double)f->ok / (double)f->network : 0.0, "p50_us",
                              (json_int_t)f->p50, "p99_us", (json_int_t)f->p99);
        if (o == NULL || json_array_append_new(arr, o) != 0) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

static json_t *phases_json(const pb_run_summary *s)
{
    json_t *arr = json_array();
    for (int i = 0; arr != NULL && i < s->n_phases; i++) {
        const pb_phase_figures *f = &s->phases[i];
        json_t *o = json_object(), *out = json_object();
        for (int k = 0; out != NULL && k < PB_OUTCOME_COUNT; k++)
            json_object_set_new(out, pb_outcome_name((pb_outcome)k),
                                json_integer((json_int_t)f->outcomes[k]));
        int bad = o == NULL || out == NULL;
        bad |= put(o, "name", json_string(f->name));
        bad |= put(o, "start_s", json_real(f->start_s));
        bad |= put(o, "end_s", json_real(f->end_s));
        bad |= put(o, "tasks", json_integer((json_int_t)f->tasks));
        bad |= put(o, "attempts", json_integer((json_int_t)f->attempts));
        bad |= put(o, "network", json_integer((json_int_t)f->network));
        bad |= put(o, "answered", json_integer((json_int_t)f->answered));
        bad |= put(o, "outcomes", out);
        if (f->answered > 0) {
            bad |= put(o, "p99_us", json_integer((json_int_t)f->p99));
            bad |= put(o, "cp99_us", json_integer((json_int_t)f->cp99));
        }
        if (bad || json_array_append_new(arr, o) != 0) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

char *pb_run_summary_to_json(const pb_run_summary *s)
{
    json_t *root = json_object(), *outcomes = json_object(), *status = json_object(),
           *lat = json_object(), *corr = json_object(), *pat = json_object();
    char *text = NULL;
    int bad = root == NULL || outcomes == NULL || status == NULL || lat == NULL || corr == NULL ||
              pat == NULL;
    if (bad)
        goto done;
    bad |= put(root, "run_id", json_integer(s->run_id));
    bad |= put(root, "run_status", json_string(s->status));
    bad |= put(root, "pattern_name", json_string(s->pattern_name));
    bad |= put(root, "target", json_string(s->target));
    if (s->insecure)
        bad |= put(root, "insecure", json_true());
    bad |= put(root, "requests", json_integer((json_int_t)s->requests));
    bad |= put(root, "tasks", json_integer((json_int_t)s->tasks));
    bad |= put(root, "network", json_integer((json_int_t)s->network));
    bad |= put(root, "failed", json_integer((json_int_t)s->failed));
    bad |= put(root, "answered", json_integer((json_int_t)s->answered));
    bad |= put(root, "duration_s", json_real(s->duration_s));
    bad |= put(root, "rps", json_real(s->rps));
    bad |= put(root, "error_rate", json_real(s->error_rate));
    bad |= put(root, "bytes", json_integer((json_int_t)s->bytes));
    for (int o = 0; o < PB_OUTCOME_COUNT; o++)
        bad |=
            put(outcomes, pb_outcome_name((pb_outcome)o), json_integer((json_int_t)s->outcomes[o]));
    for (int st = 1; st < 600; st++)
        if (s->status_counts[st] > 0) {
            char key[16];
            snprintf(key, sizeof(key), "%d", st);
            bad |= put(status, key, json_integer((json_int_t)s->status_counts[st]));
        }
    /* no answer, no latency: the objects stay empty rather than hold zeros */
    if (s->answered > 0) {
        bad |= put(lat, "min", json_integer((json_int_t)s->min));
        bad |= put(lat, "mean", json_real(s->mean));
        bad |= put(lat, "p50", json_integer((json_int_t)s->p50));
        bad |= put(lat, "p90", json_integer((json_int_t)s->p90));
        bad |= put(lat, "p95", json_integer((json_int_t)s->p95));
        bad |= put(lat, "p99", json_integer((json_int_t)s->p99));
        bad |= put(lat, "p999", json_integer((json_int_t)s->p999));
        bad |= put(lat, "max", json_integer((json_int_t)s->max));
        bad |= put(corr, "p50", json_integer((json_int_t)s->cp50));
        bad |= put(corr, "p99", json_integer((json_int_t)s->cp99));
    }
    const pb_pattern_state *p = &s->pattern;
    bad |= put(pat, "produced", json_integer((json_int_t)p->produced));
    bad |= put(pat, "consumed", json_integer((json_int_t)p->consumed));
    bad |= put(pat, "dropped", json_integer((json_int_t)p->dropped));
    bad |= put(pat, "rejected", json_integer((json_int_t)p->rejected));
    bad |= put(pat, "retries", json_integer((json_int_t)p->retries));
    bad |= put(pat, "limit_changes", json_integer((json_int_t)p->limit_changes));
    bad |= put(pat, "lost", json_integer((json_int_t)p->lost));
    bad |= put(pat, "cascaded", json_integer((json_int_t)p->cascaded));
    bad |= put(pat, "breaker_transitions", json_integer((json_int_t)s->breaker_transitions));
    bad |= put(pat, "limit", json_integer(p->limit));
    bad |= put(pat, "breaker", json_string(pb_breaker_state_name(p->breaker)));
    bad |= json_object_set(root, "outcomes", outcomes);
    bad |= json_object_set(root, "status", status);
    bad |= json_object_set(root, "latency_us", lat);
    bad |= json_object_set(root, "corrected_latency_us", corr);
    bad |= json_object_set(root, "pattern", pat);
    bad |= put(root, "writer_stalls", json_integer((json_int_t)s->writer_stalls));
    bad |= put(root, "writer_stall_us", json_integer((json_int_t)s->writer_stall_us));
    bad |= put(root, "rows_unstored", json_integer((json_int_t)s->rows_unstored));
    bad |= put(root, "rows_dropped", json_integer((json_int_t)s->rows_dropped));
    bad |= put(root, "db_bytes", json_integer((json_int_t)s->db_bytes));
    bad |= put(root, "disk_low", json_boolean(s->disk_low));
    bad |= put(root, "resent", json_integer((json_int_t)s->resent));
    bad |= put(root, "abandoned", json_integer((json_int_t)s->abandoned));
    bad |= put(root, "peak_in_flight", json_integer(s->peak_in_flight));
    bad |= put(root, "connections", json_integer((json_int_t)s->connections));
    bad |= put(root, "client_threads", json_integer(s->client_threads));
    if (s->signal != 0)
        bad |= put(root, "signal", json_integer(s->signal));
    json_t *phases = json_array();
    bad |= phases == NULL;
    int last = -1;
    for (int i = 0; i < PB_MAX_PHASES; i++)
        if (s->phase_sent[i] > 0)
            last = i;
    for (int i = 0; phases != NULL && i <= last; i++)
        bad |= json_array_append_new(phases, json_integer((json_int_t)s->phase_sent[i]));
    bad |= put(root, "phase_sent", phases);
    if (s->n_phases > 0)
        bad |= put(root, "phases", phases_json(s));
    if (s->n_targets > 0)
        bad |= put(root, "targets", targets_json(s));
    json_t *errors = json_object();
    bad |= errors == NULL;
    for (int o = 0; errors != NULL && o < PB_OUTCOME_COUNT; o++)
        if (s->errors[o][0] != '\0')
            bad |= put(errors, pb_outcome_name((pb_outcome)o), json_string(s->errors[o]));
    bad |= put(root, "errors", errors);
    if (pb_segment_active(s->segment) || s->start_aimed_us != 0) {
        json_t *seg = json_object();
        bad |= seg == NULL;
        if (seg != NULL && pb_segment_active(s->segment)) {
            bad |= put(seg, "index", json_integer(s->segment.index));
            bad |= put(seg, "count", json_integer(s->segment.count));
        }
        if (seg != NULL && s->start_aimed_us != 0)
            bad |= put(seg, "start_aimed_us", json_integer((json_int_t)s->start_aimed_us));
        if (seg != NULL)
            bad |= put(seg, "start_achieved_us", json_integer((json_int_t)s->start_achieved_us));
        bad |= put(root, "segment", seg);
    }
    if (s->has_harness)
        bad |= put_harness(root, s);
    /* the mock's own JSON, as GET /__admin/stats answers it */
    if (s->has_server)
        bad |= put(root, "server", pb_mock_stats_json(&s->server));
    if (!bad)
        text = pb_json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
done:
    json_decref(outcomes);
    json_decref(status);
    json_decref(lat);
    json_decref(corr);
    json_decref(pat);
    json_decref(root);
    return text;
}
