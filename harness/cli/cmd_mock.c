/* patternbench mock: the mock server in the foreground, until SIGINT/SIGTERM. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "commands.h"
#include "disk_guard.h"
#include "latency_dist.h"
#include "mock.h"
#include "metrics_server.h"
#include "mock_stats.h"
#include "monotime.h"
#include "recorder.h"
#include "run_config.h"
#include "server_recording.h"
#include "units.h"
#include "usage.h"

/* "reset:F, hang:F, ..., " from the fault table. */
#define FAULT_SPEC(e, name, counter, outcome, status) name ":F, "
#define FAULT_SPECS PB_MOCK_FAULT_MAP(FAULT_SPEC)

/* One line per latency family, "uniform:5ms,20ms (min, max)", from its table. */
#define LATENCY_FORM(e, name, args, example, meaning)                                              \
    "\n                         " #name ":" example meaning
#define LATENCY_FORMS PB_LATENCY_MAP(LATENCY_FORM)

static const char usage_text[] =
    "usage: patternbench mock [options]\n"
    "\n"
    "Run the mock HTTP server in the foreground. Every path except /__admin/... and\n"
    "/metrics is answered by the fault model. The first line on stdout is\n"
    "\"listening on http://ADDRESS:PORT\"; SIGINT or SIGTERM stops the server, which\n"
    "then prints its counters.\n"
    "\n"
    "options (a later option overrides an earlier one; --profile is read first):\n"
    "  --listen ADDR:PORT     address to bind (default 127.0.0.1:0, 0 = any free port)\n"
    "  --threads N            server threads (default 2; 1 uses poll() instead of epoll)\n"
    "  --seed N               seed of every random draw (default 1)\n"
    "  --latency SPEC         service time: none, or one of" LATENCY_FORMS "\n"
    "  --latency-cap D        clamp every latency draw to D (default none)\n"
    "  --errors SPEC          injected statuses, e.g. 503:0.2,500:0.05 (429 carries\n"
    "                         Retry-After)\n"
    "  --faults SPEC          " FAULT_SPECS "comma-separated\n"
    "  --hang-max D           close a hung request after D (default 60s)\n"
    "  --capacity N           at most N requests in service at once (default unlimited)\n"
    "  --queue-limit Q        up to Q more wait in FIFO order, the rest get 503\n"
    "                         (default unlimited)\n"
    "  --rate-limit RPS[,B]   token bucket of RPS per second, burst B (default RPS/10,\n"
    "                         at least 1); excess requests get 429\n"
    "  --body-size BYTES      size of a 200 body, e.g. 512, 4k (default 64)\n"
    "  --profile FILE.json    the same settings as JSON, plus time-phased \"phases\"\n"
    "  --idle-timeout D       close a connection idle for D, in whole seconds (default\n"
    "                         60s; none = never); a delayed or hung request is not idle\n"
    "  --connection-limit N   at most N open connections, more wait to be accepted\n"
    "                         (default auto: the open-file limit - 64)\n"
    "  --admin MODE           on (default), off, or open; beyond loopback, on needs a\n"
    "                         token and open says no token is wanted\n"
    "  --admin-token-file F   require \"Authorization: Bearer TOKEN\" on /__admin/... and\n"
    "                         /metrics, TOKEN being the first line of F (also from\n"
    "                         $PB_ADMIN_TOKEN, or --admin-token TOKEN, seen in ps)\n"
    "  --tls-cert F --tls-key F\n"
    "                         serve HTTPS with the certificate and key in the PEM files\n"
    "                         F (clients verify it with run --cacert, or --insecure)\n"
    "  --db FILE              record every request answered, as the server saw it, into\n"
    "                         the SQLite database FILE (appended to; a run of pattern\n"
    "                         \"mock\" that report, export and merge read as any run)\n"
    "  --label TEXT           the recorded run's label (default \"mock\")\n"
    "  --record MODE          with --db: all | sample:N | seconds, as run takes it (all)\n"
    "  --keep-requests D      with --db: drop request rows older than D (1s to 7d)\n"
    "  --disk-reserve SIZE    with --db: free space kept; below it only the rollup\n"
    "                         goes on; a size (512M, 100GiB: powers of 1024) or a\n"
    "                         share of the disk (5%) (the larger of 1G and 5 % of it)\n"
    "  --metrics [ADDR:]PORT  serve a live page of the server at / of this port (its\n"
    "                         requests/s by outcome, in flight, queued, phase), and\n"
    "                         its counters at /metrics (127.0.0.1 when only a port)\n"
    "  --help                 this text\n"
    "\n"
    "Admin API on the same port: GET/PUT /__admin/profile, POST /__admin/phase/restart,\n"
    "GET /__admin/stats; Prometheus text at GET /metrics. See docs/mock.md.\n"
    "\n"
    "Exit status: 0 when stopped by SIGINT or SIGTERM, 1 when the server cannot start\n"
    "(a port in use) or its database cannot be written, 2 for a bad option.\n";

#define MAX_OPTIONS 64

typedef struct option_arg {
    const char *name; /* without the dashes; points into argv or `names` */
    const char *value;
} option_arg;

static void usage(FILE *out)
{
    fputs(usage_text, out);
}

/* Log phase changes of a profile that has phases (data: the configuration). */
static void on_phase(void *data, int index, const char *name, pb_usec at)
{
    char buf[32];
    if (pb_mock_config_phase_count(data) < 2)
        return;
    fprintf(stderr, "mock: phase %d \"%s\" at %s\n", index, name,
            pb_format_duration(at, buf, sizeof(buf)));
}

/* Many connections need many descriptors: raise the soft limit to the hard one. */
static void raise_fd_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= rl.rlim_max)
        return;
    rl.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
        fprintf(stderr, "mock: could not raise the open-file limit; many connections may fail\n");
}

/* Split argv into (name, value) pairs; returns the count, -1 after printing a
 * usage error, or -2 for --help. `names` holds copies of "--name=value" names. */
static int parse_args(int argc, char **argv, option_arg *opts, char names[][32])
{
    int n = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)
            return -2;
        if (strncmp(a, "--", 2) != 0 || a[2] == '\0') {
            pb_usage_error("mock", "%s: unexpected argument; options start with --", a);
            return -1;
        }
        if (n == MAX_OPTIONS) {
            pb_usage_error("mock", "expected at most %d options", MAX_OPTIONS);
            return -1;
        }
        const char *eq = strchr(a, '=');
        if (eq != NULL) {
            size_t len = (size_t)(eq - a - 2);
            if (len >= sizeof(names[0])) {
                pb_usage_unknown_option("mock", usage, a);
                return -1;
            }
            memcpy(names[n], a + 2, len);
            names[n][len] = '\0';
            opts[n].name = names[n];
            opts[n].value = eq + 1;
        } else {
            opts[n].name = a + 2;
            opts[n].value = i + 1 < argc ? argv[++i] : NULL;
        }
        n++;
    }
    return n;
}

/* The options that are the command's own, not the server's. */
typedef struct own_options {
    const char *db;    /* --db, NULL = record nothing */
    const char *label; /* --label */
    /* --record, --keep-requests and --disk-reserve, read by run's own parser
     * into these fields of a run configuration (nothing else of it is used) */
    pb_run_config store;
    const char *store_option; /* the first of them given, to refuse it without --db */
    bool metrics;             /* --metrics: serve the live page at metrics_addr */
    pb_metrics_addr metrics_addr;
} own_options;

/* Take --db, --label, how much is stored and --metrics; 0, or nonzero after
 * printing a usage error. */
static int own_option(const option_arg *o, own_options *ro, bool *taken)
{
    bool store = strcmp(o->name, "record") == 0 || strcmp(o->name, "keep-requests") == 0 ||
                 strcmp(o->name, "disk-reserve") == 0;
    *taken = strcmp(o->name, "db") == 0 || strcmp(o->name, "label") == 0 ||
             strcmp(o->name, "metrics") == 0 || store;
    if (!*taken)
        return 0;
    if (strcmp(o->name, "metrics") == 0) {
        pb_err err = {0};
        if (o->value == NULL)
            return pb_usage_error("mock", "--metrics: expected [ADDR:]PORT");
        if (pb_metrics_parse_addr(o->value, &ro->metrics_addr, &err) != 0)
            return pb_usage_error("mock", "%s", err.msg);
        ro->metrics = true;
        return 0;
    }
    if (store) {
        pb_err err = {0};
        if (o->value == NULL)
            return pb_usage_error("mock", "--%s: expected a value", o->name);
        if (pb_run_config_set(&ro->store, o->name, o->value, &err) != 0)
            return pb_usage_error("mock", "%s", err.msg);
        if (ro->store_option == NULL)
            ro->store_option = o->name;
        return 0;
    }
    if (o->value == NULL || o->value[0] == '\0')
        return pb_usage_error("mock", "--%s: expected a value", o->name);
    if (strcmp(o->name, "db") == 0) {
        ro->db = o->value;
        return 0;
    }
    pb_err err = {0};
    if (pb_run_label_check(o->value, &err) != 0)
        return pb_usage_error("mock", "%s", err.msg);
    ro->label = o->value;
    return 0;
}

/* Open the database for --db, its reserve of free space set as `run` sets it
 * (--disk-reserve, or the larger of 1 GiB and 5 %): below it request rows
 * stop, the rollup goes on. */
static int open_db(const char *path, const pb_run_config *store, pb_recorder **out)
{
    pb_err err = {0};
    pb_run_config where = {.db_path = (char *)path,
                           .disk_reserve = store->disk_reserve,
                           .disk_reserve_share = store->disk_reserve_share};
    pb_disk_projection p;
    if (pb_disk_project(&where, 0, 0, 0, &p, &err) != 0 || pb_recorder_open(path, 0, out, &err) != 0) {
        fprintf(stderr, "patternbench mock: %s\n", err.msg);
        return -1;
    }
    pb_recorder_set_disk_reserve(*out, p.reserve);
    return 0;
}

/* Apply one option; prints the error and returns nonzero on failure. */
static int apply(pb_mock_config *cfg, const option_arg *o)
{
    pb_err err = {0};
    int rc = pb_mock_config_set(cfg, o->name, o->value, &err);
    char dashed[80];
    snprintf(dashed, sizeof(dashed), "--%s", o->name);
    if (rc == PB_ENOENT)
        pb_usage_unknown_option("mock", usage, dashed);
    else if (rc != 0)
        pb_usage_error("mock", "%s", err.msg);
    return rc;
}

/* Wait for SIGINT or SIGTERM; with a live page, publish the server's
 * counters into it once a second meanwhile (a second from `started` on).
 * 0 once a signal came, -1 if waiting failed. */
static int wait_for_stop(const sigset_t *stop, pb_mock *m, pb_metrics *metrics, pb_usec started)
{
    if (metrics == NULL) {
        int sig;
        return sigwait(stop, &sig) == 0 ? 0 : -1;
    }
    pb_mock_stats *stats = malloc(sizeof(*stats));
    if (stats == NULL)
        return -1;
    /* the page shows the server from its start, before a second has gone by */
    pb_mock_get_stats(m, stats);
    pb_metrics_publish_mock(metrics, pb_mock_url(m), stats, 0);
    int rc = -1;
    for (uint64_t second = 1;; second++) {
        /* the next second on the server's clock, however late the last one was */
        pb_usec next = started + second * PB_USEC_PER_SEC;
        if (next <= pb_monotime_now()) {
            second = (pb_monotime_now() - started) / PB_USEC_PER_SEC + 1;
            next = started + second * PB_USEC_PER_SEC;
        }
        int sig;
        do {
            pb_usec now = pb_monotime_now();
            pb_usec left = next > now ? next - now : 0;
            struct timespec ts = {.tv_sec = (time_t)(left / PB_USEC_PER_SEC),
                                  .tv_nsec = (long)(left % PB_USEC_PER_SEC) * 1000};
            sig = sigtimedwait(stop, NULL, &ts);
        } while (sig < 0 && errno == EINTR);
        if (sig >= 0) {
            rc = 0;
            break;
        }
        if (errno != EAGAIN)
            break;
        pb_mock_get_stats(m, stats);
        pb_metrics_publish_mock(metrics, pb_mock_url(m), stats, pb_monotime_now() - started);
    }
    free(stats);
    return rc;
}

int pb_cmd_mock(int argc, char **argv)
{
    option_arg opts[MAX_OPTIONS];
    char names[MAX_OPTIONS][32];
    pb_mock_config *cfg = NULL;
    pb_mock *m = NULL;
    pb_recorder *rec = NULL;
    pb_server_recording *recording = NULL;
    pb_metrics *metrics = NULL;
    pb_err err = {0};
    sigset_t stop_signals;
    int status = 2;

    int n = parse_args(argc, argv, opts, names);
    if (n == -2) {
        fputs(usage_text, stdout);
        return 0;
    }
    if (n < 0)
        return 2;
    if (pb_mock_config_create(&cfg) != 0) {
        fprintf(stderr, "patternbench mock: out of memory\n");
        return 1;
    }
    /* the token from the environment, unless an option gives one */
    const char *env_token = getenv("PB_ADMIN_TOKEN");
    if (env_token != NULL && env_token[0] != '\0' &&
        pb_mock_config_set(cfg, "admin-token", env_token, &err) != 0) {
        fprintf(stderr, "patternbench mock: PB_ADMIN_TOKEN: %s\n", err.msg);
        goto cleanup;
    }
    /* the profile first, so that the other options refine it whatever their order */
    own_options ro = {.store = {.keep_every = 1}};
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < n; i++) {
            bool own;
            if (pass == 1 && own_option(&opts[i], &ro, &own) != 0)
                goto cleanup;
            if (pass == 1 && own)
                continue;
            if ((strcmp(opts[i].name, "profile") == 0) == (pass == 0) && apply(cfg, &opts[i]) != 0)
                goto cleanup;
        }
    if (ro.db == NULL && ro.store_option != NULL) {
        pb_usage_error("mock", "--%s: says what --db stores; give --db FILE", ro.store_option);
        goto cleanup;
    }
    if (pb_mock_config_check(cfg, &err) != 0) {
        fprintf(stderr, "patternbench mock: %s\n", err.msg);
        goto cleanup;
    }

    /* SIGINT/SIGTERM are taken with sigwait below; the server's threads,
     * created after this, inherit the blocked mask. A shell script starts
     * background jobs with SIGINT ignored, and POSIX leaves it open whether a
     * blocked, ignored signal reaches sigwait: take both back to their
     * default first (blocked, the default action never runs). */
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    if (pthread_sigmask(SIG_BLOCK, &stop_signals, NULL) != 0 ||
        signal(SIGINT, SIG_DFL) == SIG_ERR || signal(SIGTERM, SIG_DFL) == SIG_ERR) {
        fprintf(stderr, "patternbench mock: cannot block SIGINT/SIGTERM\n");
        status = 1;
        goto cleanup;
    }
    raise_fd_limit();
    /* bound before the server starts: a port in use is a usage error, as
     * with run --metrics */
    if (ro.metrics && pb_metrics_start(&ro.metrics_addr, &metrics, &err) != 0) {
        fprintf(stderr, "patternbench mock: %s\n", err.msg);
        fprintf(stderr, "patternbench mock: nothing was started; choose another port for "
                        "--metrics (0 picks a free one)\n");
        goto cleanup;
    }
    if (ro.db != NULL && open_db(ro.db, &ro.store, &rec) != 0) {
        status = 1; /* as `run` with a database it cannot open */
        goto cleanup;
    }
    pb_mock_hooks hooks = {.phase = on_phase, .data = cfg};
    pb_server_run_info info = {.label = ro.label,
                               .mock = cfg,
                               .keep_every = ro.store.keep_every,
                               .rollup_only = ro.store.keep_every == 0,
                               .keep_requests_us = ro.store.keep_requests};
    if (rec != NULL) {
        if (pb_server_recording_create(rec, &info, on_phase, cfg, &recording, &err) != 0) {
            fprintf(stderr, "patternbench mock: %s\n", err.msg);
            status = 1;
            goto cleanup;
        }
        pb_server_recording_hooks(recording, &hooks);
    }
    if (pb_mock_start_hooked(cfg, &hooks, &m, &err) != 0 ||
        (recording != NULL && pb_server_recording_begin(recording, m, &err) != 0)) {
        fprintf(stderr, "patternbench mock: %s\n", err.msg);
        status = 1;
        goto cleanup;
    }
    printf("listening on %s\n", pb_mock_url(m));
    if (recording != NULL)
        printf("recording into %s, run %lld\n", ro.db,
               (long long)pb_server_recording_run_id(recording));
    fflush(stdout);
    fprintf(stderr,
            "mock: try curl -i %s/ ; admin: %s/__admin/stats, %s/__admin/profile, metrics: "
            "%s/metrics ; Ctrl-C stops\n",
            pb_mock_url(m), pb_mock_url(m), pb_mock_url(m), pb_mock_url(m));
    if (metrics != NULL) {
        /* pb_metrics_url names /metrics: the page is its "/" */
        const char *url = pb_metrics_url(metrics);
        fprintf(stderr, "mock: live page at %.*s (the counters at /metrics)\n",
                (int)(strlen(url) - strlen("metrics")), url);
    }
    if (wait_for_stop(&stop_signals, m, metrics, pb_monotime_now()) != 0) {
        fprintf(stderr, "patternbench mock: waiting for SIGINT/SIGTERM failed\n");
        status = 1;
    } else {
        status = 0;
    }
    /* stopped by a signal is how a mock ends: a recorded run is complete */
    pb_mock_stats stats;
    int64_t run_id = recording != NULL ? pb_server_recording_run_id(recording) : 0;
    int end_rc = pb_server_recording_stop(recording, m, "completed", &stats, &err);
    recording = NULL;
    m = NULL;
    if (pb_mock_stats_print(&stats, stdout) != 0) {
        fprintf(stderr, "patternbench mock: cannot write the counters to stdout\n");
        status = 1;
    }
    if (end_rc != 0) {
        fprintf(stderr, "patternbench mock: %s\n", err.msg);
        status = 1;
    } else if (run_id != 0) {
        printf("recorded %llu requests into %s, run %lld\n", (unsigned long long)stats.requests,
               ro.db, (long long)run_id);
    }
cleanup:
    if (m != NULL || recording != NULL) {
        pb_err end_err = {0};
        if (pb_server_recording_stop(recording, m, "failed", NULL, &end_err) != 0)
            fprintf(stderr, "patternbench mock: %s\n", end_err.msg);
    }
    if (rec != NULL && pb_recorder_close(rec, &err) != 0) {
        fprintf(stderr, "patternbench mock: %s\n", err.msg);
        status = 1;
    }
    pb_metrics_stop(metrics);
    pb_mock_config_destroy(cfg);
    return status;
}
