#include "pb_child.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "monotime.h"
#include "test_env.h"

extern char **environ;

/* What a child may write to one output before the test gives up on it. */
#define CAPTURE_MAX (64u << 20)
#define CAPTURE_FIRST 4096u

static void capture_init(char **buf, size_t *len, size_t *cap)
{
    *buf = malloc(CAPTURE_FIRST);
    assert_non_null(*buf);
    (*buf)[0] = '\0';
    *len = 0;
    *cap = CAPTURE_FIRST;
}

/* Room for at least `want` more bytes and the NUL after them. */
static void capture_reserve(pb_child *c, char **buf, size_t len, size_t *cap, size_t want)
{
    while (*cap - len <= want) {
        size_t grown = *cap * 2;
        if (grown > CAPTURE_MAX)
            fail_msg("%s wrote more than %u bytes to one output", c->name, CAPTURE_MAX);
        char *p = realloc(*buf, grown);
        assert_non_null(p);
        *buf = p;
        *cap = grown;
    }
}

void pb_child_spawn(pb_child *c, const char *const *args, const pb_child_options *opt)
{
    static const pb_child_options plain = {0};
    if (opt == NULL)
        opt = &plain;
    memset(c, 0, sizeof(*c));
    c->out_fd = c->err_fd = -1;
    const char *program = opt->program != NULL ? opt->program : test_env("PB_BINARY");
    const char *base = strrchr(program, '/');
    snprintf(c->name, sizeof(c->name), "%s%s%s", base != NULL ? base + 1 : program,
             args[0] != NULL ? " " : "", args[0] != NULL ? args[0] : "");

    /* everything the child needs is made here: between fork and exec it only
     * moves descriptors and calls what is async-signal-safe */
    size_t n = 0;
    while (args[n] != NULL)
        n++;
    char **argv = calloc(n + 2, sizeof(*argv));
    assert_non_null(argv);
    argv[0] = (char *)program;
    for (size_t i = 0; i < n; i++)
        argv[i + 1] = (char *)args[i];
    char *const *envp = opt->envp != NULL ? opt->envp : environ;
    capture_init(&c->out, &c->out_len, &c->out_cap);
    capture_init(&c->err, &c->err_len, &c->err_cap);

    /* close-on-exec, so that a child started later holds none of these open */
    int out[2], err[2] = {-1, -1}, in = -1;
    assert_int_equal(pipe2(out, O_CLOEXEC), 0);
    if (opt->tty) {
        c->pid = forkpty(&c->err_fd, NULL, NULL, NULL);
        if (c->pid > 0)
            assert_int_equal(fcntl(c->err_fd, F_SETFD, FD_CLOEXEC), 0);
    } else {
        assert_int_equal(pipe2(err, O_CLOEXEC), 0);
        in = open("/dev/null", O_RDONLY | O_CLOEXEC);
        assert_true(in >= 0);
        c->pid = fork();
        c->err_fd = err[0];
    }
    assert_true(c->pid >= 0);
    if (c->pid == 0) {
        dup2(out[1], STDOUT_FILENO);
        if (!opt->tty) {
            dup2(err[1], STDERR_FILENO);
            dup2(in, STDIN_FILENO);
        }
        if (opt->ignore_sigint)
            signal(SIGINT, SIG_IGN);
        if (opt->max_file_size > 0) {
            struct rlimit rl = {.rlim_cur = opt->max_file_size, .rlim_max = opt->max_file_size};
            signal(SIGXFSZ, SIG_IGN); /* a write past the limit fails with EFBIG */
            if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
                _exit(126);
        }
        if (opt->cwd != NULL && chdir(opt->cwd) != 0)
            _exit(126);
        execve(program, argv, envp);
        _exit(127);
    }
    free(argv);
    close(out[1]);
    if (!opt->tty) {
        close(err[1]);
        close(in);
    }
    c->out_fd = out[0];
}

bool pb_child_pump(pb_child *c, int ms)
{
    struct pollfd p[2] = {{.fd = c->out_fd, .events = POLLIN}, {.fd = c->err_fd, .events = POLLIN}};
    int ready = poll(p, 2, ms);
    assert_true(ready >= 0 || errno == EINTR);
    for (int i = 0; i < 2 && ready > 0; i++) {
        if (p[i].fd < 0 || p[i].revents == 0)
            continue;
        char **buf = i == 0 ? &c->out : &c->err;
        size_t *len = i == 0 ? &c->out_len : &c->err_len;
        size_t *cap = i == 0 ? &c->out_cap : &c->err_cap;
        capture_reserve(c, buf, *len, cap, CAPTURE_FIRST);
        ssize_t got = read(p[i].fd, *buf + *len, *cap - 1 - *len);
        if (got > 0) {
            *len += (size_t)got;
            (*buf)[*len] = '\0';
        } else if (got == 0 || (errno != EINTR && errno != EAGAIN)) {
            /* end of output (EIO on a terminal whose child has gone) */
            close(p[i].fd);
            if (i == 0)
                c->out_fd = -1;
            else
                c->err_fd = -1;
        }
    }
    return c->out_fd >= 0 || c->err_fd >= 0;
}

static int count_of(const char *text, const char *needle)
{
    int n = 0;
    for (const char *p = text; (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    return n;
}

/* Milliseconds left until deadline, rounded up; 0 once it has passed. */
static int ms_until(pb_usec deadline)
{
    pb_usec now = pb_monotime_now();
    return now >= deadline ? 0 : (int)((deadline - now) / PB_USEC_PER_MS) + 1;
}

void pb_child_await(pb_child *c, pb_child_stream stream, const char *needle, int count,
                    int timeout_ms)
{
    pb_usec deadline = pb_monotime_now() + (pb_usec)timeout_ms * PB_USEC_PER_MS;
    for (;;) {
        const char *text = stream == PB_CHILD_OUT ? c->out : c->err;
        if (count_of(text, needle) >= count)
            return;
        int left = ms_until(deadline);
        if (left == 0 || (stream == PB_CHILD_OUT ? c->out_fd : c->err_fd) < 0)
            fail_msg("%s: waited %d ms for \"%s\" x%d on its %s; its stdout:\n%s\nits stderr:\n%s",
                     c->name, timeout_ms, needle, count,
                     stream == PB_CHILD_OUT ? "stdout" : "stderr", c->out, c->err);
        pb_child_pump(c, left);
    }
}

void pb_child_finish(pb_child *c, int timeout_ms)
{
    pb_usec deadline = pb_monotime_now() + (pb_usec)timeout_ms * PB_USEC_PER_MS;
    while (c->out_fd >= 0 || c->err_fd >= 0) {
        int left = ms_until(deadline);
        if (left == 0)
            fail_msg("%s did not end within %d ms; its stderr:\n%s", c->name, timeout_ms, c->err);
        pb_child_pump(c, left);
    }
    pid_t got;
    while ((got = waitpid(c->pid, &c->status, 0)) < 0 && errno == EINTR)
        ;
    assert_int_equal(got, c->pid);
}

int pb_child_exit_code(const pb_child *c)
{
    if (!WIFEXITED(c->status))
        fail_msg("%s was ended by signal %d; its stderr:\n%s", c->name, WTERMSIG(c->status),
                 c->err);
    return WEXITSTATUS(c->status);
}

int pb_child_run(pb_child *c, const char *const *args, const pb_child_options *opt, int timeout_ms)
{
    pb_child_spawn(c, args, opt);
    pb_child_finish(c, timeout_ms);
    return pb_child_exit_code(c);
}

pb_child pb_child_run_list(const char *first, ...)
{
    const char *args[40];
    int n = 0;
    va_list ap;
    va_start(ap, first);
    for (const char *a = first; a != NULL; a = va_arg(ap, const char *)) {
        assert_true(n < 39);
        args[n++] = a;
    }
    va_end(ap);
    args[n] = NULL;
    pb_child c;
    pb_child_spawn(&c, args, NULL);
    pb_child_finish(&c, PB_TEST_TIMEOUT_MS);
    return c;
}

void pb_child_cleanup(pb_child *c)
{
    if (c->out_fd >= 0)
        close(c->out_fd);
    if (c->err_fd >= 0)
        close(c->err_fd);
    c->out_fd = c->err_fd = -1;
    free(c->out);
    free(c->err);
    c->out = c->err = NULL;
}
