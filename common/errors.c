#include "errors.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *pb_strerror(int code)
{
    switch (code) {
    case 0:
        return "success";
#define PB_ERR_CASE(name, value, text)                                         \
    case PB_##name:                                                            \
        return text;
        PB_ERRNO_MAP(PB_ERR_CASE)
#undef PB_ERR_CASE
    default:
        return "unknown error";
    }
}

int pb_err_set(pb_err *err, int code, const char *fmt, ...)
{
    if (err == NULL)
        return code;
    err->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
    return code;
}

void pb_err_prefix(pb_err *err, const char *fmt, ...)
{
    if (err == NULL)
        return;
    char prefix[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof(prefix), fmt, ap);
    va_end(ap);
    /* shift the message right and put "prefix: " in front; the tail is cut
     * if the whole does not fit */
    size_t plen = strlen(prefix) + 2;
    size_t mlen = strnlen(err->msg, sizeof(err->msg) - 1);
    if (plen >= sizeof(err->msg))
        plen = sizeof(err->msg) - 1;
    if (plen + mlen >= sizeof(err->msg))
        mlen = sizeof(err->msg) - 1 - plen;
    memmove(err->msg + plen, err->msg, mlen);
    err->msg[plen + mlen] = '\0';
    memcpy(err->msg, prefix, plen - 2);
    memcpy(err->msg + plen - 2, ": ", 2);
}
