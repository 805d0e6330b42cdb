/* The Python reference (reference/python/pb_reference.py) as a child process:
 * whether an interpreter can run it, and one run of it read back as JSON. */
#ifndef PB_PYTHON_REF_H
#define PB_PYTHON_REF_H

#include <jansson.h>

#include "errors.h"

/* Where the script is when not given: the source tree this binary was built from. */
const char *pb_python_ref_default_script(void);

/* Run `python script --check`: 0 and the versions ("3.11.2", "3.8.4") when
 * the interpreter runs the script and imports aiohttp; PB_ENOENT (message
 * naming python) when it cannot be started or has no aiohttp, PB_EIO otherwise. */
int pb_python_ref_check(const char *python, const char *script, char *version, size_t vlen,
                        char *aiohttp, size_t alen, pb_err *err) PB_MUST_CHECK;

/* Run the script with args (NULL-terminated, after the script's path) and
 * return its JSON output (caller decrefs). PB_EIO with the child's stderr
 * (its last line) when it fails or prints no JSON object. */
int pb_python_ref_run(const char *python, const char *script, const char *const *args,
                      json_t **out, pb_err *err) PB_MUST_CHECK;

#endif
