#include "mock_config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "units.h"

/* Largest --profile file read. */
#define PROFILE_MAX_BYTES (4u << 20)
/* Longest --idle-timeout. */
#define IDLE_TIMEOUT_MAX (24 * 3600 * PB_USEC_PER_SEC)

/* The settings keys: command-line names, JSON keys, phase override bits. */
enum setting_key {
    K_LATENCY,
    K_LATENCY_CAP,
    K_ERRORS,
    K_FAULTS,
    K_CAPACITY,
    K_QUEUE_LIMIT,
    K_RATE_LIMIT,
    K_BODY_SIZE,
    K_HANG_MAX,
    K_COUNT
};

static const char *const key_names[K_COUNT] = {
    "latency",     "latency-cap", "errors",    "faults",   "capacity",
    "queue-limit", "rate-limit",  "body-size", "hang-max",
};

#define TOP_KEYS                                                                                   \
    "listen, threads, seed, latency, latency-cap, errors, faults, capacity, queue-limit, "         \
    "rate-limit, body-size, hang-max, phases"
#define PHASE_KEYS                                                                                 \
    "at, name, latency, latency-cap, errors, faults, capacity, queue-limit, rate-limit, "          \
    "body-size, hang-max"

static const char *const fault_names[PB_FAULT_COUNT] = {
#define FAULT_NAME(e, name, counter, outcome, status) [PB_FAULT_##e] = name,
    PB_MOCK_FAULT_MAP(FAULT_NAME)
#undef FAULT_NAME
};

const char *pb_fault_name(pb_fault_kind k)
{
    return (unsigned)k < PB_FAULT_COUNT ? fault_names[k] : "?";
}

pb_fault_kind pb_fault_find(const char *name)
{
    int k = 0;
    while (k < PB_FAULT_COUNT && strcmp(name, fault_names[k]) != 0)
        k++;
    return (pb_fault_kind)k;
}

/* The fault names for a message: "a, b, c" with `last` (", " or " or ")
 * before the last one. */
static const char *fault_list(char *buf, size_t len, const char *last)
{
    size_t off = 0;
    buf[0] = '\0';
    for (int k = 0; k < PB_FAULT_COUNT && off < len; k++) {
        const char *sep = k == 0 ? "" : k == PB_FAULT_COUNT - 1 ? last : ", ";
        off += (size_t)snprintf(buf + off, len - off, "%s%s", sep, fault_names[k]);
    }
    return buf;
}

void pb_mock_settings_default(pb_mock_settings *s)
{
    memset(s, 0, sizeof(*s));
    s->latency.kind = PB_LATENCY_FIXED;
    s->queue_limit = PB_MOCK_UNLIMITED;
    s->body_size = 64;
    s->hang_max = 60 * PB_USEC_PER_SEC;
}

double pb_mock_settings_fraction_sum(const pb_mock_settings *s)
{
    double sum = 0;
    for (int i = 0; i < s->n_errors; i++)
        sum += s->error_fraction[i];
    for (int k = 0; k < PB_FAULT_COUNT; k++)
        sum += s->fault_fraction[k];
    return sum;
}

double pb_mock_default_burst(double rate)
{
    return rate / 10 > 1 ? rate / 10 : 1;
}

static int find_key(const char *name)
{
    for (int k = 0; k < K_COUNT; k++)
        if (strcmp(name, key_names[k]) == 0)
            return k;
    return -1;
}

/* "STATUS:FRACTION,..." or "NAME:FRACTION,...": split one entry at its colon. */
static int split_entry(char *entry, const char *what, const char *value, const char *form,
                       char **rhs, pb_err *err)
{
    char *colon = strchr(entry, ':');
    if (colon == NULL || colon == entry || colon[1] == '\0')
        return pb_err_set(err, PB_EPARSE, "%s: expected %s, got \"%s\"", what, form, value);
    *colon = '\0';
    *rhs = colon + 1;
    return 0;
}

static int check_sum(const pb_mock_settings *s, const char *what, const char *where, pb_err *err)
{
    double sum = pb_mock_settings_fraction_sum(s);
    if (sum > 1.0 + 1e-9)
        return pb_err_set(
            err, PB_ERANGE,
            "%s: the error and fault fractions of %s add up to %g; expected at most 1", what, where,
            sum);
    return 0;
}

static int parse_errors(const char *value, const char *what, pb_mock_settings *s, pb_err *err)
{
    static const char form[] = "STATUS:FRACTION entries such as 503:0.2,500:0.05 (or none)";
    s->n_errors = 0;
    if (strcmp(value, "none") == 0)
        return 0;
    char buf[512];
    if (strlen(value) >= sizeof(buf) || value[0] == '\0')
        return pb_err_set(err, PB_EPARSE, "%s: expected %s, got \"%s\"", what, form, value);
    strcpy(buf, value);
    char *save = NULL;
    for (char *e = strtok_r(buf, ",", &save); e != NULL; e = strtok_r(NULL, ",", &save)) {
        char *frac;
        int rc = split_entry(e, what, value, form, &frac, err);
        if (rc != 0)
            return rc;
        if (s->n_errors == PB_MOCK_MAX_ERRORS)
            return pb_err_set(err, PB_ERANGE, "%s: at most %d statuses, got \"%s\"", what,
                              PB_MOCK_MAX_ERRORS, value);
        char label[96];
        uint64_t status;
        snprintf(label, sizeof(label), "%s status", what);
        rc = pb_parse_u64(e, label, 400, 599, &status, err);
        if (rc != 0)
            return rc;
        for (int i = 0; i < s->n_errors; i++)
            if (s->error_status[i] == status)
                return pb_err_set(err, PB_EPARSE, "%s: status %s is listed twice in \"%s\"", what,
                                  e, value);
        snprintf(label, sizeof(label), "%s fraction of %s", what, e);
        rc = pb_parse_fraction(frac, label, &s->error_fraction[s->n_errors], err);
        if (rc != 0)
            return rc;
        s->error_status[s->n_errors++] = (uint16_t)status;
    }
    if (s->n_errors == 0)
        return pb_err_set(err, PB_EPARSE, "%s: expected %s, got \"%s\"", what, form, value);
    return 0;
}

static int parse_faults(const char *value, const char *what, pb_mock_settings *s, pb_err *err)
{
    char names[256], form[384];
    snprintf(form, sizeof(form),
             "KIND:FRACTION entries such as reset:0.01,hang:0.01 with KIND one of %s (or none)",
             fault_list(names, sizeof(names), ", "));
    bool seen[PB_FAULT_COUNT] = {false};
    memset(s->fault_fraction, 0, sizeof(s->fault_fraction));
    if (strcmp(value, "none") == 0)
        return 0;
    char buf[512];
    if (strlen(value) >= sizeof(buf) || value[0] == '\0')
        return pb_err_set(err, PB_EPARSE, "%s: expected %s, got \"%s\"", what, form, value);
    strcpy(buf, value);
    char *save = NULL;
    int n = 0;
    for (char *e = strtok_r(buf, ",", &save); e != NULL; e = strtok_r(NULL, ",", &save)) {
        char *frac;
        int rc = split_entry(e, what, value, form, &frac, err);
        if (rc != 0)
            return rc;
        pb_fault_kind k = pb_fault_find(e);
        if (k == PB_FAULT_COUNT)
            return pb_err_set(err, PB_EPARSE, "%s: unknown fault \"%s\"; expected %s", what, e,
                              fault_list(names, sizeof(names), " or "));
        if (seen[k])
            return pb_err_set(err, PB_EPARSE, "%s: fault %s is listed twice in \"%s\"", what, e,
                              value);
        seen[k] = true;
        char label[96];
        snprintf(label, sizeof(label), "%s fraction of %s", what, e);
        rc = pb_parse_fraction(frac, label, &s->fault_fraction[k], err);
        if (rc != 0)
            return rc;
        n++;
    }
    if (n == 0)
        return pb_err_set(err, PB_EPARSE, "%s: expected %s, got \"%s\"", what, form, value);
    return 0;
}

static int parse_rate(const char *value, const char *what, pb_mock_settings *s, pb_err *err)
{
    if (strcmp(value, "none") == 0 || strcmp(value, "0") == 0) {
        s->rate_limit = 0;
        s->rate_burst = 0;
        return 0;
    }
    char buf[128];
    if (strlen(value) >= sizeof(buf))
        return pb_err_set(err, PB_EPARSE,
                          "%s: expected RPS or RPS,BURST such as 100 or 100,20, got \"%s\"", what,
                          value);
    strcpy(buf, value);
    char *burst = strchr(buf, ',');
    if (burst != NULL)
        *burst++ = '\0';
    double rate, b;
    char label[96];
    int rc = pb_parse_rate(buf, what, 0.001, 1e9, &rate, err);
    if (rc != 0)
        return rc;
    if (burst != NULL) {
        snprintf(label, sizeof(label), "%s burst", what);
        rc = pb_parse_double(burst, label, 1, 1e9, &b, err);
        if (rc != 0)
            return rc;
    } else {
        b = pb_mock_default_burst(rate);
    }
    s->rate_limit = rate;
    s->rate_burst = b;
    return 0;
}

static int parse_count(const char *value, const char *what, bool zero_unlimited, uint32_t *out,
                       pb_err *err)
{
    if (strcmp(value, "unlimited") == 0) {
        *out = zero_unlimited ? 0 : PB_MOCK_UNLIMITED;
        return 0;
    }
    uint64_t v;
    int rc = pb_parse_u64(value, what, 0, 1000000, &v, err);
    if (rc == PB_EPARSE)
        return pb_err_set(err, PB_EPARSE,
                          "%s: expected a whole number or \"unlimited\", got \"%s\"", what, value);
    if (rc != 0)
        return rc;
    *out = (uint32_t)v;
    return 0;
}

/* Parse `value` into the field(s) of one key; s is left as it was on error
 * except for the key's own fields. */
static int setting_parse(pb_mock_settings *s, int key, const char *value, const char *what,
                         pb_err *err)
{
    pb_usec d;
    uint64_t size;
    int rc;
    switch (key) {
    case K_LATENCY:
        return pb_latency_parse(value, what, &s->latency, err);
    case K_LATENCY_CAP:
        if (strcmp(value, "none") == 0) {
            s->latency_cap = 0;
            return 0;
        }
        rc = pb_parse_duration(value, what, &d, err);
        if (rc == 0)
            s->latency_cap = d;
        return rc;
    case K_ERRORS:
        return parse_errors(value, what, s, err);
    case K_FAULTS:
        return parse_faults(value, what, s, err);
    case K_CAPACITY:
        return parse_count(value, what, true, &s->capacity, err);
    case K_QUEUE_LIMIT:
        return parse_count(value, what, false, &s->queue_limit, err);
    case K_RATE_LIMIT:
        return parse_rate(value, what, s, err);
    case K_BODY_SIZE:
        rc = pb_parse_size(value, what, &size, err);
        if (rc == 0 && size > PB_MOCK_MAX_BODY)
            rc = pb_err_set(err, PB_ERANGE, "%s: expected at most 64M, got \"%s\"", what, value);
        if (rc == 0)
            s->body_size = size;
        return rc;
    case K_HANG_MAX:
        rc = pb_parse_duration(value, what, &d, err);
        if (rc == 0 && d == 0)
            rc = pb_err_set(err, PB_ERANGE, "%s: expected a duration above 0, got \"%s\"", what,
                            value);
        if (rc == 0)
            s->hang_max = d;
        return rc;
    }
    return PB_ENOENT;
}

static void setting_format(const pb_mock_settings *s, int key, char *buf, size_t len)
{
    char tmp[64];
    size_t off = 0;
    switch (key) {
    case K_LATENCY:
        pb_latency_format(&s->latency, buf, len);
        return;
    case K_LATENCY_CAP:
        if (s->latency_cap == 0)
            snprintf(buf, len, "none");
        else
            pb_format_duration_exact(s->latency_cap, buf, len);
        return;
    case K_ERRORS:
        snprintf(buf, len, "none");
        for (int i = 0; i < s->n_errors && off < len; i++) {
            pb_format_real(s->error_fraction[i], tmp, sizeof(tmp));
            off += (size_t)snprintf(buf + off, len - off, "%s%u:%s", i ? "," : "",
                                    (unsigned)s->error_status[i], tmp);
        }
        return;
    case K_FAULTS:
        snprintf(buf, len, "none");
        for (int k = 0; k < PB_FAULT_COUNT && off < len; k++) {
            if (s->fault_fraction[k] == 0)
                continue;
            pb_format_real(s->fault_fraction[k], tmp, sizeof(tmp));
            off += (size_t)snprintf(buf + off, len - off, "%s%s:%s", off ? "," : "", fault_names[k],
                                    tmp);
        }
        return;
    case K_CAPACITY:
        if (s->capacity == 0)
            snprintf(buf, len, "unlimited");
        else
            snprintf(buf, len, "%u", (unsigned)s->capacity);
        return;
    case K_QUEUE_LIMIT:
        if (s->queue_limit == PB_MOCK_UNLIMITED)
            snprintf(buf, len, "unlimited");
        else
            snprintf(buf, len, "%u", (unsigned)s->queue_limit);
        return;
    case K_RATE_LIMIT:
        if (s->rate_limit == 0) {
            snprintf(buf, len, "none");
            return;
        }
        pb_format_real(s->rate_limit, buf, len);
        if (s->rate_burst != pb_mock_default_burst(s->rate_limit)) {
            off = strlen(buf);
            pb_format_real(s->rate_burst, tmp, sizeof(tmp));
            snprintf(buf + off, len - off, ",%s", tmp);
        }
        return;
    case K_BODY_SIZE:
        snprintf(buf, len, "%llu", (unsigned long long)s->body_size);
        return;
    case K_HANG_MAX:
        pb_format_duration_exact(s->hang_max, buf, len);
        return;
    }
}

static void setting_copy(pb_mock_settings *dst, const pb_mock_settings *src, int key)
{
    switch (key) {
    case K_LATENCY:
        dst->latency = src->latency;
        break;
    case K_LATENCY_CAP:
        dst->latency_cap = src->latency_cap;
        break;
    case K_ERRORS:
        dst->n_errors = src->n_errors;
        memcpy(dst->error_status, src->error_status, sizeof(dst->error_status));
        memcpy(dst->error_fraction, src->error_fraction, sizeof(dst->error_fraction));
        break;
    case K_FAULTS:
        memcpy(dst->fault_fraction, src->fault_fraction, sizeof(dst->fault_fraction));
        break;
    case K_CAPACITY:
        dst->capacity = src->capacity;
        break;
    case K_QUEUE_LIMIT:
        dst->queue_limit = src->queue_limit;
        break;
    case K_RATE_LIMIT:
        dst->rate_limit = src->rate_limit;
        dst->rate_burst = src->rate_burst;
        break;
    case K_BODY_SIZE:
        dst->body_size = src->body_size;
        break;
    case K_HANG_MAX:
        dst->hang_max = src->hang_max;
        break;
    }
}

static int parse_listen(const char *value, const char *what, pb_mock_config *cfg, pb_err *err)
{
    char buf[96];
    const char *port_text;
    bool v6 = false;
    if (strlen(value) >= sizeof(buf))
        goto bad;
    strcpy(buf, value);
    if (buf[0] == '[') {
        /* [ADDRESS]:PORT */
        char *close = strchr(buf, ']');
        if (close == NULL || close[1] != ':')
            goto bad;
        *close = '\0';
        port_text = value + (close - buf) + 2;
        memmove(buf, buf + 1, strlen(buf + 1) + 1);
        v6 = true;
    } else {
        char *colon = strrchr(buf, ':');
        if (colon == NULL)
            goto bad;
        *colon = '\0';
        port_text = value + (colon - buf) + 1;
    }
    unsigned char addr[16];
    if (inet_pton(v6 ? AF_INET6 : AF_INET, buf, addr) != 1 || strlen(buf) >= sizeof(cfg->host))
        goto bad;
    uint64_t port;
    char label[96];
    snprintf(label, sizeof(label), "%s port", what);
    int rc = pb_parse_u64(port_text, label, 0, 65535, &port, err);
    if (rc != 0)
        return rc;
    strcpy(cfg->host, buf);
    cfg->port = (uint16_t)port;
    cfg->ipv6 = v6;
    return 0;
bad:
    return pb_err_set(err, PB_EPARSE,
                      "%s: expected ADDRESS:PORT with a numeric address, such as 127.0.0.1:8080, "
                      "[::1]:8080 or 127.0.0.1:0 for any free port, got \"%s\"",
                      what, value);
}

int pb_mock_config_create(pb_mock_config **out)
{
    pb_mock_config *cfg = calloc(1, sizeof(*cfg));
    if (cfg == NULL)
        return PB_ENOMEM;
    strcpy(cfg->host, "127.0.0.1");
    cfg->threads = 2;
    cfg->seed = 1;
    cfg->idle_timeout = PB_MOCK_DEFAULT_IDLE_TIMEOUT;
    pb_mock_settings_default(&cfg->base);
    *out = cfg;
    return 0;
}

void pb_mock_config_destroy(pb_mock_config *cfg)
{
    free(cfg);
}

int pb_mock_config_clone(const pb_mock_config *cfg, pb_mock_config **out)
{
    pb_mock_config *c = malloc(sizeof(*c));
    if (c == NULL)
        return PB_ENOMEM;
    *c = *cfg;
    *out = c;
    return 0;
}

static const char *phase_label(const pb_mock_config *cfg, int i, char *buf, size_t len)
{
    snprintf(buf, len, "phase %d (\"%s\")", i + 1, cfg->phases[i].name);
    return buf;
}

/* Change one settings key of the base and of every phase that does not
 * override it; all or nothing. */
static int set_base_key(pb_mock_config *cfg, int key, const char *value, const char *what,
                        pb_err *err)
{
    pb_mock_settings base = cfg->base;
    int rc = setting_parse(&base, key, value, what, err);
    if (rc != 0)
        return rc;
    rc = check_sum(&base, what, "the base settings", err);
    if (rc != 0)
        return rc;
    for (int i = 0; i < cfg->n_phases; i++) {
        if (cfg->phases[i].overrides & (1u << key))
            continue;
        pb_mock_settings s = cfg->phases[i].s;
        setting_copy(&s, &base, key);
        char where[96];
        rc = check_sum(&s, what, phase_label(cfg, i, where, sizeof(where)), err);
        if (rc != 0)
            return rc;
    }
    cfg->base = base;
    for (int i = 0; i < cfg->n_phases; i++)
        if (!(cfg->phases[i].overrides & (1u << key)))
            setting_copy(&cfg->phases[i].s, &base, key);
    return 0;
}

static int load_profile_file(pb_mock_config *cfg, const char *path, const char *what, pb_err *err)
{
    char *text = NULL;
    int rc = 0;
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return pb_err_set(err, PB_EIO, "%s: cannot open \"%s\": %s", what, path, strerror(errno));
    text = malloc(PROFILE_MAX_BYTES + 1);
    if (text == NULL) {
        rc = PB_ENOMEM;
        goto cleanup;
    }
    size_t n = fread(text, 1, PROFILE_MAX_BYTES + 1, f);
    if (ferror(f)) {
        rc = pb_err_set(err, PB_EIO, "%s: cannot read \"%s\": %s", what, path, strerror(errno));
        goto cleanup;
    }
    if (n > PROFILE_MAX_BYTES) {
        rc = pb_err_set(err, PB_ERANGE, "%s: \"%s\" is larger than %u bytes", what, path,
                        PROFILE_MAX_BYTES);
        goto cleanup;
    }
    text[n] = '\0';
    if (strlen(text) != n) {
        rc = pb_err_set(err, PB_EPARSE, "%s: \"%s\" contains a NUL byte; expected JSON text", what,
                        path);
        goto cleanup;
    }
    rc = pb_mock_config_load_json(cfg, text, path, err);
cleanup:
    free(text);
    fclose(f);
    return rc;
}

/* Server-level keys: listen, threads, seed. PB_ENOENT for anything else. */
static int set_server_key(pb_mock_config *cfg, const char *name, const char *value,
                          const char *what, pb_err *err)
{
    uint64_t v;
    int rc;
    if (strcmp(name, "listen") == 0)
        return parse_listen(value, what, cfg, err);
    if (strcmp(name, "threads") == 0) {
        rc = pb_parse_u64(value, what, 1, 64, &v, err);
        if (rc == 0)
            cfg->threads = (uint32_t)v;
        return rc;
    }
    if (strcmp(name, "seed") == 0) {
        rc = pb_parse_u64(value, what, 0, UINT64_MAX, &v, err);
        if (rc == 0)
            cfg->seed = v;
        return rc;
    }
    return PB_ENOENT;
}

/* A token as --admin-token takes it: 1 to PB_MOCK_TOKEN_MAX visible ASCII
 * characters (what a Bearer credential may hold, and nothing a header or a
 * shell would mangle). */
static int set_token(pb_mock_config *cfg, const char *token, size_t len, const char *what,
                     pb_err *err)
{
    if (len == 0 || len > PB_MOCK_TOKEN_MAX)
        return pb_err_set(err, PB_EINVAL, "%s: expected a token of 1 to %d characters, got %zu",
                          what, PB_MOCK_TOKEN_MAX, len);
    for (size_t i = 0; i < len; i++)
        if (token[i] <= ' ' || token[i] > '~')
            return pb_err_set(err, PB_EINVAL,
                              "%s: expected visible ASCII characters only (no spaces), got a "
                              "byte 0x%02x at position %zu",
                              what, (unsigned)(unsigned char)token[i], i + 1);
    memcpy(cfg->admin_token, token, len);
    cfg->admin_token[len] = '\0';
    return 0;
}

/* The token is the file's first line (its line end dropped), so that it
 * stays out of `ps` and shell history. */
static int load_token_file(pb_mock_config *cfg, const char *path, const char *what, pb_err *err)
{
    char buf[PB_MOCK_TOKEN_MAX + 4];
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return pb_err_set(err, PB_EIO, "%s: cannot open \"%s\": %s", what, path, strerror(errno));
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    int failed = ferror(f);
    fclose(f);
    if (failed)
        return pb_err_set(err, PB_EIO, "%s: cannot read \"%s\"", what, path);
    buf[n] = '\0';
    size_t len = strcspn(buf, "\r\n");
    if (len == n && n == sizeof(buf) - 1)
        return pb_err_set(err, PB_EINVAL, "%s: \"%s\": expected a token of at most %d characters",
                          what, path, PB_MOCK_TOKEN_MAX);
    char label[PB_MOCK_TOKEN_MAX + 96];
    snprintf(label, sizeof(label), "%s \"%s\"", what, path);
    return set_token(cfg, buf, len, label, err);
}

/* Server options of the command line that profiles do not carry.
 * PB_ENOENT for anything else. */
static int set_command_line_key(pb_mock_config *cfg, const char *name, const char *value,
                                const char *what, pb_err *err)
{
    if (strcmp(name, "idle-timeout") == 0) {
        pb_usec d;
        if (strcmp(value, "none") == 0) {
            cfg->idle_timeout = 0;
            return 0;
        }
        int rc = pb_parse_duration(value, what, &d, err);
        if (rc != 0)
            return rc;
        /* libmicrohttpd counts its timeout in whole seconds */
        if (d < PB_USEC_PER_SEC || d > IDLE_TIMEOUT_MAX || d % PB_USEC_PER_SEC != 0)
            return pb_err_set(err, PB_ERANGE,
                              "%s: expected whole seconds from 1s to 24h (or none), got \"%s\"",
                              what, value);
        cfg->idle_timeout = d;
        return 0;
    }
    if (strcmp(name, "connection-limit") == 0) {
        uint64_t v;
        if (strcmp(value, "auto") == 0) {
            cfg->connection_limit = 0;
            return 0;
        }
        int rc = pb_parse_u64(value, what, 1, 1000000, &v, NULL);
        if (rc != 0)
            return pb_err_set(err, rc,
                              "%s: expected a whole number from 1 to 1000000 or \"auto\", got "
                              "\"%s\"",
                              what, value);
        cfg->connection_limit = (uint32_t)v;
        return 0;
    }
    if (strcmp(name, "admin") == 0) {
        static const char *const modes[] = {
            [PB_MOCK_ADMIN_ON] = "on", [PB_MOCK_ADMIN_OFF] = "off", [PB_MOCK_ADMIN_OPEN] = "open"};
        for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
            if (strcmp(value, modes[i]) == 0) {
                cfg->admin = (pb_mock_admin_mode)i;
                return 0;
            }
        return pb_err_set(err, PB_EPARSE, "%s: expected on, off or open, got \"%s\"", what, value);
    }
    if (strcmp(name, "admin-token") == 0)
        return set_token(cfg, value, strlen(value), what, err);
    if (strcmp(name, "admin-token-file") == 0)
        return load_token_file(cfg, value, what, err);
    return PB_ENOENT;
}

int pb_mock_config_set(pb_mock_config *cfg, const char *name, const char *value, pb_err *err)
{
    static const char *const command_line_keys[] = {"idle-timeout", "connection-limit", "admin",
                                                    "admin-token", "admin-token-file"};
    char what[80];
    snprintf(what, sizeof(what), "--%s", name);
    int key = find_key(name);
    bool command_line = false;
    for (size_t i = 0; i < sizeof(command_line_keys) / sizeof(command_line_keys[0]); i++)
        command_line |= strcmp(name, command_line_keys[i]) == 0;
    bool known = key >= 0 || command_line || strcmp(name, "listen") == 0 ||
                 strcmp(name, "threads") == 0 || strcmp(name, "seed") == 0 ||
                 strcmp(name, "profile") == 0;
    if (!known)
        return pb_err_set(err, PB_ENOENT, "%s is not a mock server option", what);
    if (value == NULL)
        return pb_err_set(err, PB_EINVAL, "%s: expected a value", what);
    if (strcmp(name, "profile") == 0)
        return load_profile_file(cfg, value, what, err);
    if (command_line)
        return set_command_line_key(cfg, name, value, what, err);
    if (key < 0)
        return set_server_key(cfg, name, value, what, err);
    return set_base_key(cfg, key, value, what, err);
}

/* 127.0.0.0/8, ::1 and ::ffff:127.0.0.0/104: reachable from this machine only. */
static bool loopback(const pb_mock_config *cfg)
{
    unsigned char a[16];
    if (!cfg->ipv6)
        return inet_pton(AF_INET, cfg->host, a) == 1 && a[0] == 127;
    if (inet_pton(AF_INET6, cfg->host, a) != 1)
        return false;
    static const unsigned char one[16] = {[15] = 1};
    static const unsigned char v4_mapped[12] = {[10] = 0xff, [11] = 0xff};
    return memcmp(a, one, 16) == 0 || (memcmp(a, v4_mapped, 12) == 0 && a[12] == 127);
}

int pb_mock_config_check(const pb_mock_config *cfg, pb_err *err)
{
    if (cfg->admin != PB_MOCK_ADMIN_ON || cfg->admin_token[0] != '\0' || loopback(cfg))
        return 0;
    return pb_err_set(err, PB_EINVAL,
                      "--listen %s%s%s:%u is reachable from other machines, and the admin API "
                      "would let anyone there rewrite the fault profile; give a token "
                      "(--admin-token-file FILE, the environment variable PB_ADMIN_TOKEN or "
                      "--admin-token TOKEN), turn the API off (--admin off) or leave it open on "
                      "purpose (--admin open)",
                      cfg->ipv6 ? "[" : "", cfg->host, cfg->ipv6 ? "]" : "", (unsigned)cfg->port);
}

/* The text of a JSON scalar as a user would type it on the command line. */
static int json_value_text(const json_t *v, const char *what, char *buf, size_t len,
                           const char **out, pb_err *err)
{
    if (json_is_string(v)) {
        *out = json_string_value(v);
        return 0;
    }
    if (json_is_integer(v)) {
        snprintf(buf, len, "%lld", (long long)json_integer_value(v));
        *out = buf;
        return 0;
    }
    if (json_is_real(v)) {
        pb_format_real(json_real_value(v), buf, len);
        *out = buf;
        return 0;
    }
    return pb_err_set(err, PB_EPARSE, "%s: expected a string or a number", what);
}

static int load_phase(pb_mock_config *n, const json_t *obj, int index, pb_err *err)
{
    char what[96];
    char num[64];
    const char *text;
    pb_mock_phase *ph = &n->phases[index];
    memset(ph, 0, sizeof(*ph));
    ph->s = n->base;
    snprintf(ph->name, sizeof(ph->name), "phase %d", index + 1);
    if (!json_is_object(obj))
        return pb_err_set(err, PB_EPARSE,
                          "phases[%d]: expected an object such as {\"at\": \"60s\", \"errors\": "
                          "\"503:1\"}",
                          index);
    const json_t *at = json_object_get(obj, "at");
    if (at == NULL)
        return pb_err_set(err, PB_EPARSE,
                          "phases[%d]: missing \"at\", the phase's start offset such as \"60s\"",
                          index);
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)obj, key, v)
    {
        snprintf(what, sizeof(what), "phases[%d].%s", index, key);
        if (strcmp(key, "name") == 0) {
            if (!json_is_string(v) || json_string_length(v) == 0 ||
                json_string_length(v) >= sizeof(ph->name))
                return pb_err_set(err, PB_EPARSE, "%s: expected a string of 1 to %zu characters",
                                  what, sizeof(ph->name) - 1);
            strcpy(ph->name, json_string_value(v));
            continue;
        }
        int rc = json_value_text(v, what, num, sizeof(num), &text, err);
        if (rc != 0)
            return rc;
        if (strcmp(key, "at") == 0) {
            rc = pb_parse_duration(text, what, &ph->at, err);
            if (rc != 0)
                return rc;
            continue;
        }
        int k = find_key(key);
        if (k < 0)
            return pb_err_set(err, PB_EPARSE, "phases[%d]: unknown key \"%s\"; expected %s", index,
                              key, PHASE_KEYS);
        rc = setting_parse(&ph->s, k, text, what, err);
        if (rc != 0)
            return rc;
        ph->overrides |= 1u << k;
    }
    if (index > 0 && ph->at <= n->phases[index - 1].at) {
        char a[32], b[32];
        return pb_err_set(err, PB_EPARSE,
                          "phases[%d].at: phases must start in increasing order, got %s after %s",
                          index, pb_format_duration_exact(ph->at, a, sizeof(a)),
                          pb_format_duration_exact(n->phases[index - 1].at, b, sizeof(b)));
    }
    snprintf(what, sizeof(what), "phases[%d]", index);
    return check_sum(&ph->s, what, "this phase", err);
}

static int load_root(pb_mock_config *n, const json_t *root, pb_err *err)
{
    char num[64];
    const char *text;
    const char *key;
    const json_t *v;
    if (!json_is_object(root))
        return pb_err_set(
            err, PB_EPARSE,
            "expected a JSON object of settings such as {\"latency\": \"fixed:10ms\", "
            "\"phases\": [...]}");
    json_object_foreach((json_t *)root, key, v)
    {
        if (strcmp(key, "phases") == 0)
            continue;
        int rc = json_value_text(v, key, num, sizeof(num), &text, err);
        if (rc != 0)
            return rc;
        int k = find_key(key);
        if (k >= 0)
            rc = setting_parse(&n->base, k, text, key, err);
        else
            rc = set_server_key(n, key, text, key, err);
        if (rc == PB_ENOENT)
            return pb_err_set(err, PB_EPARSE, "unknown key \"%s\"; expected %s", key, TOP_KEYS);
        if (rc != 0)
            return rc;
    }
    int rc = check_sum(&n->base, "profile", "the base settings", err);
    if (rc != 0)
        return rc;
    const json_t *phases = json_object_get(root, "phases");
    if (phases == NULL)
        return 0;
    if (!json_is_array(phases))
        return pb_err_set(err, PB_EPARSE,
                          "phases: expected an array of objects such as [{\"at\": \"60s\", "
                          "\"errors\": \"503:1\"}]");
    if (json_array_size(phases) > PB_MOCK_MAX_PHASES)
        return pb_err_set(err, PB_ERANGE, "phases: at most %d phases, got %zu", PB_MOCK_MAX_PHASES,
                          json_array_size(phases));
    for (size_t i = 0; i < json_array_size(phases); i++) {
        rc = load_phase(n, json_array_get(phases, i), (int)i, err);
        if (rc != 0)
            return rc;
        n->n_phases = (int)i + 1;
    }
    return 0;
}

int pb_mock_config_load_json(pb_mock_config *cfg, const char *json, const char *source, pb_err *err)
{
    json_error_t jerr;
    pb_mock_config *n = NULL;
    json_t *root = json_loads(json, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL)
        return pb_err_set(err, PB_EPARSE, "%s: line %d column %d: %s", source, jerr.line,
                          jerr.column, jerr.text);
    int rc = pb_mock_config_clone(cfg, &n);
    if (rc != 0)
        goto cleanup;
    pb_mock_settings_default(&n->base);
    n->n_phases = 0;
    rc = load_root(n, root, err);
    if (rc != 0) {
        pb_err_prefix(err, "%s", source);
        goto cleanup;
    }
    *cfg = *n;
cleanup:
    json_decref(root);
    pb_mock_config_destroy(n);
    return rc;
}

/* A value as JSON: plain decimal counts become numbers, the rest strings. */
static json_t *json_scalar(const char *text)
{
    size_t n = strspn(text, "0123456789");
    if (n > 0 && n < 19 && text[n] == '\0')
        return json_integer(strtoll(text, NULL, 10));
    return json_string(text);
}

static int put(json_t *obj, const char *key, json_t *value)
{
    return value == NULL ? -1 : json_object_set_new(obj, key, value);
}

static json_t *phase_json(const pb_mock_phase *ph)
{
    char text[512];
    json_t *o = json_object();
    if (o == NULL)
        return NULL;
    int bad = put(o, "at", json_string(pb_format_duration_exact(ph->at, text, sizeof(text))));
    bad |= put(o, "name", json_string(ph->name));
    for (int k = 0; k < K_COUNT; k++) {
        if (!(ph->overrides & (1u << k)))
            continue;
        setting_format(&ph->s, k, text, sizeof(text));
        bad |= put(o, key_names[k], json_scalar(text));
    }
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

char *pb_mock_config_to_json(const pb_mock_config *cfg)
{
    char text[512];
    char *out = NULL;
    json_t *o = json_object();
    json_t *phases = json_array();
    if (o == NULL || phases == NULL)
        goto cleanup;
    snprintf(text, sizeof(text), cfg->ipv6 ? "[%s]:%u" : "%s:%u", cfg->host, (unsigned)cfg->port);
    int bad = put(o, "listen", json_string(text));
    bad |= put(o, "threads", json_integer(cfg->threads));
    snprintf(text, sizeof(text), "%llu", (unsigned long long)cfg->seed);
    bad |= put(o, "seed", json_scalar(text));
    for (int k = 0; k < K_COUNT; k++) {
        setting_format(&cfg->base, k, text, sizeof(text));
        bad |= put(o, key_names[k], json_scalar(text));
    }
    for (int i = 0; i < cfg->n_phases; i++) {
        json_t *p = phase_json(&cfg->phases[i]);
        bad |= p == NULL ? -1 : json_array_append_new(phases, p);
    }
    if (!bad && cfg->n_phases > 0) {
        bad |= json_object_set(o, "phases", phases);
    }
    if (!bad)
        out = json_dumps(o, JSON_INDENT(2));
cleanup:
    json_decref(phases);
    json_decref(o);
    return out;
}

int pb_mock_config_phase_count(const pb_mock_config *cfg)
{
    return 1 + cfg->n_phases;
}

void pb_mock_config_phase_info(const pb_mock_config *cfg, int index, pb_usec *at, const char **name)
{
    if (index <= 0 || index > cfg->n_phases) {
        *at = 0;
        *name = "base";
        return;
    }
    *at = cfg->phases[index - 1].at;
    *name = cfg->phases[index - 1].name;
}
