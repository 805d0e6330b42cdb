/* The Python reference (reference/python/pb_reference.py) as a child process:
 * whether an interpreter can run it, and one run of it read back from its
 * JSON output, every figure checked before reproduce uses it. */
#ifndef PB_PYTHON_REF_H
#define PB_PYTHON_REF_H

#include <stddef.h>
#include <stdint.h>

#include "errors.h"

/* What one run of the reference reports, the fields of its JSON object that
 * reproduce reads (reference/python/README.md names them all). */
typedef struct pb_python_result {
    uint64_t requests;      /* that reached the network */
    uint64_t ok;            /* of requests, the successes */
    uint64_t failed;        /* requests - ok */
    uint64_t lost;          /* results that never reached the caller */
    uint64_t cascaded;      /* the successes among them */
    double elapsed_s;       /* the run's length */
    double rps, goodput;    /* requests and ok answers per second */
    double cpu_s;           /* the process's user + system time */
    double mean_latency_ms; /* latency_ms.mean */
} pb_python_result;

/* Where the script is when not given: the source tree this binary was built from. */
const char *pb_python_ref_default_script(void);

/* Run `python script --check`: 0 and the versions ("3.11.2", "3.8.4") when
 * the interpreter runs the script and imports aiohttp; PB_ENOENT (message
 * naming python) when it cannot be started or has no aiohttp, PB_EIO otherwise. */
int pb_python_ref_check(const char *python, const char *script, char *version, size_t vlen,
                        char *aiohttp, size_t alen, pb_err *err) PB_MUST_CHECK;

/* Read the reference's output, len bytes of text (source names it in
 * messages, e.g. the script's path). Each field above must be present: the
 * counts integers from 0, ok and failed adding up to requests, cascaded at
 * most lost; the figures finite numbers from 0. PB_EPARSE (not a JSON object,
 * a field missing or of another type) or PB_ERANGE, the message naming source
 * and the field; *out is set only on success. Other fields are not read. */
int pb_python_ref_parse(const char *text, size_t len, const char *source, pb_python_result *out,
                        pb_err *err) PB_MUST_CHECK;

/* Run the script with args (NULL-terminated, after the script's path) and
 * read its output with pb_python_ref_parse. PB_EIO with the child's stderr
 * (its last line) when it fails; the parser's errors when its output is not
 * what the reference prints. */
int pb_python_ref_run(const char *python, const char *script, const char *const *args,
                      pb_python_result *out, pb_err *err) PB_MUST_CHECK;

#endif
