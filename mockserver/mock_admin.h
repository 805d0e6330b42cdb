/* The mock server's control surface on its own port: the admin API under
 * /__admin/ and the Prometheus text at /metrics. Built on the public mock.h
 * calls only. */
#ifndef PB_MOCK_ADMIN_H
#define PB_MOCK_ADMIN_H

#include <stdbool.h>
#include <stddef.h>

#include <microhttpd.h>

#include "mock.h"

/* Largest admin request body (a profile) accepted; beyond it, 413. */
#define PB_MOCK_ADMIN_MAX_BODY (1u << 20)

/* True for paths the admin module answers ("/__admin/..." and "/metrics"). */
bool pb_mock_admin_path(const char *url);

/* Answer one admin or metrics request whose body (if any) has been read.
 * body_too_big: the client sent more than PB_MOCK_ADMIN_MAX_BODY bytes. */
enum MHD_Result pb_mock_admin_answer(pb_mock *m, struct MHD_Connection *c, const char *method,
                                     const char *url, const char *body, size_t body_len,
                                     bool body_too_big);

#endif
