/* pb_run_config: the options of one run, from the command line or a scenario. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>

#include "http_lanes.h"
#include "json_out.h"
#include "registry.h"
#include "rng.h"
#include "run_config.h"
#include "threshold.h"
#include "trailing.h"
#include "units.h"
#include "utf8.h"

int pb_run_config_init(pb_run_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    snprintf(cfg->pattern, sizeof(cfg->pattern), "queue");
    pb_pattern_params_default(&cfg->params);
    cfg->duration = 10 * PB_USEC_PER_SEC;
    cfg->timeout = 10 * PB_USEC_PER_SEC;
    cfg->seed = 1;
    cfg->params.seed = cfg->seed;
    cfg->record = true;
    cfg->keep_every = 1;
    pb_target_init(&cfg->request);
    pb_status_set_default(&cfg->ok_status);
    cfg->abort_delay = 60 * PB_USEC_PER_SEC;
    cfg->threshold_window = 60 * PB_USEC_PER_SEC;
    cfg->db_path = strdup("patternbench.db");
    if (cfg->db_path == NULL)
        return PB_ENOMEM;
    int rc = pb_mock_config_create(&cfg->mock);
    if (rc != 0) {
        pb_run_config_cleanup(cfg);
        return rc;
    }
    return 0;
}

void pb_run_config_cleanup(pb_run_config *cfg)
{
    free(cfg->target_url);
    pb_target_cleanup(&cfg->request);
    free(cfg->targets_path);
    pb_targets_cleanup(&cfg->targets);
    free(cfg->cacert);
    free(cfg->db_path);
    pb_mock_config_destroy(cfg->mock);
    for (int i = 0; i < cfg->n_thresholds; i++)
        free(cfg->thresholds[i]);
    memset(cfg, 0, sizeof(*cfg));
}

static int set_flag(bool *flag, const char *name, const char *value, pb_err *err)
{
    if (value == NULL || strcmp(value, "true") == 0 || strcmp(value, "1") == 0)
        *flag = true;
    else if (strcmp(value, "false") == 0 || strcmp(value, "0") == 0)
        *flag = false;
    else
        return pb_err_set(err, PB_EPARSE, "--%s: expected no value, true or false, got \"%s\"",
                          name, value);
    return 0;
}

static int set_string(char **dst, const char *name, const char *value, pb_err *err)
{
    if (value == NULL || value[0] == '\0')
        return pb_err_set(err, PB_EINVAL, "--%s: expected a value", name);
    char *copy = strdup(value);
    if (copy == NULL)
        return pb_err_set(err, PB_ENOMEM, "--%s: out of memory", name);
    free(*dst);
    *dst = copy;
    return 0;
}

/* --record all | sample:N | seconds, as the number of request rows per one stored. */
static int parse_record(const char *value, uint32_t *keep_every, pb_err *err)
{
    if (strcmp(value, "all") == 0) {
        *keep_every = 1;
        return 0;
    }
    if (strcmp(value, "seconds") == 0) {
        *keep_every = 0;
        return 0;
    }
    if (strncmp(value, "sample:", 7) == 0) {
        uint64_t n;
        int rc = pb_parse_u64(value + 7, "--record sample:N", 1, UINT32_MAX, &n, err);
        if (rc == 0)
            *keep_every = (uint32_t)n;
        return rc;
    }
    return pb_err_set(err, PB_EINVAL,
                      "--record: expected all, sample:N (one request row in N) or seconds (the "
                      "per-second rollup and events only), got \"%s\"",
                      value);
}

int pb_run_config_set(pb_run_config *cfg, const char *name, const char *value, pb_err *err)
{
    /* the configuration is stored as JSON, which holds only UTF-8 text; a
     * body is stored by its length and file, so any bytes do */
    if (value != NULL && strcmp(name, "body") != 0 && !pb_utf8_valid(value))
        return pb_err_set(err, PB_EPARSE, "--%s: expected UTF-8 text, got bytes that are not",
                          name);
    if (strcmp(name, "quiet") == 0)
        return set_flag(&cfg->quiet, name, value, err);
    if (strcmp(name, "json") == 0)
        return set_flag(&cfg->json, name, value, err);
    if (strcmp(name, "insecure") == 0)
        return set_flag(&cfg->insecure, name, value, err);
    if (strcmp(name, "abort-on-fail") == 0)
        return set_flag(&cfg->abort_on_fail, name, value, err);
    if (strcmp(name, "abort-delay") == 0)
        return pb_parse_duration(value, "--abort-delay", &cfg->abort_delay, err);
    if (strcmp(name, "threshold-window") == 0) {
        pb_usec d;
        int rc = pb_parse_duration(value, "--threshold-window", &d, err);
        if (rc == 0 && (d < PB_USEC_PER_SEC || d > PB_TRAILING_MAX_SECONDS * PB_USEC_PER_SEC ||
                        d % PB_USEC_PER_SEC != 0))
            rc = pb_err_set(err, PB_ERANGE,
                            "--threshold-window: expected whole seconds from 1s to 1h, got \"%s\"",
                            value);
        if (rc == 0)
            cfg->threshold_window = d;
        return rc;
    }
    if (strcmp(name, "no-record") == 0) {
        bool off = false;
        int rc = set_flag(&off, name, value, err);
        if (rc == 0)
            cfg->record = !off;
        return rc;
    }
    /* everything else takes a value */
    if (value == NULL)
        return pb_err_set(err, PB_EINVAL, "--%s: expected a value", name);
    if (strcmp(name, "pattern") == 0) {
        if (pb_pattern_find(value) == NULL) {
            char names[PB_PATTERN_NAMES_MAX];
            pb_pattern_names(", ", names, sizeof(names));
            return pb_err_set(err, PB_EINVAL, "--pattern: expected one of %s, got \"%s\"", names,
                              value);
        }
        snprintf(cfg->pattern, sizeof(cfg->pattern), "%s", value);
        return 0;
    }
    if (strcmp(name, "record") == 0)
        return parse_record(value, &cfg->keep_every, err);
    if (strcmp(name, "keep-requests") == 0) {
        pb_usec d;
        int rc = pb_parse_duration(value, "--keep-requests", &d, err);
        if (rc == 0 && (d < PB_USEC_PER_SEC || d > 7 * 24 * 3600 * PB_USEC_PER_SEC))
            rc =
                pb_err_set(err, PB_ERANGE,
                           "--keep-requests: expected a duration from 1s to 7d, got \"%s\"", value);
        if (rc == 0)
            cfg->keep_requests = d;
        return rc;
    }
    if (strcmp(name, "disk-reserve") == 0) {
        uint64_t bytes;
        double share;
        int rc = pb_parse_size_or_percent(value, "--disk-reserve", &bytes, &share, err);
        if (rc == 0 && bytes == 0 && share == 0)
            rc = pb_err_set(err, PB_ERANGE, "--disk-reserve: expected a size above 0, got \"%s\"",
                            value);
        if (rc == 0) {
            cfg->disk_reserve = bytes;
            cfg->disk_reserve_share = share;
        }
        return rc;
    }
    if (strcmp(name, "label") == 0) {
        int rc = pb_run_label_check(value, err);
        if (rc != 0) {
            pb_err_prefix(err, "--label");
            return rc;
        }
        snprintf(cfg->label, sizeof(cfg->label), "%s", value);
        return 0;
    }
    if (strcmp(name, "target") == 0) {
        /* checked as a target's URL is, kept apart: the built-in mock's is known later */
        pb_target check;
        pb_target_init(&check);
        int rc = pb_target_set_url(&check, value, err);
        pb_target_cleanup(&check);
        if (rc != 0) {
            pb_err_prefix(err, "--target");
            return rc;
        }
        return set_string(&cfg->target_url, name, value, err);
    }
    if (strcmp(name, "targets") == 0 || strcmp(name, "targets-format") == 0) {
        int rc = strcmp(name, "targets") == 0
                     ? set_string(&cfg->targets_path, name, value, err)
                     : pb_targets_parse_format(value, &cfg->targets_format, err);
        if (rc != 0 || cfg->targets_path == NULL)
            return rc;
        /* read now, so that a mistake is refused before anything starts
         * (again should --targets-format follow) */
        pb_targets_cleanup(&cfg->targets);
        return pb_targets_load(cfg->targets_path, cfg->targets_format, &cfg->targets, err);
    }
    if (strcmp(name, "targets-order") == 0) {
        if (strcmp(value, "round-robin") != 0 && strcmp(value, "random") != 0)
            return pb_err_set(err, PB_EINVAL,
                              "--targets-order: expected round-robin or random, got \"%s\"", value);
        cfg->targets_random = strcmp(value, "random") == 0;
        return 0;
    }
    if (strcmp(name, "method") == 0)
        return pb_target_set_method(&cfg->request, value, err);
    if (strcmp(name, "header") == 0)
        return pb_target_add_header(&cfg->request, value, err);
    if (strcmp(name, "body") == 0)
        return pb_target_set_body(&cfg->request, value, err);
    if (strcmp(name, "ok-status") == 0)
        return pb_status_set_parse(&cfg->ok_status, value, err);
    if (strcmp(name, "secret-header") == 0)
        return pb_secrets_add(&cfg->secrets, value, err);
    if (strcmp(name, "cacert") == 0) {
        /* read by libcurl at the first https:// connection: refuse a bad path now */
        FILE *f = fopen(value, "r");
        if (f == NULL)
            return pb_err_set(err, PB_EIO, "--cacert %s: cannot read the file: %s", value,
                              strerror(errno));
        fclose(f);
        return set_string(&cfg->cacert, name, value, err);
    }
    if (strcmp(name, "db") == 0)
        return set_string(&cfg->db_path, name, value, err);
    if (strcmp(name, "stages") == 0) {
        int rc = pb_stages_parse(value, "--stages", &cfg->stages, err);
        /* the ramp is the run's length; with --requests too, whichever ends first */
        if (rc == 0)
            cfg->duration = pb_stages_length(&cfg->stages);
        return rc;
    }
    if (strcmp(name, "ramp") == 0) {
        if (strcmp(value, "rate") != 0 && strcmp(value, "concurrency") != 0)
            return pb_err_set(err, PB_EINVAL, "--ramp: expected rate or concurrency, got \"%s\"",
                              value);
        cfg->ramp_workers = strcmp(value, "concurrency") == 0;
        return 0;
    }
    if (strcmp(name, "duration") == 0) {
        pb_usec d = 0;
        int rc = pb_run_parse_duration(value, &d, err);
        if (rc != 0)
            return rc;
        cfg->duration = d;
        cfg->duration_set = true;
        return 0;
    }
    if (strcmp(name, "requests") == 0 || strcmp(name, "tasks") == 0) {
        int rc = pb_run_parse_requests(value, &cfg->requests, err);
        if (rc != 0)
            return rc;
        /* a count alone bounds the run; with --duration too, whichever comes first */
        if (!cfg->duration_set && cfg->stages.n == 0)
            cfg->duration = 0;
        return 0;
    }
    if (strcmp(name, "timeout") == 0) {
        pb_usec t;
        int rc = pb_parse_duration(value, "--timeout", &t, err);
        if (rc != 0)
            return rc;
        if (t < PB_USEC_PER_MS)
            return pb_err_set(err, PB_ERANGE, "--timeout: expected at least 1ms, got \"%s\"",
                              value);
        cfg->timeout = t;
        return 0;
    }
    if (strcmp(name, "client-threads") == 0)
        return pb_run_parse_client_threads(value, &cfg->client_threads, err);
    if (strcmp(name, "seed") == 0) {
        /* one seed for the whole run: the pattern's jitter and the mock's draws */
        uint64_t seed;
        int rc = pb_run_parse_seed(value, &seed, err);
        if (rc == 0)
            rc = pb_mock_config_set(cfg->mock, "seed", value, err);
        if (rc != 0)
            return rc;
        cfg->seed = seed;
        cfg->params.seed = seed;
        return 0;
    }
    if (strcmp(name, "segment") == 0)
        return pb_segment_parse(value, &cfg->segment, err);
    if (strcmp(name, "start-at") == 0)
        return pb_segment_parse_start(value, &cfg->start_at_us, err);
    if (strcmp(name, "threshold") == 0) {
        if (cfg->n_thresholds == (int)(sizeof(cfg->thresholds) / sizeof(cfg->thresholds[0])))
            return pb_err_set(err, PB_EFULL, "--threshold: at most %zu thresholds",
                              sizeof(cfg->thresholds) / sizeof(cfg->thresholds[0]));
        pb_threshold t;
        int rc = pb_threshold_parse(value, &t, err);
        if (rc != 0)
            return rc;
        char *copy = NULL;
        rc = set_string(&copy, name, t.expr, err);
        if (rc == 0)
            cfg->thresholds[cfg->n_thresholds++] = copy;
        return rc;
    }
    /* the short names issue 4 gives for pattern parameters */
    static const char *const aliases[][2] = {
        {"min", "min-limit"}, {"max", "max-limit"}, {"retry", "retry-attempts"}};
    for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
        if (strcmp(name, aliases[i][0]) == 0)
            name = aliases[i][1];
    int rc = pb_pattern_params_set(&cfg->params, name, value, err);
    if (rc == 0)
        cfg->params_given |= UINT64_C(1) << pb_pattern_param_index(name);
    if (rc != PB_ENOENT)
        return rc;
    rc = pb_mock_config_set(cfg->mock, name, value, err);
    if (rc == 0 && cfg->mock_option[0] == '\0')
        snprintf(cfg->mock_option, sizeof(cfg->mock_option), "%s", name);
    if (rc == PB_ENOENT)
        return pb_err_set(err, PB_ENOENT, "--%s: unknown option", name);
    return rc;
}

uint32_t pb_run_target_of(const pb_run_config *cfg, uint64_t task)
{
    if (cfg->targets.n <= 1)
        return 0;
    /* a task keeps its target through its retries */
    uint64_t k = cfg->targets_random ? pb_mix64(cfg->seed ^ pb_mix64(task)) : task;
    return (uint32_t)(k % cfg->targets.n);
}

bool pb_run_config_is_flag(const char *name)
{
    return strcmp(name, "quiet") == 0 || strcmp(name, "json") == 0 ||
           strcmp(name, "no-record") == 0 || strcmp(name, "insecure") == 0 ||
           strcmp(name, "abort-on-fail") == 0;
}

double pb_run_ramp_start(const pb_run_config *cfg)
{
    if (!cfg->ramp_workers)
        return cfg->params.rate;
    int bit = pb_pattern_param_index("concurrency");
    return (cfg->params_given >> bit & 1) ? (double)cfg->params.concurrency : 0.0;
}

/* A ramp of closed-loop workers: whole numbers of them, a pattern that has
 * workers to set, and no rate or segment to share them. */
static int check_workers_ramp(const pb_run_config *cfg, pb_err *err)
{
    int rc = pb_stages_check_workers(&cfg->stages, "--stages", err);
    if (rc != 0)
        return rc;
    const pb_pattern_ops *ops = pb_pattern_find(cfg->pattern);
    if (ops->set_workers == NULL)
        return pb_err_set(err, PB_EINVAL,
                          "--ramp concurrency: the %s pattern sets its own concurrency; ramp "
                          "its arrival rate instead (--ramp rate)",
                          cfg->pattern);
    if (cfg->params.rate > 0)
        return pb_err_set(err, PB_EINVAL,
                          "--ramp concurrency ramps a closed loop; drop --rate (or ramp the "
                          "rate: --ramp rate)");
    if (pb_segment_active(cfg->segment))
        return pb_err_set(err, PB_EINVAL,
                          "--ramp concurrency: a ramp of workers cannot be split into "
                          "--segment shares; ramp the rate (--ramp rate) to split the run");
    return 0;
}

int pb_run_config_check(const pb_run_config *cfg, pb_err *err)
{
    if (pb_pattern_find(cfg->pattern) == NULL)
        return pb_err_set(err, PB_EINVAL, "unknown pattern \"%s\"", cfg->pattern);
    if (cfg->duration == 0 && cfg->requests == 0)
        return pb_err_set(err, PB_EINVAL, "expected --duration or --requests to bound the run");
    if (cfg->target_url != NULL && cfg->mock_option[0] != '\0')
        return pb_err_set(err, PB_EINVAL,
                          "--%s configures the built-in mock server; it cannot be used with "
                          "--target",
                          cfg->mock_option);
    if (cfg->target_url == NULL) {
        int rc = pb_mock_config_check(cfg->mock, err);
        if (rc != 0)
            return rc;
    }
    if (cfg->targets.n > 0 &&
        (strcmp(cfg->request.method, "GET") != 0 || cfg->request.body != NULL))
        return pb_err_set(err, PB_EINVAL,
                          "--targets: each target has its own method and body; --method and "
                          "--body describe one request (--header adds to every target)");
    if (cfg->cacert != NULL && cfg->insecure)
        return pb_err_set(err, PB_EINVAL,
                          "--cacert and --insecure: expected one of them (--insecure verifies "
                          "nothing, so a CA file would change nothing)");
    if (cfg->record && (cfg->db_path == NULL || cfg->db_path[0] == '\0'))
        return pb_err_set(err, PB_EINVAL, "--db: expected a file name");
    /* the built-in mock's own checks (a listen address beyond loopback with
     * an open admin API), before anything is created, as `mock` does */
    if (cfg->target_url == NULL) {
        int rc = pb_mock_config_check(cfg->mock, err);
        if (rc != 0)
            return rc;
    }
    for (int i = 1; i < cfg->n_rate_steps; i++)
        if (cfg->rate_steps[i].at < cfg->rate_steps[i - 1].at)
            return pb_err_set(err, PB_EINVAL, "rate steps: expected increasing times");
    if (cfg->stages.n > 0) {
        if (cfg->duration_set)
            return pb_err_set(err, PB_EINVAL,
                              "--stages sets the run's length (the sum of its stages); drop "
                              "--duration");
        if (cfg->n_rate_steps > 0)
            return pb_err_set(err, PB_EINVAL,
                              "--stages: a ramp and rate phases cannot both set the rate");
        int rc = pb_stages_check(&cfg->stages, pb_run_ramp_start(cfg), "--stages", err);
        if (rc == 0 && cfg->ramp_workers)
            rc = check_workers_ramp(cfg, err);
        if (rc != 0)
            return rc;
    } else if (cfg->ramp_workers) {
        return pb_err_set(err, PB_EINVAL,
                          "--ramp concurrency: expected --stages, the workers to ramp through");
    }
    if (cfg->abort_on_fail && cfg->n_thresholds == 0)
        return pb_err_set(err, PB_EINVAL,
                          "--abort-on-fail: expected a --threshold to judge, such as p99<200ms");
    /* an option the pattern does not read would change nothing: refuse it
     * rather than let a user believe it took effect */
    for (int i = 0; i < PB_PARAMS_MAX; i++) {
        if ((cfg->params_given & (UINT64_C(1) << i)) == 0)
            continue;
        int rc = pb_pattern_param_check_used(cfg->pattern, &cfg->params,
                                             pb_pattern_param_info((size_t)i)->name, err);
        if (rc != 0)
            return rc;
    }
    pb_pattern_params p = cfg->params;
    p.seed = cfg->seed;
    /* the segment's own share is what runs, so that is what must pass */
    int rc = pb_segment_params(cfg->segment, cfg->requests, &p, err);
    return rc != 0 ? rc : pb_pattern_check(cfg->pattern, &p, err);
}

int pb_run_parse_requests(const char *value, uint64_t *out, pb_err *err)
{
    return pb_parse_u64(value, "--requests", 1, PB_RUN_REQUESTS_MAX, out, err);
}

int pb_run_parse_duration(const char *value, pb_usec *out, pb_err *err)
{
    pb_usec d;
    int rc = pb_parse_duration(value, "--duration", &d, err);
    if (rc != 0)
        return rc;
    if (d == 0)
        return pb_err_set(err, PB_ERANGE, "--duration: expected more than 0s, got \"%s\"", value);
    *out = d;
    return 0;
}

int pb_run_parse_seed(const char *value, uint64_t *out, pb_err *err)
{
    return pb_parse_u64(value, "--seed", 0, PB_RUN_SEED_MAX, out, err);
}

int pb_run_parse_client_threads(const char *value, uint32_t *out, pb_err *err)
{
    uint64_t n;
    int rc = pb_parse_u64(value, "--client-threads", 1, PB_LANES_MAX, &n, err);
    if (rc == 0)
        *out = (uint32_t)n;
    return rc;
}

uint32_t pb_run_client_threads(uint32_t asked, uint32_t slots, long cpus)
{
    if (asked > 0)
        return asked;
    uint32_t n = cpus < 1 ? 1 : cpus > 4 ? 4 : (uint32_t)cpus;
    uint32_t by_slots = slots / 16 > 0 ? slots / 16 : 1;
    return n < by_slots ? n : by_slots;
}

/* A request as the stored configuration shows it. */
static json_t *request_json(const pb_target *t, const pb_secrets *secrets)
{
    json_t *o = json_object(), *headers = json_array();
    int bad = o == NULL || headers == NULL;
    char line[PB_SECRETS_NAME_MAX + sizeof(": " PB_SECRETS_REDACTED)];
    for (const struct curl_slist *h = t->headers; !bad && h != NULL; h = h->next)
        bad |= json_array_append_new(
            headers, json_string(pb_secrets_header(secrets, h->data, line, sizeof(line))));
    if (!bad && t->url != NULL) {
        char *shown = pb_secrets_url(t->url);
        bad |= shown == NULL || json_object_set_new(o, "url", json_string(shown));
        free(shown);
    }
    if (!bad)
        bad |= json_object_set_new(o, "method", json_string(t->method));
    if (!bad)
        bad |= json_object_set(o, "headers", headers);
    /* the body itself may hold credentials too: its size and file only */
    if (!bad && t->body != NULL)
        bad |= json_object_set_new(o, "body_bytes", json_integer((json_int_t)t->body_len));
    if (!bad && t->body_file != NULL)
        bad |= json_object_set_new(o, "body_file", json_string(t->body_file));
    json_decref(headers);
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* Parse a JSON text made by another module into a value (NULL on failure). */
static json_t *embed(char *text)
{
    if (text == NULL)
        return NULL;
    json_t *v = json_loads(text, 0, NULL);
    free(text);
    return v;
}

char *pb_run_config_to_json(const pb_run_config *cfg)
{
    json_t *root = json_object(), *steps = json_array(), *thr = json_array();
    char *text = NULL;
    if (root == NULL || steps == NULL || thr == NULL)
        goto done;
    int bad = 0;
    bad |= json_object_set_new(root, "pattern", json_string(cfg->pattern));
    bad |=
        json_object_set_new(root, "label", json_string(cfg->label[0] ? cfg->label : cfg->pattern));
    char *shown = cfg->target_url != NULL ? pb_secrets_url(cfg->target_url) : NULL;
    bad |= cfg->target_url != NULL && shown == NULL;
    bad |= json_object_set_new(root, "target", json_string(shown != NULL ? shown : "mock"));
    free(shown);
    bad |= json_object_set_new(root, "request", request_json(&cfg->request, &cfg->secrets));
    bad |= json_object_set_new(root, "ok_status", json_string(cfg->ok_status.text));
    if (cfg->targets.n > 0) {
        /* the targets are stored once per run, here; rows name them by index */
        json_t *list = json_array(), *t = json_object();
        bad |= list == NULL || t == NULL;
        for (uint32_t i = 0; !bad && i < cfg->targets.n; i++)
            bad |= json_array_append_new(list, request_json(&cfg->targets.items[i], &cfg->secrets));
        if (!bad) {
            bad |= json_object_set_new(t, "file", json_string(cfg->targets_path));
            bad |= json_object_set_new(
                t, "format",
                json_string(pb_targets_format_name(cfg->targets_format, cfg->targets_path)));
            bad |= json_object_set_new(t, "order",
                                       json_string(cfg->targets_random ? "random" : "round-robin"));
            bad |= json_object_set(t, "list", list);
            bad |= json_object_set(root, "targets", t);
        }
        json_decref(list);
        json_decref(t);
    }
    if (cfg->cacert != NULL)
        bad |= json_object_set_new(root, "cacert", json_string(cfg->cacert));
    if (cfg->insecure)
        bad |= json_object_set_new(root, "insecure", json_true());
    bad |= json_object_set_new(root, "duration_us", json_integer((json_int_t)cfg->duration));
    bad |= json_object_set_new(root, "requests", json_integer((json_int_t)cfg->requests));
    bad |= json_object_set_new(root, "timeout_us", json_integer((json_int_t)cfg->timeout));
    bad |= json_object_set_new(root, "seed", json_integer((json_int_t)cfg->seed));
    bad |= json_object_set_new(root, "client_threads", json_integer(cfg->client_threads));
    bad |= json_object_set_new(root, "record", json_boolean(cfg->record));
    char mode[32];
    bad |= json_object_set_new(
        root, "record_mode", json_string(pb_run_record_mode(cfg->keep_every, mode, sizeof(mode))));
    bad |=
        json_object_set_new(root, "keep_requests_us", json_integer((json_int_t)cfg->keep_requests));
    pb_pattern_params p = cfg->params;
    p.total_tasks = cfg->requests;
    p.seed = cfg->seed;
    bad |= json_object_set_new(root, "params", embed(pb_pattern_params_to_json(&p, cfg->pattern)));
    if (cfg->target_url == NULL)
        bad |= json_object_set_new(root, "mock", embed(pb_mock_config_to_json(cfg->mock)));
    for (int i = 0; i < cfg->n_rate_steps; i++) {
        json_t *s = json_pack("{s:I,s:f}", "at_us", (json_int_t)cfg->rate_steps[i].at, "rate",
                              cfg->rate_steps[i].rate);
        bad |= json_array_append_new(steps, s);
    }
    for (int i = 0; i < cfg->n_thresholds; i++)
        bad |= json_array_append_new(thr, json_string(cfg->thresholds[i]));
    bad |= json_object_set(root, "rate_steps", steps);
    bad |= json_object_set(root, "thresholds", thr);
    if (cfg->stages.n > 0) {
        json_t *stages = json_array();
        bad |= stages == NULL;
        for (int i = 0; stages != NULL && i < cfg->stages.n; i++)
            bad |= json_array_append_new(
                stages, json_pack("{s:I,s:f}", "duration_us", (json_int_t)cfg->stages.stage[i].duration,
                                  cfg->ramp_workers ? "workers" : "rate",
                                  cfg->stages.stage[i].target));
        bad |= json_object_set_new(root, "stages", stages);
        bad |= json_object_set_new(root, "ramp",
                                   json_string(cfg->ramp_workers ? "concurrency" : "rate"));
        if (cfg->ramp_workers)
            bad |= json_object_set_new(root, "ramp_from", json_real(pb_run_ramp_start(cfg)));
    }
    bad |= json_object_set_new(root, "abort_on_fail", json_boolean(cfg->abort_on_fail));
    bad |= json_object_set_new(root, "abort_delay_us", json_integer((json_int_t)cfg->abort_delay));
    bad |= json_object_set_new(root, "threshold_window_us",
                               json_integer((json_int_t)cfg->threshold_window));
    if (pb_segment_active(cfg->segment))
        bad |= json_object_set_new(root, "segment",
                                   json_pack("{s:i,s:i}", "index", (int)cfg->segment.index, "count",
                                             (int)cfg->segment.count));
    if (cfg->start_at_us != 0)
        bad |= json_object_set_new(root, "start_at_us", json_integer((json_int_t)cfg->start_at_us));
    if (!bad)
        text = pb_json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
done:
    json_decref(steps);
    json_decref(thr);
    json_decref(root);
    return text;
}

int pb_run_label_check(const char *label, pb_err *err)
{
    size_t n = strlen(label);
    if (n == 0)
        return pb_err_set(err, PB_EINVAL, "expected a non-empty label");
    if (n > PB_RUN_LABEL_MAX)
        return pb_err_set(err, PB_ERANGE, "expected at most %d characters, got %zu",
                          PB_RUN_LABEL_MAX, n);
    for (const unsigned char *q = (const unsigned char *)label; *q; q++)
        if (*q < 0x20 || *q == 0x7f)
            return pb_err_set(err, PB_EINVAL, "expected a label without control characters");
        else if (*q == ',') /* compare --patterns could not pick it */
            return pb_err_set(err, PB_EINVAL,
                              "expected a label without commas, which separate the labels of "
                              "compare --patterns");
    return 0;
}

const char *pb_run_record_mode(uint32_t keep_every, char *buf, size_t len)
{
    if (keep_every == 1)
        snprintf(buf, len, "all");
    else if (keep_every == 0)
        snprintf(buf, len, "seconds");
    else
        snprintf(buf, len, "sample:%" PRIu32, keep_every);
    return buf;
}

/* A JSON scalar as the text an option takes ("100ms", "0.9", "true"). */
static int scalar_text(const json_t *v, char *buf, size_t len)
{
    if (json_is_string(v))
        return snprintf(buf, len, "%s", json_string_value(v)) < (int)len ? 0 : PB_EFULL;
    if (json_is_integer(v))
        snprintf(buf, len, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    else if (json_is_real(v))
        snprintf(buf, len, "%.17g", json_real_value(v));
    else if (json_is_boolean(v))
        snprintf(buf, len, "%s", json_is_true(v) ? "true" : "false");
    else
        return PB_EINVAL;
    return 0;
}

/* The request object (--method, --header, --body @FILE) into cfg. */
static int request_from_json(pb_run_config *cfg, const json_t *req, const char *source, pb_err *err)
{
    const json_t *method = json_object_get(req, "method"),
                 *headers = json_object_get(req, "headers");
    int rc = 0;
    if (json_is_string(method))
        rc = pb_run_config_set(cfg, "method", json_string_value(method), err);
    size_t i;
    const json_t *h;
    json_array_foreach(headers, i, h)
    {
        const char *line = json_string_value(h);
        if (rc != 0 || line == NULL)
            break;
        if (strstr(line, PB_SECRETS_REDACTED) != NULL)
            return pb_err_set(err, PB_EINVAL,
                              "%s: the header \"%.*s\" is a secret whose value was not stored",
                              source, (int)strcspn(line, ":"), line);
        rc = pb_run_config_set(cfg, "header", line, err);
    }
    if (rc != 0 || json_object_get(req, "body_bytes") == NULL)
        return rc;
    const char *file = json_string_value(json_object_get(req, "body_file"));
    if (file == NULL)
        return pb_err_set(err, PB_EINVAL,
                          "%s: the request body was given inline and is not stored (only its "
                          "size is)",
                          source);
    char at[4096];
    if (snprintf(at, sizeof(at), "@%s", file) >= (int)sizeof(at))
        return pb_err_set(err, PB_ERANGE, "%s: the body file's name is too long", source);
    return pb_run_config_set(cfg, "body", at, err);
}

int pb_run_config_from_json(pb_run_config *cfg, const char *json, const char *source, pb_err *err)
{
    json_error_t jerr;
    json_t *root = json_loads(json != NULL ? json : "", 0, &jerr), *again = NULL;
    char *rebuilt = NULL;
    int rc = 0;
    if (!json_is_object(root)) {
        rc =
            pb_err_set(err, PB_EINVAL, "%s: the stored configuration is not a JSON object", source);
        goto done;
    }
    if (json_object_get(root, "segment") != NULL) {
        rc = pb_err_set(err, PB_EINVAL,
                        "%s: a segment of a run (--segment) cannot be resumed; run it again and "
                        "merge",
                        source);
        goto done;
    }
    const char *pattern = json_string_value(json_object_get(root, "pattern"));
    const char *label = json_string_value(json_object_get(root, "label"));
    const char *target = json_string_value(json_object_get(root, "target"));
    const char *ok = json_string_value(json_object_get(root, "ok_status"));
    if (pattern == NULL || target == NULL) {
        rc = pb_err_set(err, PB_EINVAL, "%s: the stored configuration has no pattern or target",
                        source);
        goto done;
    }
    rc = pb_run_config_set(cfg, "pattern", pattern, err);
    if (rc == 0 && label != NULL)
        rc = pb_run_config_set(cfg, "label", label, err);
    if (rc == 0 && strcmp(target, "mock") != 0) {
        if (strstr(target, PB_SECRETS_REDACTED) != NULL)
            rc = pb_err_set(err, PB_EINVAL,
                            "%s: the target's password was not stored (only the URL without it)",
                            source);
        else
            rc = pb_run_config_set(cfg, "target", target, err);
    }
    if (rc == 0)
        rc = request_from_json(cfg, json_object_get(root, "request"), source, err);
    if (rc == 0 && ok != NULL)
        rc = pb_run_config_set(cfg, "ok-status", ok, err);
    const json_t *targets = json_object_get(root, "targets");
    if (rc == 0 && targets != NULL) {
        const char *file = json_string_value(json_object_get(targets, "file"));
        const char *format = json_string_value(json_object_get(targets, "format"));
        const char *order = json_string_value(json_object_get(targets, "order"));
        if (format != NULL)
            rc = pb_run_config_set(cfg, "targets-format", format, err);
        if (rc == 0)
            rc = pb_run_config_set(cfg, "targets", file, err);
        if (rc == 0 && order != NULL)
            rc = pb_run_config_set(cfg, "targets-order", order, err);
    }
    const char *cacert = json_string_value(json_object_get(root, "cacert"));
    if (rc == 0 && cacert != NULL)
        rc = pb_run_config_set(cfg, "cacert", cacert, err);
    cfg->insecure = json_is_true(json_object_get(root, "insecure"));
    /* the numbers as stored: no option's text form in between */
    cfg->duration = (pb_usec)json_integer_value(json_object_get(root, "duration_us"));
    cfg->requests = (uint64_t)json_integer_value(json_object_get(root, "requests"));
    cfg->duration_set = cfg->duration > 0;
    cfg->timeout = (pb_usec)json_integer_value(json_object_get(root, "timeout_us"));
    cfg->client_threads = (uint32_t)json_integer_value(json_object_get(root, "client_threads"));
    cfg->record = !json_is_false(json_object_get(root, "record"));
    cfg->keep_requests = (pb_usec)json_integer_value(json_object_get(root, "keep_requests_us"));
    char text[64];
    const json_t *v = json_object_get(root, "seed");
    if (rc == 0 && (v == NULL || scalar_text(v, text, sizeof(text)) != 0))
        rc = pb_err_set(err, PB_EINVAL, "%s: the stored configuration has no seed", source);
    if (rc == 0)
        rc = pb_run_config_set(cfg, "seed", text, err);
    const char *mode = json_string_value(json_object_get(root, "record_mode"));
    if (rc == 0 && mode != NULL)
        rc = pb_run_config_set(cfg, "record", mode, err);
    /* the mock's profile before the pattern's options (none share a name) */
    const json_t *mock = json_object_get(root, "mock");
    if (rc == 0 && mock != NULL) {
        char *profile = json_dumps(mock, JSON_COMPACT);
        rc = profile == NULL ? pb_err_set(err, PB_ENOMEM, "%s: out of memory", source)
                             : pb_mock_config_load_json(cfg->mock, profile, source, err);
        free(profile);
    }
    const char *key;
    json_t *pv;
    json_t *params = json_object_get(root, "params");
    json_object_foreach(params, key, pv)
    {
        /* the run's own --requests and --seed set these */
        if (rc != 0)
            break;
        if (strcmp(key, "tasks") == 0 || strcmp(key, "seed") == 0)
            continue;
        if (scalar_text(pv, text, sizeof(text)) != 0) {
            rc = pb_err_set(err, PB_EINVAL, "%s: parameter %s has no readable value", source, key);
            break;
        }
        rc = pb_run_config_set(cfg, key, text, err);
    }
    size_t i;
    json_t *item;
    json_array_foreach(json_object_get(root, "rate_steps"), i, item)
    {
        if (rc != 0 || i >= PB_MAX_PHASES)
            break;
        cfg->rate_steps[i].at = (pb_usec)json_integer_value(json_object_get(item, "at_us"));
        cfg->rate_steps[i].rate = json_number_value(json_object_get(item, "rate"));
        cfg->n_rate_steps = (int)i + 1;
    }
    json_array_foreach(json_object_get(root, "thresholds"), i, item)
    {
        if (rc != 0)
            break;
        rc = pb_run_config_set(cfg, "threshold", json_string_value(item), err);
    }
    const char *ramp = json_string_value(json_object_get(root, "ramp"));
    if (rc == 0 && ramp != NULL)
        rc = pb_run_config_set(cfg, "ramp", ramp, err);
    /* a ramp of workers starts from --concurrency only when it was given */
    if (cfg->ramp_workers && json_number_value(json_object_get(root, "ramp_from")) == 0)
        cfg->params_given &= ~(UINT64_C(1) << pb_pattern_param_index("concurrency"));
    json_array_foreach(json_object_get(root, "stages"), i, item)
    {
        if (rc != 0 || i >= PB_STAGES_MAX)
            break;
        cfg->stages.stage[i].duration =
            (pb_usec)json_integer_value(json_object_get(item, "duration_us"));
        cfg->stages.stage[i].target =
            json_number_value(json_object_get(item, cfg->ramp_workers ? "workers" : "rate"));
        cfg->stages.n = (int)i + 1;
    }
    /* stages set the length themselves, as --stages does */
    if (cfg->stages.n > 0)
        cfg->duration_set = false;
    cfg->abort_on_fail = json_is_true(json_object_get(root, "abort_on_fail"));
    if ((v = json_object_get(root, "abort_delay_us")) != NULL)
        cfg->abort_delay = (pb_usec)json_integer_value(v);
    if ((v = json_object_get(root, "threshold_window_us")) != NULL)
        cfg->threshold_window = (pb_usec)json_integer_value(v);
    if (rc != 0) {
        pb_err_prefix(err, "%s", source);
        goto done;
    }
    /* what was read back must be what was run: a file read again may have changed */
    json_object_del(root, "start_at_us");
    rebuilt = pb_run_config_to_json(cfg);
    again = rebuilt != NULL ? json_loads(rebuilt, 0, NULL) : NULL;
    if (again == NULL)
        rc = pb_err_set(err, PB_ENOMEM, "%s: out of memory", source);
    else if (!json_equal(root, again))
        rc = pb_err_set(err, PB_EINVAL,
                        "%s: the configuration read back differs from the one stored (did a "
                        "--body, --targets or --cacert file change?)",
                        source);
done:
    json_decref(root);
    json_decref(again);
    free(rebuilt);
    return rc;
}
