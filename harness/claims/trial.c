/* One trial against a fresh in-process mock or the user's service. The mock's
 * threads live in this process, so the client's CPU time of a C trial is the
 * process's minus the threads the mock started (read from /proc/self/task);
 * against a target there are none to subtract. */
#include "trial.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <unistd.h>

#include "engine.h"
#include "mock.h"
#include "python_ref.h"
#include "server_recording.h"

/* Threads of this process: the engine's, the recorder's and the mock's. */
#define MAX_THREADS 256

typedef struct thread_set {
    pid_t tid[MAX_THREADS];
    int n;
} thread_set;

static void list_threads(thread_set *s)
{
    s->n = 0;
    DIR *d = opendir("/proc/self/task");
    if (d == NULL)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && s->n < MAX_THREADS)
        if (e->d_name[0] != '.')
            s->tid[s->n++] = (pid_t)atol(e->d_name);
    closedir(d);
}

static bool contains(const thread_set *s, pid_t tid)
{
    for (int i = 0; i < s->n; i++)
        if (s->tid[i] == tid)
            return true;
    return false;
}

/* CPU seconds (user + system) of the threads in s, from /proc/self/task/TID/stat
 * (clock ticks, fields 14 and 15, counted after the ")" that ends the name). */
static double threads_cpu(const thread_set *s)
{
    double ticks = 0.0, hz = (double)sysconf(_SC_CLK_TCK);
    for (int i = 0; i < s->n; i++) {
        char path[64], line[1024];
        snprintf(path, sizeof(path), "/proc/self/task/%d/stat", (int)s->tid[i]);
        FILE *f = fopen(path, "r");
        if (f == NULL)
            continue;
        char *p = fgets(line, sizeof(line), f) ? strrchr(line, ')') : NULL;
        fclose(f);
        unsigned long long ut, st;
        /* after ")": state, then fields 4..13, then utime and stime */
        if (p != NULL && sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
                                &ut, &st) == 2)
            ticks += (double)(ut + st);
    }
    return hz > 0 ? ticks / hz : 0.0;
}

static double process_cpu(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return 0.0;
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* The mock of one trial: the arm's latency and errors, the fault phase if
 * the arm has it, the trial's seed. */
static int mock_config(const pb_arm *arm, const pb_trial_plan *plan, uint64_t seed,
                       pb_mock_config **out, pb_err *err)
{
    char profile[768], at1[32], at2[32];
    const char *latency = arm->latency != NULL ? arm->latency : PB_TRIAL_LATENCY;
    const char *errors = arm->errors != NULL ? arm->errors : PB_TRIAL_ERRORS;
    snprintf(at1, sizeof(at1), "%lluus", (unsigned long long)(plan->duration * 4 / 10));
    snprintf(at2, sizeof(at2), "%lluus", (unsigned long long)(plan->duration * 7 / 10));
    if (arm->fault)
        snprintf(profile, sizeof(profile),
                 "{\"seed\": %llu, \"latency\": \"%s\", \"errors\": \"%s\", \"phases\": ["
                 "{\"at\": \"%s\", \"name\": \"fault\", \"errors\": \"%s\"},"
                 "{\"at\": \"%s\", \"name\": \"recovered\"}]}",
                 (unsigned long long)seed, latency, errors, at1,
                 PB_TRIAL_FAULT_ERRORS, at2);
    else
        snprintf(profile, sizeof(profile), "{\"seed\": %llu, \"latency\": \"%s\", \"errors\": \"%s\"}",
                 (unsigned long long)seed, latency, errors);
    int rc = pb_mock_config_create(out);
    if (rc != 0)
        return pb_err_set(err, rc, "out of memory");
    rc = pb_mock_config_load_json(*out, profile, "the claims' mock", err);
    if (rc != 0) {
        pb_mock_config_destroy(*out);
        *out = NULL;
    }
    return rc;
}

/* A fresh mock for one trial (hooks may be NULL), and the threads it started. */
static int start_mock(const pb_mock_config *mc, const pb_mock_hooks *hooks, pb_mock **out,
                      thread_set *mock_threads, pb_err *err)
{
    thread_set before;
    list_threads(&before);
    int rc = pb_mock_start_hooked(mc, hooks, out, err);
    if (rc != 0)
        return rc == PB_ENOMEM ? pb_err_set(err, rc, "out of memory") : rc;
    thread_set after;
    list_threads(&after);
    mock_threads->n = 0;
    for (int i = 0; i < after.n; i++)
        if (!contains(&before, after.tid[i]))
            mock_threads->tid[mock_threads->n++] = after.tid[i];
    return 0;
}

int pb_trial_run_c(const pb_arm *arm, const pb_trial_plan *plan, uint64_t seed, pb_trial *out,
                   pb_err *err)
{
    pb_mock *mock = NULL;
    thread_set mock_threads = {.n = 0};
    pb_run_config cfg = {0};
    pb_run_summary *sum = calloc(1, sizeof(*sum)); /* large: status counts per code */
    char text[32];
    int rc = sum == NULL ? pb_err_set(err, PB_ENOMEM, "out of memory") : 0;
    if (rc == 0)
        rc = pb_run_config_init(&cfg);
    if (rc == 0)
        rc = pb_run_config_set(&cfg, "pattern", arm->pattern, err);
    if (rc == 0)
        rc = pb_run_config_set(&cfg, "label", arm->label, err);
    snprintf(text, sizeof(text), "%u", arm->concurrency);
    if (rc == 0)
        rc = pb_run_config_set(&cfg, "concurrency", text, err);
    snprintf(text, sizeof(text), "%lluus", (unsigned long long)plan->duration);
    if (rc == 0)
        rc = pb_run_config_set(&cfg, "duration", text, err);
    snprintf(text, sizeof(text), "%llu", (unsigned long long)seed);
    if (rc == 0)
        rc = pb_run_config_set(&cfg, "seed", text, err);
    for (int i = 0; rc == 0 && arm->c_params != NULL && arm->c_params[i] != NULL; i += 2)
        rc = pb_run_config_set(&cfg, arm->c_params[i], arm->c_params[i + 1], err);
    if (rc == 0 && plan->db_path != NULL)
        rc = pb_run_config_set(&cfg, "db", plan->db_path, err);
    pb_mock_config *mc = NULL;
    if (rc == 0 && plan->target == NULL)
        rc = mock_config(arm, plan, seed, &mc, err);
    if (rc == 0 && plan->target == NULL)
        rc = start_mock(mc, NULL, &mock, &mock_threads, err);
    pb_mock_config_destroy(mc);
    if (rc == 0)
        rc = pb_run_config_set(&cfg, "target",
                               plan->target != NULL ? plan->target : pb_mock_url(mock), err);
    if (rc == 0)
        rc = pb_run_config_check(&cfg, err);
    if (rc != 0)
        goto done;
    cfg.quiet = true;
    cfg.compare_id = plan->compare_id;
    cfg.record = plan->rec != NULL;

    double cpu0 = process_cpu(), mock0 = threads_cpu(&mock_threads);
    rc = pb_run_execute(&cfg, plan->rec, sum, err);
    double cpu1 = process_cpu(), mock1 = threads_cpu(&mock_threads);
    if (rc != 0)
        goto done;
    pb_mock_stats ms = {0};
    if (mock != NULL)
        pb_mock_get_stats(mock, &ms);
    double cpu = (cpu1 - cpu0) - (mock1 - mock0);
    *out = (pb_trial){
        .rps = sum->rps,
        .goodput = sum->duration_s > 0
                       ? (double)sum->outcomes[PB_OUTCOME_OK] / sum->duration_s
                       : 0.0,
        .elapsed_s = sum->duration_s,
        .cpu_s = cpu > 0 ? cpu : 0.0,
        .mean_latency_ms = sum->mean / 1e3,
        .requests = sum->network,
        .ok = sum->outcomes[PB_OUTCOME_OK],
        .failed = sum->failed,
        .lost = sum->pattern.lost,
        .cascaded = sum->pattern.cascaded,
        .server_requests = ms.requests,
        .server_counted = plan->target == NULL,
        .run_id = sum->run_id,
        .generator_bound = sum->has_harness && sum->harness.generator_bound,
    };

done:
    pb_mock_stop(mock);
    pb_run_config_cleanup(&cfg);
    free(sum);
    return rc;
}

int pb_trial_run_python(const pb_arm *arm, const pb_trial_plan *plan, uint64_t seed,
                        pb_trial *out, pb_err *err)
{
    char conc[16], tasks[32], duration[32];
    const char *args[64];
    int n = 0;
    snprintf(conc, sizeof(conc), "%u", arm->concurrency);
    /* the task list must outlast the trial: 10,000 a second is above what
     * one asyncio loop reaches */
    snprintf(tasks, sizeof(tasks), "%llu",
             (unsigned long long)(arm->tasks != 0 ? arm->tasks : 1000 + plan->duration / 100));
    /* a fixed task list runs whole; the duration is then only a safety net */
    snprintf(duration, sizeof(duration), "%.6f",
             arm->tasks != 0 ? 120.0 : (double)plan->duration / 1e6);
    args[n++] = "--pattern";
    args[n++] = arm->pattern;
    args[n++] = "--concurrency";
    args[n++] = conc;
    args[n++] = "--tasks";
    args[n++] = tasks;
    args[n++] = "--duration";
    args[n++] = duration;
    args[n++] = "--url";
    int url_at = n++;
    for (int i = 0; arm->py_args != NULL && arm->py_args[i] != NULL && n < 62; i++)
        args[n++] = arm->py_args[i];
    args[n] = NULL;

    /* the Python client records nothing itself: the mock records what it
     * answered, as a run of its own beside the C arms' runs */
    pb_mock *mock = NULL;
    pb_mock_config *mc = NULL;
    pb_server_recording *recording = NULL;
    pb_mock_hooks hooks = {0};
    thread_set mock_threads = {.n = 0};
    pb_python_result py;
    char label[160];
    snprintf(label, sizeof(label), "%s (Python, server view)", arm->label);
    pb_server_run_info info = {.label = label, .compare_id = plan->compare_id};
    int rc = plan->target == NULL ? mock_config(arm, plan, seed, &mc, err) : 0;
    info.mock = mc;
    if (rc == 0 && plan->rec != NULL && plan->target == NULL) {
        rc = pb_server_recording_create(plan->rec, &info, NULL, NULL, &recording, err);
        if (rc == 0)
            pb_server_recording_hooks(recording, &hooks);
    }
    if (rc == 0 && plan->target == NULL)
        rc = start_mock(mc, &hooks, &mock, &mock_threads, err);
    pb_mock_config_destroy(mc);
    if (rc == 0 && recording != NULL)
        rc = pb_server_recording_begin(recording, mock, err);
    if (rc == 0) {
        args[url_at] = plan->target != NULL ? plan->target : pb_mock_url(mock);
        rc = pb_python_ref_run(plan->python, plan->script, args, &py, err);
    }
    int64_t run_id = recording != NULL ? pb_server_recording_run_id(recording) : 0;
    pb_mock_stats ms;
    pb_err end_err = {0};
    if (pb_server_recording_stop(recording, mock, rc == 0 ? "completed" : "failed", &ms,
                                 &end_err) != 0 &&
        rc == 0)
        rc = pb_err_set(err, end_err.code, "%s", end_err.msg);
    if (rc == 0) {
        *out = (pb_trial){
            .rps = py.rps,
            .goodput = py.goodput,
            .elapsed_s = py.elapsed_s,
            .cpu_s = py.cpu_s,
            .mean_latency_ms = py.mean_latency_ms,
            .requests = py.requests,
            .ok = py.ok,
            .failed = py.failed,
            .lost = py.lost,
            .cascaded = py.cascaded,
            .server_requests = ms.requests,
            .server_counted = plan->target == NULL,
            .run_id = run_id,
        };
    }
    return rc;
}
