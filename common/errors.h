/* Project error codes and the per-call error message buffer. */
#ifndef PB_ERRORS_H
#define PB_ERRORS_H

#include <stddef.h>

#define PB_MUST_CHECK __attribute__((warn_unused_result))

/* One table yields the enum and pb_strerror(), as libuv's UV_ERRNO_MAP does.
 * Codes are negative; 0 is success. */
#define PB_ERRNO_MAP(XX)                                                       \
    XX(EINVAL, -1, "invalid argument")                                         \
    XX(ENOMEM, -2, "out of memory")                                            \
    XX(ERANGE, -3, "value out of range")                                       \
    XX(EPARSE, -4, "malformed input")                                          \
    XX(EIO, -5, "input/output error")                                          \
    XX(ENOENT, -6, "not found")                                                \
    XX(EFULL, -7, "no space left")                                             \
    XX(EAGAIN, -8, "try again")                                                \
    XX(ESTATE, -9, "operation not valid in this state")                        \
    XX(EDB, -10, "database error")                                             \
    XX(ENET, -11, "network error")                                             \
    XX(ESYS, -12, "system call failed")                                        \
    XX(EINTR, -13, "interrupted")                                              \
    XX(ETHRESHOLD, -14, "threshold failed")                                    \
    XX(ENOTSUP, -15, "not supported")

typedef enum pb_errno {
#define PB_ERR_ENUM(name, value, text) PB_##name = value,
    PB_ERRNO_MAP(PB_ERR_ENUM)
#undef PB_ERR_ENUM
} pb_errno;

/* Static text for a project error code; "unknown error" for anything else. */
const char *pb_strerror(int code);

/* A caller-owned buffer that failing functions fill with a message naming the
 * input and what was expected. Functions accept a NULL pb_err. */
typedef struct pb_err {
    int code;
    char msg[512];
} pb_err;

/* Format a message into err (if not NULL) and return code, so that callers
 * can write `return pb_err_set(err, PB_EINVAL, "...", ...);`. */
int pb_err_set(pb_err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prepend "prefix: " to an existing message (e.g. a file name or JSON path). */
void pb_err_prefix(pb_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
