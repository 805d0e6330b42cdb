/* The Python reference as a child process: posix_spawnp with stdout on a
 * pipe and stderr in a temporary file, so neither can fill up and block. */
#include "python_ref.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

extern char **environ;

/* The script's JSON is one line of a few kilobytes; anything beyond is a bug. */
#define OUTPUT_MAX (1 << 20)
#define MAX_ARGS 64

const char *pb_python_ref_default_script(void)
{
    return PB_REFERENCE_SCRIPT;
}

/* The last non-empty line of what the child wrote to stderr, for messages. */
static void last_line(FILE *f, char *buf, size_t len)
{
    buf[0] = '\0';
    if (f == NULL || fseek(f, 0, SEEK_SET) != 0)
        return;
    char line[512];
    while (fgets(line, sizeof(line), f) != NULL) {
        line[strcspn(line, "\n")] = '\0';
        if (line[0] != '\0') {
            size_t n = strlen(line) < len - 1 ? strlen(line) : len - 1;
            memcpy(buf, line, n);
            buf[n] = '\0';
        }
    }
}

/* Spawn python script args...; collects stdout (bounded) and the exit status.
 * *status is the exit code, or 128 + signal, or -1 when it could not start. */
static int spawn(const char *python, const char *script, const char *const *args, char **out,
                 int *status, char *errline, size_t errlen, pb_err *err)
{
    const char *argv[MAX_ARGS + 3];
    int n = 0;
    argv[n++] = python;
    argv[n++] = script;
    for (int i = 0; args != NULL && args[i] != NULL; i++) {
        assert(n < MAX_ARGS + 2);
        argv[n++] = args[i];
    }
    argv[n] = NULL;

    int rc = 0, fds[2] = {-1, -1};
    char *buf = NULL;
    FILE *errf = tmpfile();
    posix_spawn_file_actions_t fa;
    bool fa_init = false;
    *status = -1;
    errline[0] = '\0';
    if (errf == NULL || pipe(fds) != 0) {
        rc = pb_err_set(err, PB_ESYS, "%s: cannot make a pipe or temporary file: %s", python,
                        strerror(errno));
        goto done;
    }
    if (posix_spawn_file_actions_init(&fa) != 0) {
        rc = pb_err_set(err, PB_ENOMEM, "out of memory");
        goto done;
    }
    fa_init = true;
    if (posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO) != 0 ||
        posix_spawn_file_actions_adddup2(&fa, fileno(errf), STDERR_FILENO) != 0 ||
        posix_spawn_file_actions_addclose(&fa, fds[0]) != 0) {
        rc = pb_err_set(err, PB_ENOMEM, "out of memory");
        goto done;
    }
    pid_t pid;
    int e = posix_spawnp(&pid, python, &fa, NULL, (char *const *)argv, environ);
    if (e != 0) {
        rc = pb_err_set(err, PB_ENOENT, "--python %s: cannot run it: %s", python, strerror(e));
        goto done;
    }
    close(fds[1]);
    fds[1] = -1;
    buf = malloc(OUTPUT_MAX + 1);
    size_t used = 0;
    bool too_big = false;
    while (buf != NULL) {
        char sink[4096];
        char *to = used < OUTPUT_MAX ? buf + used : sink;
        size_t room = used < OUTPUT_MAX ? OUTPUT_MAX - used : sizeof(sink);
        ssize_t got = read(fds[0], to, room);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            break;
        if (to == sink)
            too_big = true;
        else
            used += (size_t)got;
    }
    int ws;
    while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
        ;
    *status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
    last_line(errf, errline, errlen);
    if (buf == NULL || too_big) {
        rc = pb_err_set(err, buf == NULL ? PB_ENOMEM : PB_EIO, "%s %s: %s", python, script,
                        buf == NULL ? "out of memory" : "more output than expected");
        goto done;
    }
    buf[used] = '\0';
    *out = buf;
    buf = NULL;

done:
    free(buf);
    if (fa_init)
        posix_spawn_file_actions_destroy(&fa);
    if (fds[0] >= 0)
        close(fds[0]);
    if (fds[1] >= 0)
        close(fds[1]);
    if (errf != NULL)
        fclose(errf);
    return rc;
}

int pb_python_ref_check(const char *python, const char *script, char *version, size_t vlen,
                        char *aiohttp, size_t alen, pb_err *err)
{
    static const char *const args[] = {"--check", NULL};
    char *out = NULL, errline[256];
    int status;
    int rc = spawn(python, script, args, &out, &status, errline, sizeof(errline), err);
    if (rc != 0)
        return rc;
    json_t *j = json_loads(out, 0, NULL);
    free(out);
    const char *v = json_string_value(json_object_get(j, "python"));
    const char *a = json_string_value(json_object_get(j, "aiohttp"));
    snprintf(version, vlen, "%s", v ? v : "?");
    snprintf(aiohttp, alen, "%s", a ? a : "");
    if (status == 0 && j != NULL && a != NULL)
        rc = 0;
    else if (status == 3)
        rc = pb_err_set(err, PB_ENOENT,
                        "--python %s (Python %s) has no aiohttp module; install python3-aiohttp "
                        "(scripts/install-deps.sh --test) or give --python /usr/bin/python3",
                        python, v ? v : "?");
    else
        rc = pb_err_set(err, PB_ENOENT, "--python %s cannot run %s (exit status %d)%s%s", python,
                        script, status, errline[0] ? ": " : "", errline);
    json_decref(j);
    return rc;
}

/* obj[key] as a count: an integer from 0. */
static int read_count(const json_t *obj, const char *key, const char *source, uint64_t *out,
                      pb_err *err)
{
    const json_t *v = json_object_get(obj, key);
    if (v == NULL)
        return pb_err_set(err, PB_EPARSE, "%s: its output has no \"%s\"", source, key);
    if (!json_is_integer(v))
        return pb_err_set(err, PB_EPARSE, "%s: \"%s\": expected a count (an integer), got %s",
                          source, key, json_is_real(v) ? "a fraction" : "another type");
    json_int_t n = json_integer_value(v);
    if (n < 0)
        return pb_err_set(err, PB_ERANGE, "%s: \"%s\": expected a count from 0, got %lld", source,
                          key, (long long)n);
    *out = (uint64_t)n;
    return 0;
}

/* obj[key] as a figure: a finite number from 0 (jansson reads no NaN or
 * infinity, so finite is also checked for what a future reader might let in). */
static int read_figure(const json_t *obj, const char *where, const char *key, const char *source,
                       double *out, pb_err *err)
{
    const json_t *v = json_object_get(obj, key);
    if (v == NULL)
        return pb_err_set(err, PB_EPARSE, "%s: its output has no \"%s%s\"", source, where, key);
    if (!json_is_number(v))
        return pb_err_set(err, PB_EPARSE, "%s: \"%s%s\": expected a number, got another type",
                          source, where, key);
    double x = json_number_value(v);
    if (!isfinite(x) || x < 0)
        return pb_err_set(err, PB_ERANGE, "%s: \"%s%s\": expected a number from 0, got %g", source,
                          where, key, x);
    *out = x;
    return 0;
}

int pb_python_ref_parse(const char *text, size_t len, const char *source, pb_python_result *out,
                        pb_err *err)
{
    json_error_t jerr;
    json_t *j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    pb_python_result r = {0};
    int rc = 0;
    if (!json_is_object(j)) {
        rc = pb_err_set(err, PB_EPARSE, "%s: expected one JSON object, got %s", source,
                        j == NULL ? jerr.text : "another JSON value");
        goto done;
    }
    json_t *latency = json_object_get(j, "latency_ms");
    if (latency != NULL && !json_is_object(latency)) {
        rc = pb_err_set(err, PB_EPARSE, "%s: \"latency_ms\": expected an object", source);
        goto done;
    }
    if ((rc = read_count(j, "requests", source, &r.requests, err)) != 0 ||
        (rc = read_count(j, "ok", source, &r.ok, err)) != 0 ||
        (rc = read_count(j, "failed", source, &r.failed, err)) != 0 ||
        (rc = read_count(j, "lost", source, &r.lost, err)) != 0 ||
        (rc = read_count(j, "cascaded", source, &r.cascaded, err)) != 0 ||
        (rc = read_figure(j, "", "elapsed_s", source, &r.elapsed_s, err)) != 0 ||
        (rc = read_figure(j, "", "rps", source, &r.rps, err)) != 0 ||
        (rc = read_figure(j, "", "goodput", source, &r.goodput, err)) != 0 ||
        (rc = read_figure(j, "", "cpu_s", source, &r.cpu_s, err)) != 0 ||
        (rc = read_figure(latency, "latency_ms.", "mean", source, &r.mean_latency_ms, err)) != 0)
        goto done;
    /* the script derives failed and counts cascaded among lost; figures that
     * disagree are not its output */
    if (r.ok > r.requests || r.failed != r.requests - r.ok) {
        rc = pb_err_set(err, PB_ERANGE,
                        "%s: \"ok\" %llu and \"failed\" %llu: expected them to add up to "
                        "\"requests\" %llu",
                        source, (unsigned long long)r.ok, (unsigned long long)r.failed,
                        (unsigned long long)r.requests);
        goto done;
    }
    if (r.cascaded > r.lost) {
        rc = pb_err_set(err, PB_ERANGE, "%s: \"cascaded\" %llu: expected at most \"lost\" %llu",
                        source, (unsigned long long)r.cascaded, (unsigned long long)r.lost);
        goto done;
    }
    *out = r;

done:
    json_decref(j);
    return rc;
}

int pb_python_ref_run(const char *python, const char *script, const char *const *args,
                      pb_python_result *out, pb_err *err)
{
    char *text = NULL, errline[256];
    int status;
    int rc = spawn(python, script, args, &text, &status, errline, sizeof(errline), err);
    if (rc != 0)
        return rc;
    if (status != 0)
        rc = pb_err_set(err, PB_EIO, "the Python reference failed (exit status %d)%s%s", status,
                        errline[0] ? ": " : "", errline);
    else
        rc = pb_python_ref_parse(text, strlen(text), script, out, err);
    free(text);
    return rc;
}
