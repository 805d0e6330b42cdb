#include "fixture.h"

#include <limits.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "histogram.h"
#include "rng.h"
#include "test_file.h"

static const char schema[] =
    "PRAGMA journal_mode=WAL;"
    "CREATE TABLE compares(id INTEGER PRIMARY KEY, title TEXT, scenario_path TEXT, "
    "  scenario_json TEXT, seed INTEGER, started_at INTEGER, ended_at INTEGER, status TEXT, "
    "  thresholds_json TEXT);"
    "CREATE TABLE runs(id INTEGER PRIMARY KEY, compare_id INTEGER, label TEXT, pattern TEXT, "
    "  params_json TEXT, config_json TEXT, seed INTEGER, target TEXT, started_at INTEGER, "
    "  ended_at INTEGER, duration_us INTEGER, status TEXT, versions_json TEXT, host TEXT, "
    "  summary_json TEXT);"
    "CREATE TABLE requests(run_id INTEGER, t_us INTEGER, wait_us INTEGER, connect_us INTEGER, "
    "  ttfb_us INTEGER, total_us INTEGER, code INTEGER, bytes INTEGER, slot INTEGER, "
    "  lim INTEGER, queue INTEGER);"
    "CREATE TABLE seconds(run_id INTEGER, sec INTEGER, count INTEGER, ok INTEGER, "
    "  http_error INTEGER, timeout INTEGER, connect_error INTEGER, reset INTEGER, "
    "  protocol_error INTEGER, rejected INTEGER, dropped INTEGER, other INTEGER, "
    "  retries INTEGER, bytes INTEGER, p50_us INTEGER, p90_us INTEGER, p99_us INTEGER, "
    "  max_us INTEGER, hist BLOB, in_flight INTEGER, lim INTEGER, queue INTEGER, "
    "  breaker INTEGER, phase INTEGER, PRIMARY KEY (run_id, sec));"
    "CREATE TABLE events(run_id INTEGER, t_us INTEGER, kind TEXT, from_val INTEGER, "
    "  to_val INTEGER, value REAL, detail TEXT);"
    "CREATE INDEX events_by_run ON events(run_id, kind, t_us);"
    "PRAGMA user_version=1;";

static void exec(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("fixture SQL failed: %s: %s", msg, sql);
}

sqlite3 *fx_create(const char *path)
{
    unlink(path);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    exec(db, schema);
    return db;
}

int64_t fx_compare(sqlite3 *db, const char *title, const char *status, uint64_t seed)
{
    sqlite3_stmt *st;
    assert_int_equal(
        sqlite3_prepare_v2(db,
                           "INSERT INTO compares(title, scenario_path, scenario_json, seed, "
                           "started_at, ended_at, status, thresholds_json) VALUES (?1, "
                           "'scenarios/flaky.json', '{\"title\":\"flaky\",\"runs\":3}', ?2, "
                           "1714557600000000, 1714557690000000, ?3, "
                           "'[{\"expr\":\"error_rate<5%\",\"value\":0.031,\"pass\":true}]')",
                           -1, &st, NULL),
        SQLITE_OK);
    sqlite3_bind_text(st, 1, title, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)seed);
    sqlite3_bind_text(st, 3, status, -1, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(st), SQLITE_DONE);
    sqlite3_finalize(st);
    return sqlite3_last_insert_rowid(db);
}

static int phase_at(double t, const char **name)
{
    if (t >= FX_PHASE_LATENCY_START && t < FX_PHASE_ERRORS_START) {
        *name = "latency x6";
        return 1;
    }
    if (t >= FX_PHASE_ERRORS_START && t < FX_PHASE_ERRORS_END) {
        *name = "errors 30%";
        return 2;
    }
    *name = "base";
    return 0;
}

static void event(sqlite3_stmt *ev, int64_t run, double t, const char *kind, int64_t from,
                  int64_t to, double value, const char *detail)
{
    sqlite3_reset(ev);
    sqlite3_bind_int64(ev, 1, run);
    sqlite3_bind_int64(ev, 2, (sqlite3_int64)llround(t * 1e6));
    sqlite3_bind_text(ev, 3, kind, -1, SQLITE_STATIC);
    sqlite3_bind_int64(ev, 4, from);
    sqlite3_bind_int64(ev, 5, to);
    sqlite3_bind_double(ev, 6, value);
    if (detail != NULL)
        sqlite3_bind_text(ev, 7, detail, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(ev, 7);
    assert_int_equal(sqlite3_step(ev), SQLITE_DONE);
}

/* The breaker's scripted state at time t: opens 1.3 s into the error phase,
 * probes after 2 s, fails once, then closes after the phase. */
static int breaker_at(double t)
{
    double e = FX_PHASE_ERRORS_START;
    if (t < e + 1.3)
        return 1;
    if (t < e + 3.3)
        return 2;
    if (t < e + 3.5)
        return 3;
    if (t < e + 5.5)
        return 2;
    if (t < e + 5.7)
        return 3;
    return 1;
}

int64_t fx_run(sqlite3 *db, const fx_run_spec *spec, uint64_t *requests_out,
               uint64_t *failed_out)
{
    bool breaker = strcmp(spec->pattern, "breaker") == 0;
    bool adaptive = strcmp(spec->pattern, "adaptive") == 0;
    bool backpressure = strcmp(spec->pattern, "backpressure") == 0;
    sqlite3_stmt *st;
    assert_int_equal(
        sqlite3_prepare_v2(
            db,
            "INSERT INTO runs(compare_id, label, pattern, params_json, config_json, seed, "
            "target, started_at, ended_at, duration_us, status, versions_json, host) VALUES "
            "(?1, ?2, ?3, '{\"concurrency\":10,\"queue_size\":50}', "
            "'{\"duration\":\"30s\",\"mock\":{\"phases\":[{\"at\":\"10s\",\"name\":\"latency "
            "x6\"}]}}', ?4, 'http://127.0.0.1:8080/', 1714557600000000, ?5, ?6, ?7, "
            "'{\"patternbench\":\"0.1.0\",\"sqlite\":\"3.40.1\"}', 'testhost, Linux 6.1, 2 CPUs')",
            -1, &st, NULL),
        SQLITE_OK);
    if (spec->compare_id > 0)
        sqlite3_bind_int64(st, 1, spec->compare_id);
    sqlite3_bind_text(st, 2, spec->label, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, spec->pattern, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)spec->seed);
    bool done = strcmp(spec->status, "running") != 0;
    double duration = spec->seconds - 0.6;
    if (done) {
        sqlite3_bind_int64(st, 5, 1714557600000000 + (sqlite3_int64)(duration * 1e6));
        sqlite3_bind_int64(st, 6, (sqlite3_int64)(duration * 1e6));
    }
    sqlite3_bind_text(st, 7, spec->status, -1, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(st), SQLITE_DONE);
    sqlite3_finalize(st);
    int64_t run = sqlite3_last_insert_rowid(db);

    sqlite3_stmt *sec, *ev;
    assert_int_equal(
        sqlite3_prepare_v2(db,
                           "INSERT INTO seconds VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, "
                           "?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, "
                           "?24)",
                           -1, &sec, NULL),
        SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "INSERT INTO events VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                                        -1, &ev, NULL),
                     SQLITE_OK);
    exec(db, "BEGIN");
    pb_rng rng;
    pb_rng_seed(&rng, spec->seed);
    pb_hist *h, *all;
    assert_int_equal(pb_hist_create_latency(&h), 0);
    assert_int_equal(pb_hist_create_latency(&all), 0);
    uint64_t outcomes[9] = {0}, retries = 0, requests = 0, limit_changes = 0;
    int limit = 10, phase = -1, state = breaker ? 1 : 0;
    double queue = 0;
    uint8_t blob[65536];
    for (int s = 0; s < spec->seconds; s++) {
        pb_hist_reset(h);
        uint64_t oc[9] = {0}, sec_retries = 0;
        /* phase and breaker changes inside this second, in time order */
        /* the last second is partial: the run ends 0.4 s into it */
        int tenths = s + 1 == spec->seconds ? 4 : 10;
        for (int tenth = 0; tenth < tenths; tenth++) {
            double t = s + tenth / 10.0;
            const char *name;
            int p = phase_at(t, &name);
            if (p != phase) {
                event(ev, run, t, "phase", phase < 0 ? 0 : phase, p, 0, name);
                phase = p;
            }
            if (breaker && breaker_at(t) != state) {
                event(ev, run, t, "breaker", state, breaker_at(t), 0.3,
                      "failure rate 31% >= 25%");
                state = breaker_at(t);
            }
            if (adaptive && tenth % 5 == 0) {
                int target = phase == 1 ? 4 : phase == 2 ? 6 : 14;
                int next = limit + (target > limit) - (target < limit);
                if (next != limit) {
                    event(ev, run, t, "limit", limit, next, 0.9, "gradient");
                    limit = next;
                    limit_changes++;
                }
            }
            int n = spec->rate / 10;
            for (int i = 0; i < n; i++) {
                if (breaker && state == 2) {
                    oc[6]++;
                    continue;
                }
                if (backpressure && phase == 1 && queue >= 50 && pb_rng_double(&rng) < 0.4) {
                    oc[7]++;
                    continue;
                }
                double lat = 20000.0 * exp(0.45 * pb_rng_normal(&rng)) * (phase == 1 ? 6 : 1);
                if (!spec->no_hist)
                    pb_hist_record(h, (uint64_t)lat);
                double u = pb_rng_double(&rng);
                if (phase == 2 && u < 0.25)
                    oc[1]++;
                else if (phase == 2 && u < 0.30)
                    oc[2]++;
                else if (u < 0.002)
                    oc[4]++;
                else
                    oc[0]++;
                if (spec->retries && phase == 2 && u < 0.3)
                    sec_retries++;
            }
        }
        if (backpressure)
            queue = phase == 1 ? fmin(50, queue + 12) : fmax(0, queue - 20);
        uint64_t count = 0, sent = 0;
        for (int o = 0; o < 9; o++) {
            count += oc[o];
            outcomes[o] += oc[o];
        }
        sent = count - oc[6] - oc[7];
        retries += sec_retries;
        requests += count;
        size_t len = 0;
        if (!spec->no_hist) {
            assert_int_equal(pb_hist_add(all, h), 0);
            len = pb_hist_encode(h, blob, sizeof(blob));
            assert_true(len <= sizeof(blob));
        }
        sqlite3_reset(sec);
        sqlite3_bind_int64(sec, 1, run);
        sqlite3_bind_int64(sec, 2, s);
        sqlite3_bind_int64(sec, 3, (sqlite3_int64)count);
        for (int o = 0; o < 9; o++)
            sqlite3_bind_int64(sec, 4 + o, (sqlite3_int64)oc[o]);
        sqlite3_bind_int64(sec, 13, (sqlite3_int64)sec_retries);
        sqlite3_bind_int64(sec, 14, (sqlite3_int64)(sent * 230));
        if (sent > 0 && spec->no_hist) {
            int m = phase == 1 ? 6 : 1;
            sqlite3_bind_int64(sec, 15, 20000 * m);
            sqlite3_bind_int64(sec, 16, 35000 * m);
            sqlite3_bind_int64(sec, 17, 55000 * m);
            sqlite3_bind_int64(sec, 18, 70000 * m);
            sqlite3_bind_null(sec, 19);
        } else if (sent > 0) {
            sqlite3_bind_int64(sec, 15, (sqlite3_int64)pb_hist_percentile(h, 50));
            sqlite3_bind_int64(sec, 16, (sqlite3_int64)pb_hist_percentile(h, 90));
            sqlite3_bind_int64(sec, 17, (sqlite3_int64)pb_hist_percentile(h, 99));
            sqlite3_bind_int64(sec, 18, (sqlite3_int64)pb_hist_max(h));
            sqlite3_bind_blob(sec, 19, blob, (int)len, SQLITE_TRANSIENT);
        } else {
            for (int k = 15; k <= 19; k++)
                sqlite3_bind_null(sec, k);
        }
        sqlite3_bind_int64(sec, 20, limit > 3 ? limit - 2 : limit);
        sqlite3_bind_int64(sec, 21, limit);
        sqlite3_bind_int64(sec, 22, (sqlite3_int64)queue);
        sqlite3_bind_int64(sec, 23, state);
        sqlite3_bind_int64(sec, 24, phase);
        assert_int_equal(sqlite3_step(sec), SQLITE_DONE);
    }
    if (spec->summary) {
        uint64_t failed = outcomes[1] + outcomes[2] + outcomes[3] + outcomes[4] + outcomes[5] +
                          outcomes[8];
        uint64_t sent = requests - outcomes[6] - outcomes[7];
        double p99 = (double)pb_hist_percentile(all, 99);
        char json[2048];
        snprintf(json, sizeof(json),
                 "{\"requests\": %llu, \"duration_s\": %.3f, \"rps\": %.3f, \"outcomes\": "
                 "{\"ok\": %llu, \"http_error\": %llu, \"timeout\": %llu, \"connect_error\": 0, "
                 "\"reset\": %llu, \"protocol_error\": 0, \"rejected_by_breaker\": %llu, "
                 "\"dropped_by_backpressure\": %llu, \"other_error\": 0}, "
                 "\"latency_us\": {\"min\": %llu, \"mean\": %.1f, \"p50\": %llu, \"p90\": %llu, "
                 "\"p99\": %.0f, \"p999\": %llu, \"max\": %llu}, "
                 "\"corrected_latency_us\": {\"p50\": %llu, \"p99\": %.0f}, "
                 "\"pattern\": {\"retries\": %llu, \"limit_changes\": %llu}, "
                 "\"writer_stalls\": 0, \"thresholds\": [{\"expr\": \"p99<200ms\", \"value\": "
                 "%.4f, \"pass\": %s}]}",
                 (unsigned long long)requests, duration, (double)sent / duration,
                 (unsigned long long)outcomes[0], (unsigned long long)outcomes[1],
                 (unsigned long long)outcomes[2], (unsigned long long)outcomes[4],
                 (unsigned long long)outcomes[6], (unsigned long long)outcomes[7],
                 (unsigned long long)pb_hist_min(all), pb_hist_mean(all),
                 (unsigned long long)pb_hist_percentile(all, 50),
                 (unsigned long long)pb_hist_percentile(all, 90), p99,
                 (unsigned long long)pb_hist_percentile(all, 99.9),
                 (unsigned long long)pb_hist_max(all),
                 (unsigned long long)(pb_hist_percentile(all, 50) * 11 / 10), p99 * 1.3,
                 (unsigned long long)retries, (unsigned long long)limit_changes, p99,
                 p99 < 200000 ? "true" : "false");
        sqlite3_stmt *up;
        assert_int_equal(sqlite3_prepare_v2(db, "UPDATE runs SET summary_json = ?1 WHERE id = ?2",
                                            -1, &up, NULL),
                         SQLITE_OK);
        sqlite3_bind_text(up, 1, json, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(up, 2, run);
        assert_int_equal(sqlite3_step(up), SQLITE_DONE);
        sqlite3_finalize(up);
        if (failed_out != NULL)
            *failed_out = failed;
    } else if (failed_out != NULL) {
        *failed_out = outcomes[1] + outcomes[2] + outcomes[3] + outcomes[4] + outcomes[5] +
                      outcomes[8];
    }
    exec(db, "COMMIT");
    if (requests_out != NULL)
        *requests_out = requests;
    pb_hist_destroy(h);
    pb_hist_destroy(all);
    sqlite3_finalize(sec);
    sqlite3_finalize(ev);
    return run;
}

void fx_close(sqlite3 *db)
{
    assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

void fx_tempdir(char *out, size_t cap)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(out, cap, "%s/pb-report-test-XXXXXX", tmp != NULL ? tmp : "/tmp");
    assert_non_null(mkdtemp(out));
}

void fx_path(char *out, size_t cap, const char *dir, const char *name)
{
    assert_true((size_t)snprintf(out, cap, "%s/%s", dir, name) < cap);
}

void fx_workspace(char *dir, char *db_path, char *out)
{
    fx_tempdir(dir, PATH_MAX);
    fx_path(db_path, PATH_MAX, dir, "pb.db");
    fx_path(out, PATH_MAX, dir, "report");
}

bool fx_exists(const char *dir, const char *name)
{
    char p[PATH_MAX];
    fx_path(p, sizeof(p), dir, name);
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0;
}

/* A PNG whose header says width x height; asserts it is a plausible chart. */
void fx_assert_png(const char *dir, const char *name)
{
    char p[PATH_MAX];
    fx_path(p, sizeof(p), dir, name);
    size_t len;
    char *buf = test_slurp(p, &len);
    const unsigned char *b = (const unsigned char *)buf;
    static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    assert_true(len > 24);
    assert_memory_equal(b, sig, 8);
    assert_memory_equal(b + 12, "IHDR", 4);
    uint32_t w = (uint32_t)b[16] << 24 | (uint32_t)b[17] << 16 | (uint32_t)b[18] << 8 | b[19];
    uint32_t h = (uint32_t)b[20] << 24 | (uint32_t)b[21] << 16 | (uint32_t)b[22] << 8 | b[23];
    /* charts are drawn for a laptop page: about 1100 px wide, not thumbnails */
    assert_true(w >= 800 && w <= 2000);
    assert_true(h >= 300 && h <= 2000);
    /* a blank image compresses to a few kB; a drawn chart does not */
    assert_true(len > 15000);
    free(buf);
}

/* Every src= and href= in the page names a file beside it; nothing is fetched. */
void fx_assert_page_self_contained(const char *dir, size_t *images)
{
    char p[PATH_MAX];
    fx_path(p, sizeof(p), dir, "index.html");
    char *html = test_slurp(p, NULL);
    assert_null(strstr(html, "<script"));
    assert_null(strstr(html, "<link"));
    assert_null(strstr(html, "@import"));
    assert_null(strstr(html, "url("));
    *images = 0;
    static const char *const attrs[] = {"src=\"", "href=\""};
    for (int a = 0; a < 2; a++) {
        for (const char *s = strstr(html, attrs[a]); s != NULL; s = strstr(s + 1, attrs[a])) {
            const char *v = s + strlen(attrs[a]);
            size_t n = strcspn(v, "\"");
            char ref[256];
            assert_true(n > 0 && n < sizeof(ref));
            memcpy(ref, v, n);
            ref[n] = '\0';
            assert_null(strchr(ref, ':'));
            assert_true(ref[0] != '/');
            if (!fx_exists(dir, ref))
                fail_msg("index.html references %s, which is not in %s", ref, dir);
            *images += a == 0;
        }
    }
    free(html);
}
