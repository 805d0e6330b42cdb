#include "mock_config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_out.h"
#include "units.h"

/* Largest --profile file read. */
#define PROFILE_MAX_BYTES (4u << 20)
/* Longest --idle-timeout. */
#define IDLE_TIMEOUT_MAX (24 * 3600 * PB_USEC_PER_SEC)

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

static int parse_errors(pb_mock_settings *s, const char *value, const char *what, pb_err *err)
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

static int parse_faults(pb_mock_settings *s, const char *value, const char *what, pb_err *err)
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

static int parse_rate_limit(pb_mock_settings *s, const char *value, const char *what, pb_err *err)
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

/* Each per-phase setting: parse_KEY reads the value into the key's fields of
 * s (leaving the other fields as they were, even on error), format_KEY writes
 * them back as text that parse_KEY reads to the same value. */

static int parse_latency(pb_mock_settings *s, const char *value, const char *what, pb_err *err)
{
    return pb_latency_parse(value, what, &s->latency, err);
}

static void format_latency(const pb_mock_settings *s, char *buf, size_t len)
{
    pb_latency_format(&s->latency, buf, len);
}

static int parse_latency_cap(pb_mock_settings *s, const char *value, const char *what, pb_err *err)
{
    if (strcmp(value, "none") == 0) {
        s->latency_cap = 0;
        return 0;
    }
    pb_usec d;
    int rc = pb_parse_duration(value, what, &d, err);
    if (rc == 0)
        s->latency_cap = d;
    return rc;
}

static void format_latency_cap(const pb_mock_settings *s, char *buf, size_t len)
{
    if (s->latency_cap == 0)
        snprintf(buf, len, "none");
    else
        pb_format_duration_exact(s->latency_cap, buf, len);
}

static void format_errors(const pb_mock_settings *s, char *buf, size_t len)
{
    char tmp[64];
    size_t off = 0;
    snprintf(buf, len, "none");
    for (int i = 0; i < s->n_errors && off < len; i++) {
        pb_format_real(s->error_fraction[i], tmp, sizeof(tmp));
        off += (size_t)snprintf(buf + off, len - off, "%s%u:%s", i ? "," : "",
                                (unsigned)s->error_status[i], tmp);
    }
}

static void format_faults(const pb_mock_settings *s, char *buf, size_t len)
{
    char tmp[64];
    size_t off = 0;
    snprintf(buf, len, "none");
    for (int k = 0; k < PB_FAULT_COUNT && off < len; k++) {
        if (s->fault_fraction[k] == 0)
            continue;
        pb_format_real(s->fault_fraction[k], tmp, sizeof(tmp));
        off +=
            (size_t)snprintf(buf + off, len - off, "%s%s:%s", off ? "," : "", fault_names[k], tmp);
    }
}

static int parse_capacity(pb_mock_settings *s, const char *value, const char *what, pb_err *err)
{
    return parse_count(value, what, true, &s->capacity, err);
}

static void format_capacity(const pb_mock_settings *s, char *buf, size_t len)
{
    if (s->capacity == 0)
        snprintf(buf, len, "unlimited");
    else
        snprintf(buf, len, "%u", (unsigned)s->capacity);
}

static int parse_queue_limit(pb_mock_settings *s, const char *value, const char *what, pb_err *err)
{
    return parse_count(value, what, false, &s->queue_limit, err);
}

static void format_queue_limit(const pb_mock_settings *s, char *buf, size_t len)
{
    if (s->queue_limit == PB_MOCK_UNLIMITED)
        snprintf(buf, len, "unlimited");
    else
        snprintf(buf, len, "%u", (unsigned)s->queue_limit);
}

static void format_rate_limit(const pb_mock_settings *s, char *buf, size_t len)
{
    if (s->rate_limit == 0) {
        snprintf(buf, len, "none");
        return;
    }
    pb_format_rate(s->rate_limit, buf, len);
    if (s->rate_burst != pb_mock_default_burst(s->rate_limit)) {
        char tmp[64];
        size_t off = strlen(buf);
        snprintf(buf + off, len - off, ",%s", pb_format_real(s->rate_burst, tmp, sizeof(tmp)));
    }
}

static int parse_body_size(pb_mock_settings *s, const char *value, const char *what, pb_err *err)
{
    uint64_t size;
    int rc = pb_parse_size(value, what, &size, err);
    if (rc == 0 && size > PB_MOCK_MAX_BODY)
        rc = pb_err_set(err, PB_ERANGE, "%s: expected at most 64M, got \"%s\"", what, value);
    if (rc == 0)
        s->body_size = size;
    return rc;
}

static void format_body_size(const pb_mock_settings *s, char *buf, size_t len)
{
    snprintf(buf, len, "%llu", (unsigned long long)s->body_size);
}

static int parse_hang_max(pb_mock_settings *s, const char *value, const char *what, pb_err *err)
{
    pb_usec d;
    int rc = pb_parse_duration(value, what, &d, err);
    if (rc == 0 && d == 0)
        rc = pb_err_set(err, PB_ERANGE, "%s: expected a duration above 0, got \"%s\"", what, value);
    if (rc == 0)
        s->hang_max = d;
    return rc;
}

static void format_hang_max(const pb_mock_settings *s, char *buf, size_t len)
{
    pb_format_duration_exact(s->hang_max, buf, len);
}

static int set_listen(pb_mock_config *cfg, const char *value, const char *what, pb_err *err)
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

/* The server's own keys: set_KEY applies the value to cfg (nothing else
 * changes on error); show_KEY, for those a profile carries, writes it back. */

static int set_threads(pb_mock_config *cfg, const char *value, const char *what, pb_err *err)
{
    uint64_t v;
    int rc = pb_parse_u64(value, what, 1, 64, &v, err);
    if (rc == 0)
        cfg->threads = (uint32_t)v;
    return rc;
}

static void show_threads(const pb_mock_config *cfg, char *buf, size_t len)
{
    snprintf(buf, len, "%u", (unsigned)cfg->threads);
}

static int set_seed(pb_mock_config *cfg, const char *value, const char *what, pb_err *err)
{
    uint64_t v;
    int rc = pb_parse_u64(value, what, 0, UINT64_MAX, &v, err);
    if (rc == 0)
        cfg->seed = v;
    return rc;
}

static void show_seed(const pb_mock_config *cfg, char *buf, size_t len)
{
    snprintf(buf, len, "%llu", (unsigned long long)cfg->seed);
}

static void show_listen(const pb_mock_config *cfg, char *buf, size_t len)
{
    snprintf(buf, len, cfg->ipv6 ? "[%s]:%u" : "%s:%u", cfg->host, (unsigned)cfg->port);
}

static int set_idle_timeout(pb_mock_config *cfg, const char *value, const char *what, pb_err *err)
{
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
                          "%s: expected whole seconds from 1s to 24h (or none), got \"%s\"", what,
                          value);
    cfg->idle_timeout = d;
    return 0;
}

static int set_connection_limit(pb_mock_config *cfg, const char *value, const char *what,
                                pb_err *err)
{
    uint64_t v;
    if (strcmp(value, "auto") == 0) {
        cfg->connection_limit = 0;
        return 0;
    }
    int rc = pb_parse_u64(value, what, 1, 1000000, &v, NULL);
    if (rc != 0)
        return pb_err_set(err, rc,
                          "%s: expected a whole number from 1 to 1000000 or \"auto\", got \"%s\"",
                          what, value);
    cfg->connection_limit = (uint32_t)v;
    return 0;
}

static int set_admin(pb_mock_config *cfg, const char *value, const char *what, pb_err *err)
{
    static const char *const modes[] = {
        [PB_MOCK_ADMIN_ON] = "on", [PB_MOCK_ADMIN_OFF] = "off", [PB_MOCK_ADMIN_OPEN] = "open"};
    for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
        if (strcmp(value, modes[i]) == 0) {
            cfg->admin = (pb_mock_admin_mode)i;
            return 0;
        }
    return pb_err_set(err, PB_EPARSE, "%s: expected on, off or open, got \"%s\"", what, value);
}

/* A token as --admin-token takes it: 1 to PB_MOCK_TOKEN_MAX visible ASCII
 * characters (what a Bearer credential may hold, and nothing a header or a
 * shell would mangle). */
static int take_token(pb_mock_config *cfg, const char *token, size_t len, const char *what,
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
static int set_admin_token_file(pb_mock_config *cfg, const char *path, const char *what,
                                pb_err *err)
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
    /* the line ends at CR or LF only: a NUL before it is a byte take_token
     * refuses, not the end of the token */
    size_t len = 0;
    while (len < n && buf[len] != '\r' && buf[len] != '\n')
        len++;
    if (len == sizeof(buf) - 1)
        return pb_err_set(err, PB_EINVAL, "%s: \"%s\": expected a token of at most %d characters",
                          what, path, PB_MOCK_TOKEN_MAX);
    char label[PB_MOCK_TOKEN_MAX + 96];
    snprintf(label, sizeof(label), "%s \"%s\"", what, path);
    return take_token(cfg, buf, len, label, err);
}

static int set_admin_token(pb_mock_config *cfg, const char *value, const char *what, pb_err *err)
{
    return take_token(cfg, value, strlen(value), what, err);
}

static int set_profile(pb_mock_config *cfg, const char *path, const char *what, pb_err *err)
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

/* A PEM file of at most PB_MOCK_TLS_PEM_MAX bytes into buf, as text. */
static int load_pem(char *buf, const char *path, const char *what, pb_err *err)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return pb_err_set(err, PB_EIO, "%s %s: cannot read the file: %s", what, path,
                          strerror(errno));
    size_t n = fread(buf, 1, PB_MOCK_TLS_PEM_MAX + 1, f);
    int failed = ferror(f);
    fclose(f);
    if (failed)
        return pb_err_set(err, PB_EIO, "%s %s: cannot read the file", what, path);
    if (n > PB_MOCK_TLS_PEM_MAX || memchr(buf, '\0', n) != NULL ||
        strstr((buf[n] = '\0', buf), "-----BEGIN ") == NULL) {
        buf[0] = '\0';
        return pb_err_set(err, PB_EINVAL,
                          "%s %s: expected a PEM file (-----BEGIN ...) of at most %d bytes", what,
                          path, PB_MOCK_TLS_PEM_MAX);
    }
    return 0;
}

static int set_tls_cert(pb_mock_config *cfg, const char *path, const char *what, pb_err *err)
{
    return load_pem(cfg->tls_cert, path, what, err);
}

static int set_tls_key(pb_mock_config *cfg, const char *path, const char *what, pb_err *err)
{
    return load_pem(cfg->tls_key, path, what, err);
}

/* Where a key may be given. */
enum key_scope {
    SETTING,      /* per phase: the command line, a profile's top level, each phase */
    SERVER,       /* the command line and a profile's top level */
    COMMAND_LINE, /* the command line only: profiles neither set nor show these */
};

/* Every key the mock takes, the one list of their names. A SETTING row has
 * parse, format and the span of pb_mock_settings it owns (which a phase
 * inherits from the base unless it sets the key itself); the others set and,
 * if a profile carries them, show. The row's index is its bit in a phase's
 * `overrides`. */
typedef struct mock_key {
    const char *name;
    enum key_scope scope;
    int (*parse)(pb_mock_settings *s, const char *value, const char *what, pb_err *err);
    void (*format)(const pb_mock_settings *s, char *buf, size_t len);
    size_t from, to; /* the fields of pb_mock_settings it owns: bytes [from, to) */
    int (*set)(pb_mock_config *cfg, const char *value, const char *what, pb_err *err);
    void (*show)(const pb_mock_config *cfg, char *buf, size_t len);
} mock_key;

/* A per-phase setting: its parse_KEY and format_KEY, and its fields from
 * `first` to `last`. */
#define SETTING_ROW(key_name, key, first, last)                                                    \
    {                                                                                              \
        .name = key_name, .scope = SETTING, .parse = parse_##key, .format = format_##key,          \
        .from = offsetof(pb_mock_settings, first),                                                 \
        .to = offsetof(pb_mock_settings, last) + sizeof(((pb_mock_settings *)0)->last)             \
    }

/* In this order in profiles written out and in the lists of known keys. */
static const mock_key keys[] = {
    {"listen", SERVER, .set = set_listen, .show = show_listen},
    {"threads", SERVER, .set = set_threads, .show = show_threads},
    {"seed", SERVER, .set = set_seed, .show = show_seed},
    SETTING_ROW("latency", latency, latency, latency),
    SETTING_ROW("latency-cap", latency_cap, latency_cap, latency_cap),
    SETTING_ROW("errors", errors, n_errors, error_fraction),
    SETTING_ROW("faults", faults, fault_fraction, fault_fraction),
    SETTING_ROW("capacity", capacity, capacity, capacity),
    SETTING_ROW("queue-limit", queue_limit, queue_limit, queue_limit),
    SETTING_ROW("rate-limit", rate_limit, rate_limit, rate_burst),
    SETTING_ROW("body-size", body_size, body_size, body_size),
    SETTING_ROW("hang-max", hang_max, hang_max, hang_max),
    {"idle-timeout", COMMAND_LINE, .set = set_idle_timeout},
    {"connection-limit", COMMAND_LINE, .set = set_connection_limit},
    {"admin", COMMAND_LINE, .set = set_admin},
    {"admin-token", COMMAND_LINE, .set = set_admin_token},
    {"admin-token-file", COMMAND_LINE, .set = set_admin_token_file},
    {"tls-cert", COMMAND_LINE, .set = set_tls_cert},
    {"tls-key", COMMAND_LINE, .set = set_tls_key},
    {"profile", COMMAND_LINE, .set = set_profile},
};

#define N_KEYS ((int)(sizeof(keys) / sizeof(keys[0])))
_Static_assert(sizeof(keys) / sizeof(keys[0]) <= 32, "a phase's overrides hold 32 keys");

/* The index of the key named `name`, or -1. */
static int find_key(const char *name)
{
    for (int k = 0; k < N_KEYS; k++)
        if (strcmp(name, keys[k].name) == 0)
            return k;
    return -1;
}

/* `first`, then the names of the SETTING keys (and of the SERVER ones too
 * when with_server), comma-separated: the keys an unknown key's message lists. */
static const char *key_list(char *buf, size_t len, const char *first, bool with_server)
{
    size_t off = (size_t)snprintf(buf, len, "%s", first);
    for (int k = 0; k < N_KEYS && off < len; k++)
        if (keys[k].scope == SETTING || (with_server && keys[k].scope == SERVER))
            off += (size_t)snprintf(buf + off, len - off, "%s%s", off ? ", " : "", keys[k].name);
    return buf;
}

static void copy_setting(pb_mock_settings *dst, const pb_mock_settings *src, int key)
{
    memcpy((char *)dst + keys[key].from, (const char *)src + keys[key].from,
           keys[key].to - keys[key].from);
}

/* Change one settings key of the base and of every phase that does not
 * override it; all or nothing. */
static int set_base_key(pb_mock_config *cfg, int key, const char *value, const char *what,
                        pb_err *err)
{
    pb_mock_settings base = cfg->base;
    int rc = keys[key].parse(&base, value, what, err);
    if (rc != 0)
        return rc;
    rc = check_sum(&base, what, "the base settings", err);
    if (rc != 0)
        return rc;
    for (int i = 0; i < cfg->n_phases; i++) {
        if (cfg->phases[i].overrides & (1u << key))
            continue;
        pb_mock_settings s = cfg->phases[i].s;
        copy_setting(&s, &base, key);
        char where[96];
        rc = check_sum(&s, what, phase_label(cfg, i, where, sizeof(where)), err);
        if (rc != 0)
            return rc;
    }
    cfg->base = base;
    for (int i = 0; i < cfg->n_phases; i++)
        if (!(cfg->phases[i].overrides & (1u << key)))
            copy_setting(&cfg->phases[i].s, &base, key);
    return 0;
}

const char *pb_mock_config_option(size_t i)
{
    return i < (size_t)N_KEYS ? keys[i].name : NULL;
}

int pb_mock_config_set(pb_mock_config *cfg, const char *name, const char *value, pb_err *err)
{
    char what[80];
    snprintf(what, sizeof(what), "--%s", name);
    int key = find_key(name);
    if (key < 0)
        return pb_err_set(err, PB_ENOENT, "%s is not a mock server option", what);
    if (value == NULL)
        return pb_err_set(err, PB_EINVAL, "%s: expected a value", what);
    if (keys[key].scope == SETTING)
        return set_base_key(cfg, key, value, what, err);
    return keys[key].set(cfg, value, what, err);
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
    if ((cfg->tls_cert[0] == '\0') != (cfg->tls_key[0] == '\0'))
        return pb_err_set(err, PB_EINVAL,
                          "--tls-cert and --tls-key: expected both (the certificate and its "
                          "private key) or neither");
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
        if (k < 0 || keys[k].scope != SETTING) {
            char known[512];
            return pb_err_set(err, PB_EPARSE, "phases[%d]: unknown key \"%s\"; expected %s", index,
                              key, key_list(known, sizeof(known), "at, name", false));
        }
        rc = keys[k].parse(&ph->s, text, what, err);
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
        if (k < 0 || keys[k].scope == COMMAND_LINE) {
            char known[512];
            size_t off = strlen(key_list(known, sizeof(known), "", true));
            snprintf(known + off, sizeof(known) - off, ", phases");
            return pb_err_set(err, PB_EPARSE, "unknown key \"%s\"; expected %s", key, known);
        }
        rc = keys[k].scope == SETTING ? keys[k].parse(&n->base, text, key, err)
                                      : keys[k].set(n, text, key, err);
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
    char text[PB_LATENCY_SPEC_MAX]; /* the longest setting: a latency mix */
    json_t *o = json_object();
    if (o == NULL)
        return NULL;
    int bad = put(o, "at", json_string(pb_format_duration_exact(ph->at, text, sizeof(text))));
    bad |= put(o, "name", json_string(ph->name));
    for (int k = 0; k < N_KEYS; k++) {
        if (keys[k].scope != SETTING || !(ph->overrides & (1u << k)))
            continue;
        keys[k].format(&ph->s, text, sizeof(text));
        bad |= put(o, keys[k].name, json_scalar(text));
    }
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

char *pb_mock_config_to_json(const pb_mock_config *cfg)
{
    char text[PB_LATENCY_SPEC_MAX]; /* the longest setting: a latency mix */
    char *out = NULL;
    json_t *o = json_object();
    json_t *phases = json_array();
    if (o == NULL || phases == NULL)
        goto cleanup;
    int bad = 0;
    for (int k = 0; k < N_KEYS; k++) {
        if (keys[k].scope == COMMAND_LINE)
            continue;
        if (keys[k].scope == SETTING)
            keys[k].format(&cfg->base, text, sizeof(text));
        else
            keys[k].show(cfg, text, sizeof(text));
        bad |= put(o, keys[k].name, json_scalar(text));
    }
    for (int i = 0; i < cfg->n_phases; i++) {
        json_t *p = phase_json(&cfg->phases[i]);
        bad |= p == NULL ? -1 : json_array_append_new(phases, p);
    }
    if (!bad && cfg->n_phases > 0) {
        bad |= json_object_set(o, "phases", phases);
    }
    if (!bad)
        out = pb_json_dumps(o, JSON_INDENT(2));
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
