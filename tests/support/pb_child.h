/* patternbench as a user runs it: a child process whose stdout and stderr the
 * test reads through pipes while it runs. Every wait is bounded by a deadline
 * on the monotonic clock and waits on the child's output, never on a sleep. */
#ifndef PB_TEST_CHILD_H
#define PB_TEST_CHILD_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/resource.h>
#include <sys/types.h>

/* ctest's TIMEOUT for one test executable (tests/CMakeLists.txt): the bound
 * for a child whose test sets none tighter of its own. */
#define PB_TEST_TIMEOUT_MS 300000

/* How to start a child; zero or NULL in a field is the plain case. */
typedef struct pb_child_options {
    const char *program;  /* the executable; NULL: patternbench ($PB_BINARY) */
    char *const *envp;    /* its environment; NULL: this process's */
    const char *cwd;      /* its working folder; NULL: this process's */
    bool tty;             /* stderr (and stdin) on a terminal (forkpty), as in a shell */
    bool ignore_sigint;   /* SIGINT ignored, as a shell starts a background job */
    rlim_t max_file_size; /* > 0: no file it writes may grow past this many bytes */
} pb_child_options;

/* A child, running or finished. out and err hold what it has written so far,
 * NUL-terminated (never NULL once spawned); they belong to the child until
 * pb_child_cleanup. */
typedef struct pb_child {
    pid_t pid;
    int out_fd, err_fd; /* read ends of its stdout and stderr; -1 after end of file */
    char *out, *err;
    size_t out_len, err_len;
    size_t out_cap, err_cap;
    int status;    /* as waitpid reports it, once pb_child_finish has returned */
    char name[64]; /* the program and its first argument, for messages */
} pb_child;

/* Which of a child's outputs. */
typedef enum pb_child_stream { PB_CHILD_OUT, PB_CHILD_ERR } pb_child_stream;

/* Start the program (patternbench unless opt says otherwise; opt may be NULL)
 * with args (NULL-terminated, argv[1] on); stdin is /dev/null unless on a
 * terminal. c need not be initialised; pb_child_cleanup releases it. Fails
 * the test when the child cannot be started; a child that cannot be set up
 * (cwd, max_file_size) exits 126, one that cannot exec the program 127. */
void pb_child_spawn(pb_child *c, const char *const *args, const pb_child_options *opt);

/* Read what the child has written, waiting at most ms for something to
 * arrive; false once both its outputs have reached end of file. */
bool pb_child_pump(pb_child *c, int ms);

/* Wait until stream has shown needle count times; fails the test, with what
 * the child wrote, when timeout_ms pass or the stream ends first. */
void pb_child_await(pb_child *c, pb_child_stream stream, const char *needle, int count,
                    int timeout_ms);

/* Read both outputs to their end, then reap the child into c->status; fails
 * the test, with its stderr, when the outputs have not ended within timeout_ms. */
void pb_child_finish(pb_child *c, int timeout_ms);

/* The exit status of a finished child; fails the test when a signal ended it. */
int pb_child_exit_code(const pb_child *c);

/* pb_child_spawn, then pb_child_finish within timeout_ms; returns the exit
 * status (pb_child_exit_code). */
int pb_child_run(pb_child *c, const char *const *args, const pb_child_options *opt, int timeout_ms);

/* Run patternbench with the arguments (up to 39, then NULL) to its end
 * (PB_TEST_TIMEOUT_MS), stdout and stderr captured; whatever its status, it
 * is the caller's to check, and pb_child_cleanup releases the child. */
pb_child pb_child_run_list(const char *first, ...) __attribute__((sentinel));

/* Close the outputs still open and free what they captured (the child is not
 * waited for: finish or kill and finish it first). */
void pb_child_cleanup(pb_child *c);

#endif
