#include "scenario.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "json_out.h"
#include "mock.h"
#include "registry.h"
#include "suggest.h"
#include "secrets.h"
#include "threshold.h"
#include "trials.h"
#include "units.h"

/* What a message needs: the file, the position index, and where to write. */
typedef struct ctx {
    const char *source;
    const pb_json_pos *pos;
    pb_err *err;
} ctx;

/* "FILE: PATH: message (line L, column C)"; at_key points at the member's key
 * (unknown keys) rather than its value. */
static int failv(const ctx *c, const char *path, bool at_key, int code, const char *fmt, va_list ap)
{
    char msg[sizeof(c->err->msg)];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    char where[64] = "";
    pb_json_loc v, k;
    if (pb_json_pos_find(c->pos, path, &v, &k)) {
        pb_json_loc at = at_key && k.line > 0 ? k : v;
        snprintf(where, sizeof(where), " (line %d, column %d)", at.line, at.column);
    }
    if (*path != '\0')
        return pb_err_set(c->err, code, "%s: %s: %s%s", c->source, path, msg, where);
    return pb_err_set(c->err, code, "%s: %s%s", c->source, msg, where);
}

static int fail(const ctx *c, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(const ctx *c, const char *path, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = failv(c, path, false, PB_EPARSE, fmt, ap);
    va_end(ap);
    return rc;
}

static int fail_key(const ctx *c, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail_key(const ctx *c, const char *path, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = failv(c, path, true, PB_EPARSE, fmt, ap);
    va_end(ap);
    return rc;
}

static int oom(const ctx *c)
{
    return pb_err_set(c->err, PB_ENOMEM, "%s: out of memory", c->source);
}

/* The value as a user would recognise it in a message: "ten", 10.5, an array. */
static const char *describe(const json_t *v, char *buf, size_t len)
{
    switch (json_typeof(v)) {
    case JSON_STRING: {
        const char *s = json_string_value(v);
        size_t n = strlen(s), shown = n > 40 ? 40 : n, o = 0;
        if (len < 48)
            return "a string";
        buf[o++] = '"';
        for (size_t i = 0; i < shown; i++)
            buf[o++] = (unsigned char)s[i] < 0x20 ? '?' : s[i];
        o += (size_t)snprintf(buf + o, len - o, "%s\"", n > shown ? "..." : "");
        return buf;
    }
    case JSON_INTEGER:
        snprintf(buf, len, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return buf;
    case JSON_REAL:
        return pb_json_real_text(json_real_value(v), buf, len) == 0 ? buf : "a number";
    case JSON_TRUE:
        return "true";
    case JSON_FALSE:
        return "false";
    case JSON_NULL:
        return "null";
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    }
    return "a value";
}

static void list_names(const char *const *names, char *buf, size_t len)
{
    size_t o = 0;
    buf[0] = '\0';
    for (size_t i = 0; names[i] != NULL && o < len; i++)
        o += (size_t)snprintf(buf + o, len - o, "%s%s", i ? ", " : "", names[i]);
}

static int unknown_key(const ctx *c, const char *path, const char *key, const char *const *known)
{
    const char *guess = pb_suggest(key, known);
    if (guess != NULL)
        return fail_key(c, path, "unknown key; did you mean \"%s\"?", guess);
    char names[400];
    list_names(known, names, sizeof(names));
    return fail_key(c, path, "unknown key; expected one of %s", names);
}

/* A key whose path does not fit in a path buffer is longer than any key a
 * scenario knows; p holds the start of its path. */
static int too_long_key(const ctx *c, const char *p, const char *key)
{
    return fail_key(c, p, "unknown key of %zu characters", strlen(key));
}

/* Reject any member of obj that is not in known. */
static int check_keys(const ctx *c, json_t *obj, const char *path, const char *const *known)
{
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v)
    {
        bool ok = false;
        for (size_t i = 0; known[i] != NULL && !ok; i++)
            ok = strcmp(key, known[i]) == 0;
        if (!ok) {
            char p[PB_JSON_PATH_MAX];
            if (!pb_json_path_key(p, sizeof(p), path, key))
                return too_long_key(c, p, key);
            return unknown_key(c, p, key, known);
        }
    }
    return 0;
}

static int want_object(const ctx *c, json_t *v, const char *path, const char *example)
{
    char got[64];
    if (!json_is_object(v))
        return fail(c, path, "expected an object such as %s, got %s", example,
                    describe(v, got, sizeof(got)));
    return 0;
}

static int want_text(const ctx *c, json_t *v, const char *path, size_t maxlen, bool allow_empty,
                     char **out)
{
    char got[64];
    if (!json_is_string(v))
        return fail(c, path, "expected a string, got %s", describe(v, got, sizeof(got)));
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    if (n == 0 && !allow_empty)
        return fail(c, path, "expected a non-empty string");
    if (n > maxlen)
        return fail(c, path, "expected at most %zu characters, got %zu", maxlen, n);
    if (strlen(s) != n)
        return fail(c, path, "expected a string without NUL characters");
    char *dup = strdup(s);
    if (dup == NULL)
        return oom(c);
    free(*out);
    *out = dup;
    return 0;
}

static int want_duration(const ctx *c, json_t *v, const char *path, pb_usec *out)
{
    char got[64];
    pb_err inner;
    if (!json_is_string(v) || pb_parse_duration(json_string_value(v), path, out, &inner) != 0)
        return fail(c, path,
                    "expected a duration with a unit (us, ms, s, m, h, d) such as \"15s\" or \"1d12h\", "
                    "got %s",
                    describe(v, got, sizeof(got)));
    if (*out == 0)
        return fail(c, path, "expected a duration above zero, got %s",
                    describe(v, got, sizeof(got)));
    return 0;
}

static int want_positive(const ctx *c, json_t *v, const char *path, uint64_t max, uint64_t *out)
{
    char got[64];
    /* the words of the command line's bounds (pb_parse_u64) */
    if (!json_is_integer(v) || json_integer_value(v) <= 0 || (uint64_t)json_integer_value(v) > max)
        return fail(c, path, "expected a whole number from 1 to %llu, got %s",
                    (unsigned long long)max, describe(v, got, sizeof(got)));
    *out = (uint64_t)json_integer_value(v);
    return 0;
}

static int want_rate(const ctx *c, json_t *v, const char *path, double *out)
{
    char got[64];
    pb_err inner;
    double r = -1;
    if (json_is_number(v))
        r = json_number_value(v);
    else if (json_is_string(v) && pb_parse_rate(json_string_value(v), path, 0, 1e7, &r, &inner) != 0)
        r = -1;
    if (!(r > 0) || !isfinite(r) || r > 1e7)
        return fail(c, path,
                    "expected an arrival rate in requests per second above 0 and up to 1e7, "
                    "such as 400 or \"1.5k\", got %s",
                    describe(v, got, sizeof(got)));
    *out = r;
    return 0;
}

static void free_strings(char **v, int n)
{
    for (int i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

static int want_thresholds(const ctx *c, json_t *v, const char *path, char ***out, int *n)
{
    char got[64];
    if (!json_is_array(v))
        return fail(c, path, "expected an array of expressions such as [\"p99<200ms\"], got %s",
                    describe(v, got, sizeof(got)));
    size_t count = json_array_size(v);
    if (count > PB_SCENARIO_MAX_THRESHOLDS)
        return fail(c, path, "expected at most %d thresholds, got %zu", PB_SCENARIO_MAX_THRESHOLDS,
                    count);
    char **list = calloc(count ? count : 1, sizeof(*list));
    if (list == NULL)
        return oom(c);
    for (size_t i = 0; i < count; i++) {
        char p[PB_JSON_PATH_MAX];
        pb_json_path_index(p, sizeof(p), path, i);
        json_t *e = json_array_get(v, i);
        pb_threshold t;
        pb_err inner;
        int rc;
        if (!json_is_string(e))
            rc = fail(c, p, "expected a threshold expression such as \"p99<200ms\", got %s",
                      describe(e, got, sizeof(got)));
        else if (pb_threshold_parse(json_string_value(e), &t, &inner) != 0)
            rc = fail(c, p, "%s", inner.msg);
        else
            rc = (list[i] = strdup(t.expr)) == NULL ? oom(c) : 0;
        if (rc != 0) {
            free_strings(list, (int)count);
            return rc;
        }
    }
    free_strings(*out, *n);
    *out = list;
    *n = (int)count;
    return 0;
}

/* A "duration" or "requests" bound, in the scenario or an entry. */
static int parse_bound(const ctx *c, json_t *obj, const char *path, pb_usec *duration,
                       uint64_t *requests)
{
    json_t *d = json_object_get(obj, "duration"), *r = json_object_get(obj, "requests");
    char p[PB_JSON_PATH_MAX];
    if (d != NULL && r != NULL) {
        pb_json_path_key(p, sizeof(p), path, "requests");
        return fail_key(c, p, "give either \"duration\" or \"requests\", not both");
    }
    if (d != NULL) {
        pb_json_path_key(p, sizeof(p), path, "duration");
        return want_duration(c, d, p, duration);
    }
    if (r != NULL) {
        pb_json_path_key(p, sizeof(p), path, "requests");
        return want_positive(c, r, p, PB_RUN_REQUESTS_MAX, requests);
    }
    return 0;
}

static int parse_seed(const ctx *c, json_t *v, uint64_t *out)
{
    char got[64];
    /* seeds are stored as SQLite integers: 63 bits */
    if (json_is_integer(v) && json_integer_value(v) >= 0) {
        *out = (uint64_t)json_integer_value(v);
        return 0;
    }
    return fail(c, "seed", "expected a whole number from 0 to %llu, got %s",
                (unsigned long long)PB_RUN_SEED_MAX, describe(v, got, sizeof(got)));
}

static int parse_target(const ctx *c, json_t *v, pb_scenario *sc)
{
    char got[64];
    if (json_is_string(v) && strcmp(json_string_value(v), "mock") == 0)
        return 0;
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        if ((strncmp(s, "http://", 7) == 0 && s[7] != '\0') ||
            (strncmp(s, "https://", 8) == 0 && s[8] != '\0'))
            return want_text(c, v, "target", 2048, false, &sc->target_url);
    }
    return fail(c, "target",
                "expected \"mock\" (the built-in mock server) or a URL such as "
                "\"http://127.0.0.1:8080/\", got %s",
                describe(v, got, sizeof(got)));
}

static int parse_mock(const ctx *c, json_t *v, pb_scenario *sc)
{
    int rc = want_object(c, v, "mock", "{\"latency\": \"fixed:5ms\", \"phases\": [...]}");
    if (rc != 0)
        return rc;
    if (sc->target_url != NULL)
        return fail_key(c, "mock",
                        "a mock profile needs \"target\": \"mock\", but the target is %s",
                        sc->target_url);
    if (json_object_get(v, "seed") != NULL)
        return fail_key(c, "mock.seed",
                        "set the seed at the top level of the scenario: it seeds the mock of "
                        "every run and the patterns alike");
    sc->mock_json = pb_json_dumps(v, JSON_COMPACT);
    if (sc->mock_json == NULL)
        return oom(c);

    return 0;
}

/* One stage of the array form, {"duration": "30s", "target": 16}, at path. */
static int parse_stage(const ctx *c, json_t *st, const char *path, bool workers, pb_stage *out)
{
    static const char *const stage_keys[] = {"duration", "target", NULL};
    const char *example = "{\"duration\": \"30s\", \"target\": 16}";
    char q[PB_JSON_PATH_MAX], got[64];
    int rc = want_object(c, st, path, example);
    if (rc == 0)
        rc = check_keys(c, st, path, stage_keys);
    if (rc != 0)
        return rc;
    json_t *d = json_object_get(st, "duration"), *t = json_object_get(st, "target");
    if (d == NULL || t == NULL)
        return fail(c, path, "expected both \"duration\" and \"target\", as in %s", example);
    pb_json_path_key(q, sizeof(q), path, "duration");
    if ((rc = want_duration(c, d, q, &out->duration)) != 0)
        return rc;
    pb_json_path_key(q, sizeof(q), path, "target");
    pb_err inner;
    double v = -1;
    if (json_is_number(t))
        v = json_number_value(t);
    else if (!workers && json_is_string(t) &&
             pb_parse_rate(json_string_value(t), q, 0, 1e7, &v, &inner) != 0)
        v = -1;
    if (workers && !(json_is_integer(t) && v >= 0 && v <= PB_STAGES_MAX_WORKERS))
        return fail(c, q, "expected a whole number of workers from 0 to %d, got %s",
                    PB_STAGES_MAX_WORKERS, describe(t, got, sizeof(got)));
    if (!(v >= 0) || !isfinite(v) || v > 1e7)
        return fail(c, q,
                    "expected an arrival rate in requests per second from 0 to 1e7, such as "
                    "400 or \"1.5k\", got %s",
                    describe(t, got, sizeof(got)));
    out->target = v;
    return 0;
}

/* A load's "stages": the text of --stages ("30s:16,1m:16,30s:0") or an array
 * of {"duration", "target"} as k6 writes them; a ramp of workers (closed) or
 * of the rate (open) from `start`. */
static int parse_stages(const ctx *c, json_t *v, const char *path, bool workers, double start,
                        pb_stages *out)
{
    pb_err inner;
    int rc = 0;
    char got[64];
    if (json_is_string(v)) {
        if (pb_stages_parse(json_string_value(v), path, out, &inner) != 0) {
            /* the message begins with the path, which fail() puts first already */
            const char *msg = inner.msg + strlen(path);
            msg += strncmp(msg, ": ", 2) == 0 ? 2 : msg[0] == ' ' ? 1 : 0;
            return fail(c, path, "%s", msg);
        }
    } else if (json_is_array(v) && json_array_size(v) > 0) {
        if (json_array_size(v) > PB_STAGES_MAX)
            return fail(c, path, "expected at most %d stages, got %zu", PB_STAGES_MAX,
                        json_array_size(v));
        *out = (pb_stages){.n = 0};
        for (size_t i = 0; i < json_array_size(v); i++) {
            char p[PB_JSON_PATH_MAX];
            pb_json_path_index(p, sizeof(p), path, i);
            if ((rc = parse_stage(c, json_array_get(v, i), p, workers, &out->stage[i])) != 0)
                return rc;
            out->n = (int)i + 1;
        }
    } else {
        return fail(c, path,
                    "expected stages such as \"30s:16,1m:16,30s:0\" or [{\"duration\": "
                    "\"30s\", \"target\": 16}, ...], got %s",
                    describe(v, got, sizeof(got)));
    }
    rc = workers ? pb_stages_check_workers(out, path, &inner) : 0;
    if (rc == 0)
        rc = pb_stages_check(out, start, path, &inner);
    if (rc != 0) {
        const char *msg = inner.msg + strlen(path);
        msg += msg[0] == ' ' ? 1 : 0;
        return fail(c, path, "%s", msg);
    }
    return 0;
}

static int parse_load(const ctx *c, json_t *v, pb_scenario *sc)
{
    static const char *const load_keys[] = {"closed", "open", NULL};
    static const char *const closed_keys[] = {"concurrency", "stages", NULL};
    static const char *const open_keys[] = {"rate", "phases", "stages", NULL};
    static const char *const step_keys[] = {"at", "rate", NULL};
    const char *example = "{\"closed\": {\"concurrency\": 20}} or {\"open\": {\"rate\": 200}}";
    int rc = want_object(c, v, "load", example);
    if (rc == 0)
        rc = check_keys(c, v, "load", load_keys);
    if (rc != 0)
        return rc;
    json_t *closed = json_object_get(v, "closed"), *open = json_object_get(v, "open");
    if ((closed == NULL) == (open == NULL))
        return fail(c, "load", "expected exactly one of \"closed\" or \"open\", as in %s", example);
    if (closed != NULL) {
        rc = want_object(c, closed, "load.closed", "{\"concurrency\": 20}");
        if (rc == 0)
            rc = check_keys(c, closed, "load.closed", closed_keys);
        json_t *n = json_object_get(closed, "concurrency");
        uint64_t conc = 0;
        if (rc == 0 && n != NULL)
            rc = want_positive(c, n, "load.closed.concurrency", 100000, &conc);
        sc->concurrency = (uint32_t)conc;
        /* a ramp of workers from "concurrency" (0 when not given) */
        json_t *st = json_object_get(closed, "stages");
        if (rc == 0 && st != NULL)
            rc = parse_stages(c, st, "load.closed.stages", true, (double)conc, &sc->stages);
        return rc;
    }
    sc->open_loop = true;
    rc = want_object(c, open, "load.open",
                     "{\"rate\": 200, \"phases\": [{\"at\": \"60s\", \"rate\": 400}]}");
    if (rc == 0)
        rc = check_keys(c, open, "load.open", open_keys);
    if (rc != 0)
        return rc;
    json_t *rate = json_object_get(open, "rate"), *ramp = json_object_get(open, "stages");
    json_t *steps = json_object_get(open, "phases");
    if (rate == NULL && ramp == NULL)
        return fail(c, "load.open", "expected a \"rate\" (arrivals per second) or \"stages\"");
    if (rate != NULL)
        rc = want_rate(c, rate, "load.open.rate", &sc->rate);
    if (rc == 0 && ramp != NULL && steps != NULL)
        return fail(c, "load.open.stages",
                    "a ramp and rate \"phases\" cannot both set the rate; give one of them");
    /* a ramp of the rate from "rate" (0 when not given) */
    if (rc == 0 && ramp != NULL)
        return parse_stages(c, ramp, "load.open.stages", false, sc->rate, &sc->stages);
    if (rc != 0 || steps == NULL)
        return rc;
    char got[64];
    if (!json_is_array(steps))
        return fail(c, "load.open.phases",
                    "expected an array such as [{\"at\": \"60s\", \"rate\": 400}], got %s",
                    describe(steps, got, sizeof(got)));
    if (json_array_size(steps) > PB_MAX_PHASES)
        return fail(c, "load.open.phases", "expected at most %d rate changes, got %zu",
                    PB_MAX_PHASES, json_array_size(steps));
    for (size_t i = 0; i < json_array_size(steps); i++) {
        char p[PB_JSON_PATH_MAX], q[PB_JSON_PATH_MAX];
        pb_json_path_index(p, sizeof(p), "load.open.phases", i);
        json_t *st = json_array_get(steps, i);
        rc = want_object(c, st, p, "{\"at\": \"60s\", \"rate\": 400}");
        if (rc == 0)
            rc = check_keys(c, st, p, step_keys);
        if (rc != 0)
            return rc;
        json_t *at = json_object_get(st, "at"), *r = json_object_get(st, "rate");
        if (at == NULL || r == NULL)
            return fail(
                c, p, "expected both \"at\" and \"rate\", as in {\"at\": \"60s\", \"rate\": 400}");
        pb_rate_step *step = &sc->rate_steps[i];
        pb_json_path_key(q, sizeof(q), p, "at");
        rc = want_duration(c, at, q, &step->at);
        if (rc == 0 && i > 0 && step->at <= sc->rate_steps[i - 1].at)
            rc = fail(c, q,
                      "expected rate changes in time order: this one is not after the "
                      "previous one");
        pb_json_path_key(q, sizeof(q), p, "rate");
        if (rc == 0)
            rc = want_rate(c, r, q, &step->rate);
        if (rc != 0)
            return rc;
        sc->n_rate_steps = (int)i + 1;
    }
    return 0;
}

/* Keys of an entry that compare handles itself. */
static const char *const entry_keys[] = {"pattern", "label",      "duration", "requests",
                                         "timeout", "thresholds", NULL};

/* Keys that exist but belong elsewhere than in an entry, with the reason. */
static const struct misplaced {
    const char *key, *why;
} misplaced[] = {
    {"target", "is set once at the top level, so that every pattern meets the same server"},
    {"mock", "is set once at the top level, so that every pattern meets the same server"},
    {"profile", "is not a scenario setting: put the mock profile in the top-level \"mock\""},
    {"seed", "is set once at the top level, so that every pattern sees the same faults"},
    {"load", "is set once at the top level, so that every pattern gets the same load"},
    {"rate", "is set once in load.open.rate, so that every pattern gets the same load"},
    {"threshold", "is spelt \"thresholds\" in a scenario: an array of expressions"},
    {"tasks", "is spelt \"requests\" in a scenario"},
    {"db", "is an option of `patternbench compare`, not of a scenario"},
    {"quiet", "is an option of `patternbench compare`, not of a scenario"},
    {"json", "is not available in a scenario"},
    {"no-record", "is not available in a scenario"},
    {"title", "belongs at the top level of the scenario"},
    {"description", "belongs at the top level of the scenario"},
};

/* Whether `name` is an option of the mock server rather than of a pattern. */
static bool is_mock_option(const char *name, const char *value)
{
    pb_mock_config *m;
    if (pb_mock_config_create(&m) != 0)
        return false;
    pb_err e;
    bool yes = pb_mock_config_set(m, name, value, &e) != PB_ENOENT;
    pb_mock_config_destroy(m);
    return yes;
}

/* A scalar JSON value as the text a command-line flag would carry. */
static int scalar_text(const ctx *c, json_t *v, const char *path, char **out)
{
    char buf[64], got[64];
    switch (json_typeof(v)) {
    case JSON_STRING:
        *out = strdup(json_string_value(v));
        break;
    case JSON_INTEGER:
        snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        *out = strdup(buf);
        break;
    case JSON_REAL:
        /* the shortest text that reads back as the same number */
        for (int prec = 15; prec <= 17; prec++) {
            snprintf(buf, sizeof(buf), "%.*g", prec, json_real_value(v));
            if (strtod(buf, NULL) == json_real_value(v))
                break;
        }
        *out = strdup(buf);
        break;
    case JSON_TRUE:
    case JSON_FALSE:
        *out = strdup(json_is_true(v) ? "true" : "false");
        break;
    default:
        return fail(c, path, "expected a number, a string or true/false, got %s",
                    describe(v, got, sizeof(got)));
    }
    return *out == NULL ? oom(c) : 0;
}

static int parse_entry(const ctx *c, json_t *v, const char *path, pb_scenario_entry *e)
{
    char p[PB_JSON_PATH_MAX], got[64];
    int rc = want_object(c, v, path, "{\"pattern\": \"queue\", \"concurrency\": 20}");
    if (rc != 0)
        return rc;
    json_t *pattern = json_object_get(v, "pattern");
    char names[PB_PATTERN_NAMES_MAX];
    if (pattern == NULL) {
        pb_pattern_names(" or ", names, sizeof(names));
        return fail(c, path, "expected a \"pattern\" (%s)", names);
    }
    pb_json_path_key(p, sizeof(p), path, "pattern");
    if (!json_is_string(pattern) || pb_pattern_find(json_string_value(pattern)) == NULL) {
        pb_pattern_names(", ", names, sizeof(names));
        return fail(c, p, "expected one of %s, got %s", names, describe(pattern, got, sizeof(got)));
    }
    snprintf(e->pattern, sizeof(e->pattern), "%s", json_string_value(pattern));

    json_t *label = json_object_get(v, "label");
    if (label != NULL) {
        char *text = NULL;
        pb_json_path_key(p, sizeof(p), path, "label");
        rc = want_text(c, label, p, sizeof(e->label) - 1, false, &text);
        if (rc != 0)
            return rc;
        pb_err why = {0};
        if (pb_run_label_check(text, &why) != 0)
            rc = fail(c, p, "%s", why.msg);
        snprintf(e->label, sizeof(e->label), "%s", text);
        free(text);
        if (rc != 0)
            return rc;
    } else {
        snprintf(e->label, sizeof(e->label), "%s", e->pattern);
    }

    rc = parse_bound(c, v, path, &e->duration, &e->requests);
    if (rc != 0)
        return rc;
    json_t *timeout = json_object_get(v, "timeout");
    pb_json_path_key(p, sizeof(p), path, "timeout");
    if (timeout != NULL && (rc = want_duration(c, timeout, p, &e->timeout)) != 0)
        return rc;
    json_t *th = json_object_get(v, "thresholds");
    pb_json_path_key(p, sizeof(p), path, "thresholds");
    if (th != NULL && (rc = want_thresholds(c, th, p, &e->thresholds, &e->n_thresholds)) != 0)
        return rc;

    /* everything else is a pattern option, checked when the run config is built */
    size_t n_params = json_object_size(v);
    e->params = calloc(n_params ? n_params : 1, sizeof(*e->params));
    if (e->params == NULL)
        return oom(c);
    const char *key;
    json_t *value;
    json_object_foreach(v, key, value)
    {
        bool handled = false;
        for (size_t i = 0; entry_keys[i] != NULL && !handled; i++)
            handled = strcmp(key, entry_keys[i]) == 0;
        if (handled)
            continue;
        if (!pb_json_path_key(p, sizeof(p), path, key))
            return too_long_key(c, p, key);
        for (size_t i = 0; i < sizeof(misplaced) / sizeof(misplaced[0]); i++)
            if (strcmp(key, misplaced[i].key) == 0)
                return fail_key(c, p, "\"%s\" %s", key, misplaced[i].why);
        pb_scenario_param *prm = &e->params[e->n_params];
        if ((rc = scalar_text(c, value, p, &prm->value)) != 0)
            return rc;
        if ((prm->name = strdup(key)) == NULL) {
            free(prm->value);
            return oom(c);
        }
        e->n_params++;
        if (is_mock_option(key, prm->value))
            return fail_key(c, p,
                            "\"%s\" is a mock setting: put it in the top-level \"mock\", so that "
                            "every pattern meets the same server",
                            key);
    }
    return 0;
}

static int parse_entries(const ctx *c, json_t *v, pb_scenario *sc)
{
    char got[64];
    if (v == NULL)
        return fail(c, "",
                    "expected \"patterns\": a list of pattern entries such as "
                    "[{\"pattern\": \"queue\"}]");
    if (!json_is_array(v) || json_array_size(v) == 0)
        return fail(c, "patterns",
                    "expected a non-empty array of entries such as [{\"pattern\": \"queue\"}], "
                    "got %s",
                    describe(v, got, sizeof(got)));
    size_t n = json_array_size(v);
    if (n > PB_SCENARIO_MAX_ENTRIES)
        return fail(c, "patterns", "expected at most %d entries, got %zu", PB_SCENARIO_MAX_ENTRIES,
                    n);
    sc->entries = calloc(n, sizeof(*sc->entries));
    if (sc->entries == NULL)
        return oom(c);
    for (size_t i = 0; i < n; i++) {
        char p[PB_JSON_PATH_MAX];
        pb_json_path_index(p, sizeof(p), "patterns", i);
        sc->n_entries = (int)i + 1;
        pb_scenario_entry *e = &sc->entries[i];
        int rc = parse_entry(c, json_array_get(v, i), p, e);
        if (rc != 0)
            return rc;
        if (sc->n_thresholds + e->n_thresholds > PB_SCENARIO_MAX_THRESHOLDS) {
            char q[PB_JSON_PATH_MAX];
            pb_json_path_key(q, sizeof(q), p, "thresholds");
            return fail(c, q, "expected at most %d thresholds per run, global ones included",
                        PB_SCENARIO_MAX_THRESHOLDS);
        }
        for (size_t j = 0; j < i; j++) {
            if (strcmp(sc->entries[j].label, e->label) == 0) {
                char q[PB_JSON_PATH_MAX];
                pb_json_path_key(q, sizeof(q), p, "label");
                if (!pb_json_pos_find(c->pos, q, NULL, NULL))
                    snprintf(q, sizeof(q), "%s", p);
                return fail(c, q,
                            "the label \"%s\" is already used by patterns[%zu]; give each entry "
                            "its own \"label\"",
                            e->label, j);
            }
        }
    }
    return 0;
}

/* The keys of "request", each the run option it becomes; a list's items
 * become one option each. */
static const struct request_key {
    const char *key, *option;
    enum { REQ_TEXT, REQ_LIST, REQ_FLAG } type;
} request_keys[] = {
    {"method", "method", REQ_TEXT},
    {"headers", "header", REQ_LIST},
    {"body", "body", REQ_TEXT},
    {"ok-status", "ok-status", REQ_TEXT},
    {"secret-headers", "secret-header", REQ_LIST},
    {"cacert", "cacert", REQ_TEXT},
    {"insecure", "insecure", REQ_FLAG},
    {"targets", "targets", REQ_TEXT},
    {"targets-format", "targets-format", REQ_TEXT},
    {"targets-order", "targets-order", REQ_TEXT},
};
#define N_REQUEST_KEYS (sizeof(request_keys) / sizeof(request_keys[0]))

/* Append one request option to sc (strings copied). */
static int add_request(pb_scenario *sc, const char *name, const char *value, const char *path)
{
    pb_scenario_param *grown = realloc(sc->request, (size_t)(sc->n_request + 1) * sizeof(*grown));
    if (grown == NULL)
        return PB_ENOMEM;
    sc->request = grown;
    pb_scenario_param *p = &grown[sc->n_request];
    p->name = strdup(name);
    p->value = strdup(value);
    p->path = strdup(path);
    if (p->name == NULL || p->value == NULL || p->path == NULL) {
        free(p->name);
        free(p->value);
        free(p->path);
        return PB_ENOMEM;
    }
    sc->n_request++;
    return 0;
}

static int parse_request(const ctx *c, json_t *v, pb_scenario *sc)
{
    int rc =
        want_object(c, v, "request",
                    "{\"method\": \"POST\", \"headers\": [\"Content-Type: application/json\"], "
                    "\"body\": \"@body.json\"}");
    if (rc != 0)
        return rc;
    const char *keys[N_REQUEST_KEYS + 1];
    for (size_t i = 0; i < N_REQUEST_KEYS; i++)
        keys[i] = request_keys[i].key;
    keys[N_REQUEST_KEYS] = NULL;
    if ((rc = check_keys(c, v, "request", keys)) != 0)
        return rc;
    char p[PB_JSON_PATH_MAX], q[PB_JSON_PATH_MAX], got[64];
    for (size_t i = 0; i < N_REQUEST_KEYS; i++) {
        const struct request_key *k = &request_keys[i];
        json_t *item = json_object_get(v, k->key);
        if (item == NULL)
            continue;
        pb_json_path_key(p, sizeof(p), "request", k->key);
        if (k->type == REQ_FLAG) {
            if (!json_is_boolean(item))
                return fail(c, p, "expected true or false, got %s",
                            describe(item, got, sizeof(got)));
            rc = add_request(sc, k->option, json_is_true(item) ? "true" : "false", p);
        } else if (k->type == REQ_TEXT) {
            if (!json_is_string(item))
                return fail(c, p, "expected a string, got %s", describe(item, got, sizeof(got)));
            rc = add_request(sc, k->option, json_string_value(item), p);
        } else {
            if (!json_is_array(item))
                return fail(c, p, "expected an array of strings, got %s",
                            describe(item, got, sizeof(got)));
            size_t j;
            json_t *line;
            json_array_foreach(item, j, line)
            {
                pb_json_path_index(q, sizeof(q), p, j);
                if (!json_is_string(line))
                    return fail(c, q, "expected a string, got %s",
                                describe(line, got, sizeof(got)));
                if ((rc = add_request(sc, k->option, json_string_value(line), q)) != 0)
                    break;
            }
        }
        if (rc != 0)
            return oom(c);
    }
    return 0;
}

bool pb_scenario_is_request_option(const char *name)
{
    for (size_t i = 0; i < N_REQUEST_KEYS; i++)
        if (strcmp(name, request_keys[i].option) == 0)
            return true;
    return false;
}

int pb_scenario_add_request_option(pb_scenario *sc, const char *name, const char *value,
                                   pb_err *err)
{
    char flag[64];
    snprintf(flag, sizeof(flag), "--%s", name);
    if (!pb_scenario_is_request_option(name))
        return pb_err_set(err, PB_ENOENT, "%s: unknown option", flag);
    /* checked once here, as run checks it */
    pb_run_config cfg;
    int rc = pb_run_config_init(&cfg);
    if (rc == 0)
        rc = pb_run_config_set(&cfg, name, value, err);
    else
        pb_err_set(err, rc, "out of memory");
    pb_run_config_cleanup(&cfg);
    if (rc == 0 && add_request(sc, name, value != NULL ? value : "true", flag) != 0)
        rc = pb_err_set(err, PB_ENOMEM, "out of memory");
    return rc;
}

json_t *pb_scenario_request_json(const pb_scenario *sc)
{
    if (sc->n_request == 0)
        return NULL;
    pb_secrets secrets = {0};
    for (int i = 0; i < sc->n_request; i++)
        if (strcmp(sc->request[i].name, "secret-header") == 0 &&
            pb_secrets_add(&secrets, sc->request[i].value, NULL) != 0)
            return NULL; /* checked when parsed: only out of room */
    json_t *o = json_object();
    int bad = o == NULL;
    char line[PB_SECRETS_NAME_MAX + sizeof(": " PB_SECRETS_REDACTED)];
    for (int i = 0; i < sc->n_request && !bad; i++) {
        const pb_scenario_param *r = &sc->request[i];
        const struct request_key *k = NULL;
        for (size_t j = 0; j < N_REQUEST_KEYS && k == NULL; j++)
            if (strcmp(r->name, request_keys[j].option) == 0)
                k = &request_keys[j];
        assert(k != NULL);
        if (k->type == REQ_FLAG) {
            bad |= json_object_set_new(o, k->key, json_boolean(strcmp(r->value, "true") == 0));
        } else if (k->type == REQ_TEXT) {
            bad |= json_object_set_new(o, k->key, json_string(r->value));
        } else {
            json_t *list = json_object_get(o, k->key);
            if (list == NULL) {
                list = json_array();
                bad |= json_object_set_new(o, k->key, list);
            }
            const char *shown = strcmp(r->name, "header") == 0
                                    ? pb_secrets_header(&secrets, r->value, line, sizeof(line))
                                    : r->value;
            bad |= list == NULL || json_array_append_new(list, json_string(shown));
        }
    }
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static int parse_root(const ctx *c, json_t *root, pb_scenario *sc)
{
    static const char *const keys[] = {
        "title",  "description", "seed", "duration",   "requests", "timeout", "time-scale",
        "target", "mock",        "load", "thresholds", "patterns", "request", "trials", NULL};
    char got[64];
    int rc;
    if (!json_is_object(root))
        return fail(c, "", "expected a JSON object at the top level, got %s",
                    describe(root, got, sizeof(got)));
    if ((rc = check_keys(c, root, "", keys)) != 0)
        return rc;

    json_t *v;
    if ((v = json_object_get(root, "title")) != NULL) {
        if ((rc = want_text(c, v, "title", 200, false, &sc->title)) != 0)
            return rc;
    } else if ((sc->title = strdup(sc->source)) == NULL) {
        return oom(c);
    }
    if ((v = json_object_get(root, "description")) != NULL) {
        if ((rc = want_text(c, v, "description", 4000, true, &sc->description)) != 0)
            return rc;
    } else if ((sc->description = strdup("")) == NULL) {
        return oom(c);
    }
    sc->seed = 1;
    if ((v = json_object_get(root, "seed")) != NULL && (rc = parse_seed(c, v, &sc->seed)) != 0)
        return rc;
    if ((rc = parse_bound(c, root, "", &sc->duration, &sc->requests)) != 0)
        return rc;
    if ((v = json_object_get(root, "timeout")) != NULL &&
        (rc = want_duration(c, v, "timeout", &sc->timeout)) != 0)
        return rc;
    sc->time_scale = 1.0;
    if ((v = json_object_get(root, "time-scale")) != NULL) {
        if (!json_is_number(v) || !(json_number_value(v) > 0.0) ||
            json_number_value(v) > PB_SCENARIO_MAX_TIME_SCALE)
            return fail(c, "time-scale",
                        "expected a number above 0 and at most %.0f (72 runs a 72-hour schedule "
                        "in an hour), got %s",
                        PB_SCENARIO_MAX_TIME_SCALE, describe(v, got, sizeof(got)));
        sc->time_scale = json_number_value(v);
    }
    sc->trials = 1;
    if ((v = json_object_get(root, "trials")) != NULL) {
        if (!json_is_integer(v) || json_integer_value(v) < 1 ||
            json_integer_value(v) > PB_TRIALS_MAX)
            return fail(c, "trials",
                        "expected a whole number of trials from 1 to %d (every pattern runs "
                        "once per trial, trial k with seed + k - 1), got %s",
                        PB_TRIALS_MAX, describe(v, got, sizeof(got)));
        sc->trials = (size_t)json_integer_value(v);
    }
    if ((v = json_object_get(root, "target")) != NULL && (rc = parse_target(c, v, sc)) != 0)
        return rc;
    if ((v = json_object_get(root, "mock")) != NULL && (rc = parse_mock(c, v, sc)) != 0)
        return rc;
    if ((v = json_object_get(root, "request")) != NULL && (rc = parse_request(c, v, sc)) != 0)
        return rc;
    if ((v = json_object_get(root, "load")) != NULL && (rc = parse_load(c, v, sc)) != 0)
        return rc;
    if ((v = json_object_get(root, "thresholds")) != NULL &&
        (rc = want_thresholds(c, v, "thresholds", &sc->thresholds, &sc->n_thresholds)) != 0)
        return rc;
    return parse_entries(c, json_object_get(root, "patterns"), sc);
}

/* The mock's own message, placed at the path it names inside the profile
 * ("phases[1].errors ...") when there is one, else at "mock". */
static int fail_mock(const ctx *c, const pb_err *inner)
{
    const char *msg = inner->msg;
    if (strncmp(msg, "mock: ", 6) == 0)
        msg += 6;
    size_t n = strspn(msg, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.[]");
    if (n > 0 && n < PB_JSON_PATH_MAX - 8) {
        char path[PB_JSON_PATH_MAX];
        snprintf(path, sizeof(path), "mock%s%.*s", msg[0] == '[' ? "" : ".", (int)n, msg);
        if (pb_json_pos_find(c->pos, path, NULL, NULL)) {
            const char *rest = msg + n;
            while (*rest == ':' || *rest == ' ')
                rest++;
            return fail(c, path, "%s", rest);
        }
    }
    return fail(c, "mock", "%s", msg);
}

/* Check the mock profile by loading it into a configuration of its own, and
 * keep its phases' names and starts for the comparison table. */
static int load_mock(const ctx *c, pb_scenario *sc)
{
    if (sc->target_url != NULL)
        return 0;
    pb_mock_config *m;
    int rc = pb_mock_config_create(&m);
    if (rc != 0)
        return pb_err_set(c->err, rc, "%s: cannot create a mock configuration: %s", c->source,
                          pb_strerror(rc));
    pb_err inner;
    if (sc->mock_json != NULL && pb_mock_config_load_json(m, sc->mock_json, "mock", &inner) != 0) {
        pb_mock_config_destroy(m);
        return fail_mock(c, &inner);
    }
    int n = pb_mock_config_phase_count(m);
    /* the run counts requests per phase up to PB_MAX_PHASES */
    sc->n_phases = n < PB_MAX_PHASES ? n : PB_MAX_PHASES;
    for (int i = 0; i < sc->n_phases; i++) {
        const char *name;
        pb_mock_config_phase_info(m, i, &sc->phase_at[i], &name);
        if ((sc->phase_names[i] = strdup(name)) == NULL) {
            sc->n_phases = i;
            pb_mock_config_destroy(m);
            return oom(c);
        }
    }
    pb_mock_config_destroy(m);
    return 0;
}

int pb_scenario_parse(const char *text, size_t len, const char *source, pb_scenario **out,
                      pb_err *err)
{
    pb_scenario *sc = calloc(1, sizeof(*sc));
    json_error_t jerr;
    ctx c = {source, NULL, err};
    int rc;
    if (sc == NULL || (sc->source = strdup(source)) == NULL) {
        rc = oom(&c);
        goto fail;
    }
    sc->json = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (sc->json == NULL) {
        rc = pb_err_set(err, PB_EPARSE, "%s: invalid JSON: %s (line %d, column %d)", source,
                        jerr.text, jerr.line, jerr.column);
        goto fail;
    }
    /* positions are a courtesy: without them, messages just have none */
    pb_err pos_err;
    if (pb_json_pos_build(text, len, &sc->pos, &pos_err) != 0)
        sc->pos = NULL;
    c.pos = sc->pos;
    if ((rc = parse_root(&c, sc->json, sc)) != 0)
        goto fail;
    if ((rc = load_mock(&c, sc)) != 0)
        goto fail;
    for (int i = 0; i < sc->n_entries; i++) {
        pb_run_config cfg;
        rc = pb_scenario_run_config(sc, i, &cfg, err);
        pb_run_config_cleanup(&cfg);
        if (rc != 0)
            goto fail;
    }
    *out = sc;
    return 0;
fail:
    pb_scenario_destroy(sc);
    return rc;
}

int pb_scenario_load(const char *path, pb_scenario **out, pb_err *err)
{
    FILE *f = fopen(path, "rb");
    char *text = NULL;
    int rc;
    if (f == NULL)
        return pb_err_set(err, PB_ENOENT, "%s: cannot open the scenario file: %s", path,
                          strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        rc = pb_err_set(err, PB_EINVAL, "%s: expected a scenario file (JSON), got %s", path,
                        S_ISDIR(st.st_mode) ? "a directory" : "something that is not a file");
        goto done;
    }
    if (st.st_size > (off_t)PB_SCENARIO_MAX_BYTES) {
        rc =
            pb_err_set(err, PB_ERANGE, "%s: expected a scenario file of at most %u bytes, got %lld",
                       path, PB_SCENARIO_MAX_BYTES, (long long)st.st_size);
        goto done;
    }
    size_t size = (size_t)st.st_size;
    text = malloc(size + 1);
    if (text == NULL) {
        rc = pb_err_set(err, PB_ENOMEM, "%s: out of memory", path);
        goto done;
    }
    if (fread(text, 1, size, f) != size) {
        rc = pb_err_set(err, PB_EIO, "%s: cannot read the scenario file", path);
        goto done;
    }
    text[size] = '\0';
    rc = pb_scenario_parse(text, size, path, out, err);
done:
    free(text);
    fclose(f);
    return rc;
}

void pb_scenario_destroy(pb_scenario *sc)
{
    if (sc == NULL)
        return;
    for (int i = 0; i < sc->n_entries; i++) {
        pb_scenario_entry *e = &sc->entries[i];
        for (int j = 0; j < e->n_params; j++) {
            free(e->params[j].name);
            free(e->params[j].value);
        }
        free(e->params);
        free_strings(e->thresholds, e->n_thresholds);
    }
    free(sc->entries);
    free_strings(sc->thresholds, sc->n_thresholds);
    for (int i = 0; i < sc->n_request; i++) {
        free(sc->request[i].name);
        free(sc->request[i].value);
        free(sc->request[i].path);
    }
    free(sc->request);
    for (int i = 0; i < sc->n_phases; i++)
        free(sc->phase_names[i]);
    free(sc->source);
    free(sc->title);
    free(sc->description);
    free(sc->target_url);
    free(sc->mock_json);
    json_decref(sc->json);
    pb_json_pos_destroy(sc->pos);
    free(sc);
}

static pb_usec scaled(pb_usec d, double k)
{
    pb_usec v = (pb_usec)((double)d / k + 0.5);
    return d > 0 && v == 0 ? 1 : v;
}

int pb_scenario_time_scale(pb_scenario *sc, double k, pb_err *err)
{
    if (!(k > 0.0) || k > PB_SCENARIO_MAX_TIME_SCALE)
        return pb_err_set(err, PB_ERANGE,
                          "--time-scale: expected a number above 0 and at most %.0f, "
                          "got %g",
                          PB_SCENARIO_MAX_TIME_SCALE, k);
    if (k == 1.0)
        return 0;
    sc->duration = scaled(sc->duration, k);
    for (int i = 0; i < sc->n_entries; i++)
        sc->entries[i].duration = scaled(sc->entries[i].duration, k);
    for (int i = 0; i < sc->n_rate_steps; i++)
        sc->rate_steps[i].at = scaled(sc->rate_steps[i].at, k);
    for (int i = 0; i < sc->stages.n; i++)
        sc->stages.stage[i].duration = scaled(sc->stages.stage[i].duration, k);
    for (int i = 0; i < sc->n_phases; i++)
        sc->phase_at[i] = scaled(sc->phase_at[i], k);
    /* the mock reads its phases from the profile's text: rewrite their offsets */
    if (sc->mock_json != NULL) {
        json_t *mock = json_loads(sc->mock_json, 0, NULL);
        json_t *phases = json_object_get(mock, "phases");
        for (size_t i = 0; i < json_array_size(phases); i++) {
            json_t *at = json_object_get(json_array_get(phases, i), "at");
            pb_usec d;
            pb_err inner;
            char text[32];
            if (json_is_string(at) &&
                pb_parse_duration(json_string_value(at), "at", &d, &inner) == 0) {
                snprintf(text, sizeof(text), "%lluus", (unsigned long long)scaled(d, k));
                json_object_set_new(json_array_get(phases, i), "at", json_string(text));
            }
        }
        char *text = mock != NULL ? pb_json_dumps(mock, JSON_COMPACT) : NULL;
        json_decref(mock);
        if (text == NULL)
            return pb_err_set(err, PB_ENOMEM, "%s: out of memory", sc->source);
        free(sc->mock_json);
        sc->mock_json = text;
    }
    sc->time_scale = k;
    return 0;
}

void pb_scenario_set_bound(pb_scenario *sc, pb_usec duration, uint64_t requests)
{
    if (duration == 0 && requests == 0)
        return;
    sc->duration = duration;
    sc->requests = duration != 0 ? 0 : requests;
    for (int i = 0; i < sc->n_entries; i++) {
        sc->entries[i].duration = 0;
        sc->entries[i].requests = 0;
    }
}

int pb_scenario_add_threshold(pb_scenario *sc, const char *expr, pb_err *err)
{
    pb_threshold t;
    int rc = pb_threshold_parse(expr, &t, err);
    if (rc != 0)
        return rc;
    for (int i = 0; i < sc->n_entries; i++)
        if (sc->n_thresholds + 1 + sc->entries[i].n_thresholds > PB_SCENARIO_MAX_THRESHOLDS)
            return pb_err_set(err, PB_ERANGE,
                              "threshold \"%s\": expected at most %d thresholds per run, those "
                              "of %s included",
                              expr, PB_SCENARIO_MAX_THRESHOLDS, sc->source);
    char **list = realloc(sc->thresholds, (size_t)(sc->n_thresholds + 1) * sizeof(*list));
    if (list == NULL)
        return pb_err_set(err, PB_ENOMEM, "out of memory");
    sc->thresholds = list;
    if ((list[sc->n_thresholds] = strdup(t.expr)) == NULL)
        return pb_err_set(err, PB_ENOMEM, "out of memory");
    sc->n_thresholds++;
    return 0;
}

int pb_scenario_select(const pb_scenario *sc, const char *list, bool *selected, pb_err *err)
{
    for (int i = 0; i < sc->n_entries; i++)
        selected[i] = false;
    const char *p = list;
    do {
        size_t n = strcspn(p, ",");
        bool found = false;
        /* a label names one entry; only a name that is no label picks a pattern */
        for (int i = 0; i < sc->n_entries && n > 0; i++) {
            const char *label = sc->entries[i].label;
            if (strlen(label) == n && strncmp(label, p, n) == 0)
                selected[i] = found = true;
        }
        for (int i = 0; i < sc->n_entries && n > 0 && !found; i++) {
            const char *pattern = sc->entries[i].pattern;
            if (strlen(pattern) == n && strncmp(pattern, p, n) == 0)
                selected[i] = true;
        }
        for (int i = 0; i < sc->n_entries && n > 0 && !found; i++)
            found = selected[i] && strlen(sc->entries[i].pattern) == n &&
                    strncmp(sc->entries[i].pattern, p, n) == 0;
        if (!found) {
            char labels[300];
            size_t o = 0;
            labels[0] = '\0';
            for (int i = 0; i < sc->n_entries && o < sizeof(labels); i++)
                o += (size_t)snprintf(labels + o, sizeof(labels) - o, "%s%s", i ? ", " : "",
                                      sc->entries[i].label);
            return pb_err_set(err, PB_EINVAL,
                              "--patterns: \"%.*s\" is neither a label nor a pattern of %s; "
                              "expected a comma-separated list of: %s",
                              (int)n, p, sc->source, labels);
        }
        p += n;
    } while (*p++ == ',');
    return 0;
}

/* An unknown key in an entry: suggest among the entry's own keys and every
 * pattern option. */
static int unknown_entry_key(const ctx *c, const char *path, const char *name)
{
    const char *known[128];
    size_t n = 0;
    for (size_t i = 0; entry_keys[i] != NULL; i++)
        known[n++] = entry_keys[i];
    const pb_param_info *info;
    for (size_t i = 0; (info = pb_pattern_param_info(i)) != NULL && n + 1 < 128; i++)
        known[n++] = info->name;
    known[n] = NULL;
    const char *guess = pb_suggest(name, known);
    if (guess != NULL)
        return fail_key(c, path, "unknown key; did you mean \"%s\"?", guess);
    return fail_key(c, path,
                    "unknown key; expected pattern, label, duration, requests, timeout, "
                    "thresholds or a pattern option (see patterns/README.md)");
}

/* An option's message without the flag name it starts with, which a path
 * replaces in a scenario's messages. */
static const char *without_flag(const char *msg, const char *name)
{
    size_t n = strlen(name);
    if (strncmp(msg, "--", 2) == 0 && strncmp(msg + 2, name, n) == 0 && msg[n + 2] == ':')
        msg += n + 3;
    else if (strncmp(msg, name, n) == 0 && msg[n] == ':')
        msg += n + 1;
    while (*msg == ' ')
        msg++;
    return msg;
}

/* Apply one option; a failure becomes a message at path. */
static int set_option(const ctx *c, pb_run_config *cfg, const char *path, const char *name,
                      const char *value)
{
    pb_err inner;
    int rc = pb_run_config_set(cfg, name, value, &inner);
    if (rc == 0)
        return 0;
    if (rc == PB_ENOENT)
        return unknown_entry_key(c, path, name);
    return fail(c, path, "%s", without_flag(inner.msg, name));
}

int pb_scenario_run_config(const pb_scenario *sc, int i, pb_run_config *cfg, pb_err *err)
{
    ctx c = {sc->source, sc->pos, err};
    const pb_scenario_entry *e = &sc->entries[i];
    char entry[PB_JSON_PATH_MAX], p[PB_JSON_PATH_MAX], text[64];
    pb_json_path_index(entry, sizeof(entry), "patterns", (size_t)i);

    int rc = pb_run_config_init(cfg);
    if (rc != 0)
        return pb_err_set(err, rc, "%s: cannot initialise a run: %s", sc->source, pb_strerror(rc));
    pb_json_path_key(p, sizeof(p), entry, "pattern");
    if ((rc = set_option(&c, cfg, p, "pattern", e->pattern)) != 0)
        return rc;
    snprintf(cfg->label, sizeof(cfg->label), "%s", e->label);
    snprintf(text, sizeof(text), "%llu", (unsigned long long)sc->seed);
    if ((rc = set_option(&c, cfg, "seed", "seed", text)) != 0)
        return rc;

    if (sc->target_url != NULL) {
        if ((rc = set_option(&c, cfg, "target", "target", sc->target_url)) != 0)
            return rc;
    } else if (sc->mock_json != NULL) {
        pb_err inner;
        rc = pb_mock_config_load_json(cfg->mock, sc->mock_json, "mock", &inner);
        if (rc != 0)
            return fail_mock(&c, &inner);
        /* the profile replaces the settings: seed the mock again */
        if ((rc = pb_mock_config_set(cfg->mock, "seed", text, &inner)) != 0)
            return fail(&c, "seed", "%s", inner.msg);
    }

    for (int j = 0; j < sc->n_request; j++) {
        const pb_scenario_param *r = &sc->request[j];
        pb_err inner;
        if ((rc = pb_run_config_set(cfg, r->name, r->value, &inner)) == 0)
            continue;
        if (strncmp(r->path, "--", 2) == 0) /* compare's own option: its message as it is */
            return pb_err_set(err, rc, "%s", inner.msg);
        return fail(&c, r->path, "%s", without_flag(inner.msg, r->name));
    }

    cfg->timeout = e->timeout ? e->timeout : sc->timeout ? sc->timeout : cfg->timeout;
    if (e->duration != 0 || e->requests != 0) {
        cfg->duration = e->duration;
        cfg->requests = e->requests;
    } else if (sc->duration != 0 || sc->requests != 0) {
        cfg->duration = sc->duration;
        cfg->requests = sc->requests;
    }

    if (sc->open_loop && sc->rate > 0) {
        snprintf(text, sizeof(text), "%.17g", sc->rate);
        if ((rc = set_option(&c, cfg, "load.open.rate", "rate", text)) != 0)
            return rc;
        memcpy(cfg->rate_steps, sc->rate_steps, sizeof(cfg->rate_steps));
        cfg->n_rate_steps = sc->n_rate_steps;
    } else if (!sc->open_loop && sc->concurrency != 0) {
        snprintf(text, sizeof(text), "%u", sc->concurrency);
        if ((rc = set_option(&c, cfg, "load.closed.concurrency", "concurrency", text)) != 0)
            return rc;
    }
    if (sc->stages.n > 0) {
        /* the ramp is each run's length, as --stages makes it */
        const char *key = sc->open_loop ? "load.open.stages" : "load.closed.stages";
        if (e->duration != 0 || sc->duration != 0)
            return fail(&c, key,
                        "the stages set each run's length (their sum); drop the \"duration\" "
                        "(or compare's --duration)");
        cfg->stages = sc->stages;
        cfg->ramp_workers = !sc->open_loop;
        cfg->duration = pb_stages_length(&sc->stages);
    }

    for (int j = 0; j < e->n_params; j++) {
        pb_json_path_key(p, sizeof(p), entry, e->params[j].name);
        if ((rc = set_option(&c, cfg, p, e->params[j].name, e->params[j].value)) != 0)
            return rc;
    }

    /* an entry's option its pattern (or policy) does not read is refused at
     * its key; the top-level settings (seed, load) apply to every pattern */
    for (int j = 0; j < e->n_params; j++) {
        pb_err inner;
        pb_json_path_key(p, sizeof(p), entry, e->params[j].name);
        rc = pb_pattern_param_check_used(cfg->pattern, &cfg->params, e->params[j].name, &inner);
        if (rc == PB_EINVAL)
            return fail(&c, p, "%s", without_flag(inner.msg, e->params[j].name));
    }

    char *const *lists[2] = {sc->thresholds, e->thresholds};
    int counts[2] = {sc->n_thresholds, e->n_thresholds};
    for (int l = 0; l < 2; l++) {
        for (int j = 0; j < counts[l]; j++) {
            if (cfg->n_thresholds == (int)(sizeof(cfg->thresholds) / sizeof(cfg->thresholds[0])))
                return pb_err_set(err, PB_ERANGE, "%s: %s: too many thresholds", sc->source, entry);
            if ((cfg->thresholds[cfg->n_thresholds] = strdup(lists[l][j])) == NULL)
                return oom(&c);
            cfg->n_thresholds++;
        }
    }
    /* the pattern's cross-field rules (min-limit <= max-limit, ...) */
    pb_err inner;
    if ((rc = pb_run_config_check(cfg, &inner)) != 0)
        return fail(&c, entry, "%s", inner.msg);
    return 0;
}
