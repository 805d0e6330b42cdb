#include "mock_admin.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ADMIN_PREFIX "/__admin/"
#define ADMIN_PATHS "/__admin/profile, /__admin/phase/restart, /__admin/stats"

bool pb_mock_admin_path(const char *url)
{
    return strncmp(url, ADMIN_PREFIX, strlen(ADMIN_PREFIX)) == 0 || strcmp(url, "/__admin") == 0 ||
           strcmp(url, "/metrics") == 0;
}

/* Queue `text` (malloc'd, handed over) with a status and content type. */
static enum MHD_Result respond(struct MHD_Connection *c, unsigned status, const char *type,
                               char *text, const char *allow)
{
    if (text == NULL)
        return MHD_NO;
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
    if (r == NULL) {
        free(text);
        return MHD_NO;
    }
    enum MHD_Result rc = MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    if (rc == MHD_YES && allow != NULL)
        rc = MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
    if (rc == MHD_YES)
        rc = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return rc;
}

/* {"error": message} */
static enum MHD_Result respond_error(struct MHD_Connection *c, unsigned status, const char *msg,
                                     const char *allow)
{
    json_t *o = json_pack("{s:s}", "error", msg);
    char *text = o != NULL ? json_dumps(o, 0) : NULL;
    json_decref(o);
    return respond(c, status, "application/json", text, allow);
}

static enum MHD_Result wrong_method(struct MHD_Connection *c, const char *method, const char *url,
                                    const char *allow)
{
    char msg[256];
    snprintf(msg, sizeof(msg), "%s is not allowed on %s; expected %s", method, url, allow);
    return respond_error(c, 405, msg, allow);
}

char *pb_mock_stats_to_json(const pb_mock_stats *s)
{
    json_t *status = json_object();
    json_t *o = json_pack(
        "{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:i}", "requests",
        (json_int_t)s->requests, "ok", (json_int_t)s->ok, "errors", (json_int_t)s->errors,
        "rejected_capacity", (json_int_t)s->rejected_capacity, "rate_limited",
        (json_int_t)s->rate_limited, "resets", (json_int_t)s->resets, "hangs", (json_int_t)s->hangs,
        "slow_bodies", (json_int_t)s->slow_bodies, "malformed", (json_int_t)s->malformed,
        "bad_requests", (json_int_t)s->bad_requests, "resent_resets", (json_int_t)s->resent_resets,
        "resent_hangs", (json_int_t)s->resent_hangs, "in_flight", (json_int_t)s->in_flight,
        "queued", (json_int_t)s->queued, "phase", s->phase);
    char *text = NULL;
    if (status == NULL || o == NULL)
        goto cleanup;
    for (int i = 0; i < 600; i++) {
        if (s->status[i] == 0)
            continue;
        char key[8];
        snprintf(key, sizeof(key), "%d", i);
        if (json_object_set_new(status, key, json_integer((json_int_t)s->status[i])) != 0)
            goto cleanup;
    }
    if (json_object_set(o, "status", status) != 0)
        goto cleanup;
    text = json_dumps(o, JSON_INDENT(2));
cleanup:
    json_decref(status);
    json_decref(o);
    return text;
}

char *pb_mock_stats_to_prometheus(const pb_mock_stats *s)
{
    const struct {
        const char *name;
        uint64_t value;
    } outcomes[] = {
        {"ok", s->ok},
        {"error", s->errors},
        {"rejected_capacity", s->rejected_capacity},
        {"rate_limited", s->rate_limited},
        {"reset", s->resets},
        {"hang", s->hangs},
        {"slow_body", s->slow_bodies},
        {"malformed", s->malformed},
        {"bad_request", s->bad_requests},
    };
    size_t cap = 4096 + 64 * 600;
    char *buf = malloc(cap);
    if (buf == NULL)
        return NULL;
    size_t off = 0;
#define OUT(...) off += (size_t)snprintf(buf + off, cap - off, __VA_ARGS__)
    OUT("# HELP pb_mock_requests_total Requests received (admin and /metrics excluded).\n"
        "# TYPE pb_mock_requests_total counter\n"
        "pb_mock_requests_total %llu\n",
        (unsigned long long)s->requests);
    OUT("# HELP pb_mock_outcomes_total Requests by what the server did with them.\n"
        "# TYPE pb_mock_outcomes_total counter\n");
    for (size_t i = 0; i < sizeof(outcomes) / sizeof(outcomes[0]); i++)
        OUT("pb_mock_outcomes_total{outcome=\"%s\"} %llu\n", outcomes[i].name,
            (unsigned long long)outcomes[i].value);
    OUT("# HELP pb_mock_responses_total Responses by HTTP status.\n"
        "# TYPE pb_mock_responses_total counter\n");
    for (int i = 0; i < 600; i++)
        if (s->status[i] != 0)
            OUT("pb_mock_responses_total{status=\"%d\"} %llu\n", i,
                (unsigned long long)s->status[i]);
    OUT("# HELP pb_mock_resent_total Closes without an answer whose request the client sent "
        "again.\n"
        "# TYPE pb_mock_resent_total counter\n"
        "pb_mock_resent_total{outcome=\"reset\"} %llu\n"
        "pb_mock_resent_total{outcome=\"hang\"} %llu\n",
        (unsigned long long)s->resent_resets, (unsigned long long)s->resent_hangs);
    OUT("# HELP pb_mock_in_flight Requests received and not yet finished.\n"
        "# TYPE pb_mock_in_flight gauge\n"
        "pb_mock_in_flight %u\n"
        "# HELP pb_mock_queued Requests waiting for a capacity slot.\n"
        "# TYPE pb_mock_queued gauge\n"
        "pb_mock_queued %u\n"
        "# HELP pb_mock_phase Index of the active phase (0 = base settings).\n"
        "# TYPE pb_mock_phase gauge\n"
        "pb_mock_phase %d\n",
        (unsigned)s->in_flight, (unsigned)s->queued, s->phase);
#undef OUT
    return buf;
}

static enum MHD_Result answer_stats(pb_mock *m, struct MHD_Connection *c, bool prometheus)
{
    pb_mock_stats s;
    pb_mock_get_stats(m, &s);
    if (prometheus)
        return respond(c, 200, "text/plain; version=0.0.4", pb_mock_stats_to_prometheus(&s), NULL);
    return respond(c, 200, "application/json", pb_mock_stats_to_json(&s), NULL);
}

static enum MHD_Result put_profile(pb_mock *m, struct MHD_Connection *c, const char *body,
                                   size_t len, bool too_big)
{
    char msg[600];
    if (too_big) {
        snprintf(msg, sizeof(msg), "PUT /__admin/profile: the body is larger than %u bytes",
                 PB_MOCK_ADMIN_MAX_BODY);
        return respond_error(c, 413, msg, NULL);
    }
    if (body == NULL || len == 0)
        return respond_error(c, 400,
                             "PUT /__admin/profile: expected a JSON profile in the body, got "
                             "nothing",
                             NULL);
    if (strlen(body) != len)
        return respond_error(c, 400, "PUT /__admin/profile: the body contains a NUL byte", NULL);
    pb_err err = {0};
    if (pb_mock_set_profile(m, body, "PUT /__admin/profile", &err) != 0)
        return respond_error(c, 400, err.msg, NULL);
    return respond(c, 200, "application/json", pb_mock_profile_json(m), NULL);
}

enum MHD_Result pb_mock_admin_answer(pb_mock *m, struct MHD_Connection *c, const char *method,
                                     const char *url, const char *body, size_t body_len,
                                     bool body_too_big)
{
    bool get = strcmp(method, MHD_HTTP_METHOD_GET) == 0;
    if (strcmp(url, "/metrics") == 0)
        return get ? answer_stats(m, c, true) : wrong_method(c, method, url, "GET");
    if (strcmp(url, "/__admin/stats") == 0)
        return get ? answer_stats(m, c, false) : wrong_method(c, method, url, "GET");
    if (strcmp(url, "/__admin/profile") == 0) {
        if (get)
            return respond(c, 200, "application/json", pb_mock_profile_json(m), NULL);
        if (strcmp(method, MHD_HTTP_METHOD_PUT) == 0)
            return put_profile(m, c, body, body_len, body_too_big);
        return wrong_method(c, method, url, "GET, PUT");
    }
    if (strcmp(url, "/__admin/phase/restart") == 0) {
        if (strcmp(method, MHD_HTTP_METHOD_POST) != 0)
            return wrong_method(c, method, url, "POST");
        pb_mock_restart_phases(m);
        return respond(c, 200, "application/json", strdup("{\"phase\": 0}"), NULL);
    }
    char msg[300];
    snprintf(msg, sizeof(msg), "unknown admin path \"%.100s\"; expected one of " ADMIN_PATHS, url);
    return respond_error(c, 404, msg, NULL);
}
