#include "gnuplot.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "monotime.h"
#include "utf8.h"

extern char **environ;

static const char *quote(const char *text, size_t max_chars, char *buf, size_t cap, bool tic)
{
    if (cap < 8) {
        if (cap > 0)
            buf[0] = '\0';
        return buf;
    }
    /* room for the closing quote, "..." and the terminator */
    size_t limit = cap - 5, o = 0, chars = 0;
    buf[o++] = '\'';
    const unsigned char *s = (const unsigned char *)(text != NULL ? text : "");
    bool cut = false;
    while (*s != '\0') {
        size_t n = pb_utf8_len(s);
        if (n == 0) {
            /* a stray byte: shown as '?', never passed on */
            s++;
            if (o + 1 > limit || chars >= max_chars) {
                cut = true;
                break;
            }
            buf[o++] = '?';
            chars++;
            continue;
        }
        if (n == 1 && (*s < 0x20 || *s == 0x7F || *s == '`')) {
            s++;
            continue;
        }
        bool twice = n == 1 && (*s == '\'' || (tic && *s == '%'));
        size_t need = twice ? 2 : n;
        if (o + need > limit || chars >= max_chars) {
            cut = true;
            break;
        }
        if (twice) {
            buf[o++] = (char)*s;
            buf[o++] = (char)*s;
        } else {
            memcpy(buf + o, s, n);
            o += n;
        }
        s += n;
        chars++;
    }
    if (cut) {
        memcpy(buf + o, "...", 3);
        o += 3;
    }
    buf[o++] = '\'';
    buf[o] = '\0';
    return buf;
}

const char *pb_gnuplot_quote(const char *text, size_t max_chars, char *buf, size_t cap)
{
    return quote(text, max_chars, buf, cap, false);
}

const char *pb_gnuplot_quote_tic(const char *text, size_t max_chars, char *buf, size_t cap)
{
    return quote(text, max_chars, buf, cap, true);
}

int pb_gnuplot_find(char *path, size_t cap, pb_err *err)
{
    const char *env = getenv(PB_GNUPLOT_ENV);
    if (env != NULL && env[0] != '\0') {
        /* an absolute path survives the child's chdir into the report folder */
        char real[PATH_MAX];
        if (realpath(env, real) == NULL || access(real, X_OK) != 0)
            return pb_err_set(err, PB_ENOENT,
                              "%s=\"%s\": expected an executable gnuplot program (%s)",
                              PB_GNUPLOT_ENV, env, strerror(errno));
        if (strlen(real) >= cap)
            return pb_err_set(err, PB_ERANGE, "%s=\"%s\": path too long", PB_GNUPLOT_ENV, env);
        memcpy(path, real, strlen(real) + 1);
        return 0;
    }
    const char *dirs = getenv("PATH");
    if (dirs == NULL)
        dirs = "/usr/bin:/bin";
    while (*dirs != '\0') {
        size_t len = strcspn(dirs, ":");
        char cand[PATH_MAX];
        /* an empty PATH entry means the current directory */
        int w = len == 0 ? snprintf(cand, sizeof(cand), "./gnuplot")
                         : snprintf(cand, sizeof(cand), "%.*s/gnuplot", (int)len, dirs);
        char real[PATH_MAX];
        if (w > 0 && (size_t)w < sizeof(cand) && access(cand, X_OK) == 0 &&
            realpath(cand, real) != NULL && strlen(real) < cap) {
            memcpy(path, real, strlen(real) + 1);
            return 0;
        }
        dirs += len;
        if (*dirs == ':')
            dirs++;
    }
    return pb_err_set(err, PB_ENOENT,
                      "gnuplot not found in PATH; install the Debian package gnuplot-nox "
                      "(apt-get install gnuplot-nox) or set %s to the program",
                      PB_GNUPLOT_ENV);
}

/* "DIR/NAME" with the ".gp" suffix of NAME replaced by ".log". */
static int log_path(const char *dir, const char *script, char *out, size_t cap)
{
    size_t len = strlen(script);
    if (len > 3 && strcmp(script + len - 3, ".gp") == 0)
        len -= 3;
    int w = snprintf(out, cap, "%s/%.*s.log", dir, (int)len, script);
    return (w < 0 || (size_t)w >= cap) ? PB_ERANGE : 0;
}

/* The last non-empty line of a log file: gnuplot ends an error report with
 * '"script" line N: message' after echoing the offending command. */
static void last_line(const char *path, char *out, size_t cap)
{
    out[0] = '\0';
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return;
    char line[256];
    while (fgets(line, sizeof(line), f) != NULL) {
        line[strcspn(line, "\r\n")] = '\0';
        if (line[strspn(line, " \t")] != '\0')
            snprintf(out, cap, "%s", line);
    }
    fclose(f);
}

struct child {
    pid_t pid;
    bool done;
    int status;
};

int pb_gnuplot_run(const char *gnuplot, const char *dir, const char *const *scripts, size_t n,
                   int timeout_s, pb_err *err)
{
    int rc = 0;
    struct child *kids = calloc(n > 0 ? n : 1, sizeof(*kids));
    if (kids == NULL)
        return pb_err_set(err, PB_ENOMEM, "gnuplot: out of memory");
    size_t started = 0;
    for (; started < n; started++) {
        char log[PATH_MAX];
        if (log_path(dir, scripts[started], log, sizeof(log)) != 0) {
            rc = pb_err_set(err, PB_ERANGE, "%s/%s: path too long", dir, scripts[started]);
            goto cleanup;
        }
        posix_spawn_file_actions_t fa;
        if (posix_spawn_file_actions_init(&fa) != 0) {
            rc = pb_err_set(err, PB_ENOMEM, "gnuplot: out of memory");
            goto cleanup;
        }
        int e = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
        if (e == 0)
            e = posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
        if (e == 0)
            e = posix_spawn_file_actions_addopen(&fa, 2, log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (e == 0)
            e = posix_spawn_file_actions_addchdir_np(&fa, dir);
        char *argv[] = {(char *)gnuplot, (char *)scripts[started], NULL};
        if (e == 0)
            e = posix_spawn(&kids[started].pid, gnuplot, &fa, NULL, argv, environ);
        posix_spawn_file_actions_destroy(&fa);
        if (e != 0) {
            rc = pb_err_set(err, PB_ESYS, "cannot start %s %s in %s: %s", gnuplot,
                            scripts[started], dir, strerror(e));
            goto cleanup;
        }
    }

    pb_usec deadline = pb_monotime_now() + (pb_usec)timeout_s * PB_USEC_PER_SEC;
    size_t left = n;
    while (left > 0) {
        for (size_t i = 0; i < n; i++) {
            if (kids[i].done)
                continue;
            pid_t w = waitpid(kids[i].pid, &kids[i].status, WNOHANG);
            if (w == kids[i].pid || (w < 0 && errno != EINTR)) {
                kids[i].done = true;
                left--;
            }
        }
        if (left == 0)
            break;
        if (pb_monotime_now() > deadline) {
            rc = pb_err_set(err, PB_EAGAIN, "gnuplot did not finish within %d s in %s",
                            timeout_s, dir);
            goto cleanup;
        }
        /* polling keeps the library free of SIGCHLD handlers the caller may own */
        struct timespec ts = {0, 5 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }

    for (size_t i = 0; i < n; i++) {
        char log[PATH_MAX];
        if (log_path(dir, scripts[i], log, sizeof(log)) != 0)
            continue;
        struct stat st;
        bool ok = WIFEXITED(kids[i].status) && WEXITSTATUS(kids[i].status) == 0;
        if (ok && stat(log, &st) == 0 && st.st_size == 0)
            unlink(log);
        if (!ok && rc == 0) {
            char line[256];
            last_line(log, line, sizeof(line));
            rc = pb_err_set(err, PB_EIO, "gnuplot failed on %s/%s (%s %d): %s", dir, scripts[i],
                            WIFEXITED(kids[i].status) ? "exit status" : "signal",
                            WIFEXITED(kids[i].status) ? WEXITSTATUS(kids[i].status)
                                                      : WTERMSIG(kids[i].status),
                            line[0] != '\0' ? line : "no message");
        }
    }
    started = 0;

cleanup:
    /* on an early exit, no child may outlive the call */
    for (size_t i = 0; i < started; i++) {
        if (kids[i].done)
            continue;
        kill(kids[i].pid, SIGKILL);
        while (waitpid(kids[i].pid, NULL, 0) < 0 && errno == EINTR)
            ;
    }
    free(kids);
    return rc;
}
