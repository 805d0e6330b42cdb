/* The mock server's control surface on its own port: the admin API under
 * /__admin/ and the Prometheus text at /metrics. It knows HTTP, paths and
 * access; what each path does to the server comes through pb_mock_admin_ops,
 * so the server depends on this module and not the other way round. */
#ifndef PB_MOCK_ADMIN_H
#define PB_MOCK_ADMIN_H

#include <stdbool.h>
#include <stddef.h>

#include <microhttpd.h>

#include "errors.h"

/* Largest admin request body (a profile) accepted; beyond it, 413. */
#define PB_MOCK_ADMIN_MAX_BODY (1u << 20)
/* Most bytes all admin bodies being received may hold together (four of the
 * largest); a request whose body would go beyond gets 503 before it is read. */
#define PB_MOCK_ADMIN_BODIES_MAX (4u * PB_MOCK_ADMIN_MAX_BODY)

/* Who may use the admin API: from --admin and --admin-token. */
typedef struct pb_mock_admin_access {
    bool off;          /* /__admin/... answers 404 */
    const char *token; /* required as "Authorization: Bearer TOKEN"; NULL = none */
} pb_mock_admin_access;

/* What the admin API asks of the server it belongs to; `data` is the server
 * as it handed itself to pb_mock_admin_answer. Texts are malloc'd, handed
 * over, NULL when out of memory. */
typedef struct pb_mock_admin_ops {
    /* The counters: JSON for GET /__admin/stats, Prometheus text for /metrics. */
    char *(*stats)(void *data, bool prometheus);
    /* The running profile as JSON (GET /__admin/profile and PUT's answer). */
    char *(*profile)(void *data);
    /* Replace the running profile (PUT /__admin/profile); 0 or an error in err. */
    int (*set_profile)(void *data, const char *json, const char *source, pb_err *err);
    /* Restart the phase clock (POST /__admin/phase/restart). */
    void (*restart_phases)(void *data);
} pb_mock_admin_ops;

/* True for paths the admin module answers ("/__admin/..." and "/metrics"). */
bool pb_mock_admin_path(const char *url);

/* Whether an admin or metrics request may go on, decided from its headers
 * before its body is read: 0 if so, else the status to refuse it with (404
 * with the API off, 401 without the token; /metrics needs the token too) and
 * *msg the reason. The token is compared in constant time. */
unsigned pb_mock_admin_check(const pb_mock_admin_access *a, struct MHD_Connection *c,
                             const char *url, const char **msg);

/* Answer an admin request with `status` and {"error": msg}; 401 carries
 * WWW-Authenticate: Bearer, 503 Retry-After: 1. */
enum MHD_Result pb_mock_admin_refuse(struct MHD_Connection *c, unsigned status, const char *msg);

/* Answer one admin or metrics request whose body (if any) has been read, by
 * calling ops with data.
 * body_too_big: the client sent more than PB_MOCK_ADMIN_MAX_BODY bytes. */
enum MHD_Result pb_mock_admin_answer(const pb_mock_admin_ops *ops, void *data,
                                     struct MHD_Connection *c, const char *method, const char *url,
                                     const char *body, size_t body_len, bool body_too_big);

#endif
