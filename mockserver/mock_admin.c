#include "mock_admin.h"

#include <assert.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "json_out.h"

#define ADMIN_PREFIX "/__admin/"
#define ADMIN_PATHS "/__admin/profile, /__admin/phase/restart, /__admin/stats"

bool pb_mock_admin_path(const char *url)
{
    return strncmp(url, ADMIN_PREFIX, strlen(ADMIN_PREFIX)) == 0 || strcmp(url, "/__admin") == 0 ||
           strcmp(url, "/metrics") == 0;
}

/* Queue `text` (malloc'd, handed over) with a status and content type, and
 * the header `extra` ("Name: value") unless NULL. */
static enum MHD_Result respond(struct MHD_Connection *c, unsigned status, const char *type,
                               char *text, const char *extra)
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
    if (rc == MHD_YES && extra != NULL) {
        char name[64];
        const char *colon = strchr(extra, ':');
        assert(colon != NULL && (size_t)(colon - extra) < sizeof(name));
        snprintf(name, sizeof(name), "%.*s", (int)(colon - extra), extra);
        rc = MHD_add_response_header(r, name, colon + 2);
    }
    if (rc == MHD_YES)
        rc = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return rc;
}

/* {"error": message}. A message naming a client's path may hold bytes that
 * are not UTF-8 (or a character cut in two), which JSON cannot carry: those
 * show as '?', rather than the request going unanswered. */
static enum MHD_Result respond_error(struct MHD_Connection *c, unsigned status, const char *msg,
                                     const char *extra)
{
    json_t *o = json_pack("{s:s}", "error", msg);
    if (o == NULL) {
        char ascii[1024];
        snprintf(ascii, sizeof(ascii), "%s", msg);
        for (char *p = ascii; *p != '\0'; p++)
            if ((unsigned char)*p >= 0x80)
                *p = '?';
        o = json_pack("{s:s}", "error", ascii);
    }
    char *text = o != NULL ? pb_json_dumps(o, 0) : NULL;
    json_decref(o);
    return respond(c, status, "application/json", text, extra);
}

static enum MHD_Result wrong_method(struct MHD_Connection *c, const char *method, const char *url,
                                    const char *allow)
{
    char msg[256], extra[64];
    snprintf(msg, sizeof(msg), "%s is not allowed on %s; expected %s", method, url, allow);
    snprintf(extra, sizeof(extra), MHD_HTTP_HEADER_ALLOW ": %s", allow);
    return respond_error(c, 405, msg, extra);
}

/* Equal strings, in a time that depends on the length of `secret` only. */
static bool token_equal(const char *given, const char *secret)
{
    size_t glen = strlen(given), slen = strlen(secret);
    unsigned char diff = glen != slen;
    for (size_t i = 0; i < slen; i++)
        diff |= (unsigned char)(secret[i] ^ given[i < glen ? i : 0]);
    return diff == 0;
}

unsigned pb_mock_admin_check(const pb_mock_admin_access *a, struct MHD_Connection *c,
                             const char *url, const char **msg)
{
    if (a->off && strcmp(url, "/metrics") != 0) {
        *msg = "the admin API is off (--admin off)";
        return 404;
    }
    if (a->token == NULL)
        return 0;
    static const char bearer[] = "Bearer ";
    const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    if (h == NULL) {
        *msg = "expected the header \"Authorization: Bearer TOKEN\" with the token the server "
               "was started with (--admin-token-file, PB_ADMIN_TOKEN or --admin-token)";
        return 401;
    }
    if (strncasecmp(h, bearer, sizeof(bearer) - 1) != 0 ||
        !token_equal(h + sizeof(bearer) - 1, a->token)) {
        *msg = "the Authorization header does not carry the server's token (expected \"Bearer "
               "TOKEN\")";
        return 401;
    }
    return 0;
}

enum MHD_Result pb_mock_admin_refuse(struct MHD_Connection *c, unsigned status, const char *msg)
{
    const char *extra = NULL;
    if (status == 401)
        extra = MHD_HTTP_HEADER_WWW_AUTHENTICATE ": Bearer realm=\"patternbench mock\"";
    else if (status == 503)
        extra = MHD_HTTP_HEADER_RETRY_AFTER ": 1";
    return respond_error(c, status, msg, extra);
}

static enum MHD_Result put_profile(const pb_mock_admin_ops *ops, void *data,
                                   struct MHD_Connection *c, const char *body, size_t len,
                                   bool too_big)
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
    if (ops->set_profile(data, body, "PUT /__admin/profile", &err) != 0)
        return respond_error(c, 400, err.msg, NULL);
    return respond(c, 200, "application/json", ops->profile(data), NULL);
}

enum MHD_Result pb_mock_admin_answer(const pb_mock_admin_ops *ops, void *data,
                                     struct MHD_Connection *c, const char *method, const char *url,
                                     const char *body, size_t body_len, bool body_too_big)
{
    bool get = strcmp(method, MHD_HTTP_METHOD_GET) == 0;
    if (strcmp(url, "/metrics") == 0)
        return get ? respond(c, 200, "text/plain; version=0.0.4", ops->stats(data, true), NULL)
                   : wrong_method(c, method, url, "GET");
    if (strcmp(url, "/__admin/stats") == 0)
        return get ? respond(c, 200, "application/json", ops->stats(data, false), NULL)
                   : wrong_method(c, method, url, "GET");
    if (strcmp(url, "/__admin/profile") == 0) {
        if (get)
            return respond(c, 200, "application/json", ops->profile(data), NULL);
        if (strcmp(method, MHD_HTTP_METHOD_PUT) == 0)
            return put_profile(ops, data, c, body, body_len, body_too_big);
        return wrong_method(c, method, url, "GET, PUT");
    }
    if (strcmp(url, "/__admin/phase/restart") == 0) {
        if (strcmp(method, MHD_HTTP_METHOD_POST) != 0)
            return wrong_method(c, method, url, "POST");
        ops->restart_phases(data);
        return respond(c, 200, "application/json", strdup("{\"phase\": 0}"), NULL);
    }
    char msg[300];
    snprintf(msg, sizeof(msg), "unknown admin path \"%.100s\"; expected one of " ADMIN_PATHS, url);
    return respond_error(c, 404, msg, NULL);
}
