/* One pattern run's configuration, as `run` and `compare` build it from flags
 * and scenario entries. */
#ifndef PB_RUN_CONFIG_H
#define PB_RUN_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "errors.h"
#include "mock.h"
#include "monotime.h"
#include "pattern.h"
#include "phases.h"
#include "secrets.h"
#include "segment.h"
#include "stages.h"
#include "status_set.h"
#include "target.h"
#include "targets_file.h"

/* Longest label, in bytes. */
#define PB_RUN_LABEL_MAX 127

/* An open-loop rate change at an offset from run start (scenarios' per-phase load). */
typedef struct pb_rate_step {
    pb_usec at;
    double rate; /* arrivals/s; 0 = closed loop */
} pb_rate_step;

struct pb_run_observer;

/* run --resume: where a run whose process died goes on. Two clocks: the
 * schedule (the mock's phases, --stages, the end of --duration) goes on from
 * where the run's records stop, and run time (requests' t_us, the seconds)
 * from the wall clock since the run began, so that the time the process was
 * down stays a gap between its seconds. */
typedef struct pb_run_resume {
    int64_t run_id;      /* 0 = a new run */
    int64_t compare_id;  /* the compare it belongs to; 0 for a lone run */
    pb_usec schedule_at; /* schedule time this process starts at */
    pb_usec run_at;      /* run time it starts at (whole seconds, >= schedule_at) */
    uint64_t first_task; /* the first task number it sends: after the last recorded one */
    uint64_t last_sec;   /* the last second the run had recorded */
} pb_run_resume;

typedef struct pb_run_config {
    char pattern[32];
    char label[PB_RUN_LABEL_MAX + 1];
    pb_pattern_params params;
    uint64_t params_given;   /* bit i: pattern option i (pb_pattern_param_info) was set */
    char *target_url;        /* NULL = start the built-in mock with `mock` (malloc'd) */
    pb_target request;       /* --method, --header, --body (its URL is target_url's) */
    pb_status_set ok_status; /* --ok-status: statuses whose outcome is ok (2xx) */
    pb_secrets secrets;      /* --secret-header: header values never shown */
    char *cacert;            /* --cacert: CA certificates for https:// (malloc'd; NULL = the
                                system's) */
    bool insecure;           /* --insecure: https:// certificates are not verified */
    char *targets_path;      /* --targets FILE (malloc'd; NULL = the one request above) */
    pb_targets_format targets_format; /* --targets-format (by the file's extension) */
    pb_targets targets;               /* read from targets_path when given */
    bool targets_random;     /* --targets-order random: a seeded draw per task, not in turn */
    pb_mock_config *mock;    /* owned; always present */
    pb_usec duration;        /* 0 = bound by `requests` */
    uint64_t requests;       /* 0 = bound by duration */
    bool duration_set;       /* --duration given: with --requests, both bounds apply */
    pb_usec timeout;         /* per request */
    uint32_t client_threads; /* HTTP client threads; 0 = pick (pb_run_client_threads) */
    uint64_t seed;
    char *db_path; /* malloc'd; default "patternbench.db" */
    bool quiet, json;
    const struct pb_run_observer *observer; /* told how the run goes unless quiet; may be NULL */
    const struct pb_run_observer *monitor;  /* told even when quiet, and once more when the run
                                               has ended (live metrics); may be NULL */
    bool record;                            /* hidden bench switch: false skips the recorder */
    uint32_t keep_every;   /* --record: request rows stored, 1 = all, N = sample:N, 0 = seconds */
    pb_usec keep_requests; /* --keep-requests: drop request rows older than this; 0 = keep */
    uint64_t disk_reserve; /* --disk-reserve bytes; 0 with no share = the default rule (the
                              larger of 1 GiB and 5 % of the disk) */
    double disk_reserve_share; /* --disk-reserve N%: that share of the disk; 0 = bytes */
    char mock_option[32];  /* first mock option given, to refuse it with --target */
    int64_t compare_id;    /* 0 = lone run */
    pb_rate_step rate_steps[PB_MAX_PHASES];
    int n_rate_steps;
    pb_stages stages; /* --stages: a linear ramp of the arrival rate from --rate; sets duration */
    bool ramp_workers; /* --ramp concurrency: the stages are closed-loop workers from
                          --concurrency (0 unless given), not arrivals per second */
    char *thresholds[32]; /* expressions, malloc'd */
    int n_thresholds;
    bool abort_on_fail;       /* --abort-on-fail: every threshold judged live, as with :abort */
    pb_usec abort_delay;      /* --abort-delay: live thresholds are judged from then on */
    pb_usec threshold_window; /* --threshold-window: the trailing seconds they are judged on */
    pb_segment segment;       /* --segment I/N: this process runs segment I (count 0 = whole run) */
    int64_t start_at_us; /* --start-at: wall clock to start at, us since the epoch; 0 = at once */
    pb_run_resume resume; /* run --resume; zeroed for a new run */
} pb_run_config;

/* The value a ramp starts from: --rate, or with --ramp concurrency the
 * --concurrency given (0 when it was not). */
double pb_run_ramp_start(const pb_run_config *cfg);

/* Defaults: queue, concurrency 10, 10 s, timeout 10 s, seed 1, built-in mock,
 * recording to patternbench.db. */
int pb_run_config_init(pb_run_config *cfg) PB_MUST_CHECK;

/* Free what init and set allocated (safe on a zeroed struct). */
void pb_run_config_cleanup(pb_run_config *cfg);

/* Apply one option by long name without dashes ("pattern", "concurrency",
 * "duration", ...; pattern parameters go to pb_pattern_params_set and mock
 * options to pb_mock_config_set). Flags ("quiet", "json", "no-record",
 * "insecure") take NULL or "true"/"false"; "header" and "secret-header" add
 * one each time. PB_ENOENT if no part knows the name. */
int pb_run_config_set(pb_run_config *cfg, const char *name, const char *value,
                      pb_err *err) PB_MUST_CHECK;

/* Check the whole configuration before anything runs: the pattern's
 * parameters, a bound (duration or requests), no mock option with --target,
 * a segment's share of the concurrency and tasks,
 * and no pattern option set that the pattern (or its policy) does not use. */
int pb_run_config_check(const pb_run_config *cfg, pb_err *err) PB_MUST_CHECK;

/* The HTTP client threads a run uses: `asked` if not 0, else one per CPU the
 * process may run on (`cpus`, from uv_available_parallelism: it follows the
 * affinity mask, as taskset and cpusets set it), at most 4, and no more than
 * one per 16 slots, so a small run stays on one thread and pays no hand-offs. */
uint32_t pb_run_client_threads(uint32_t asked, uint32_t slots, long cpus);

/* Most tasks a run may be bounded by: 2^53, so that the count stays exact in
 * JSON readers that hold numbers as doubles (scenario files use it too). */
#define PB_RUN_REQUESTS_MAX (UINT64_C(1) << 53)

/* Largest seed: INT64_MAX, so that it reads back from JSON and SQLite. */
#define PB_RUN_SEED_MAX ((uint64_t)INT64_MAX)

/* The options run and compare share, parsed once so that a bound is worded the
 * same way in both: --requests (1..PB_RUN_REQUESTS_MAX), --duration (above 0),
 * --seed (0..PB_RUN_SEED_MAX), --client-threads (1..PB_LANES_MAX). The message
 * names the option and what was expected. */
int pb_run_parse_requests(const char *value, uint64_t *out, pb_err *err) PB_MUST_CHECK;
int pb_run_parse_duration(const char *value, pb_usec *out, pb_err *err) PB_MUST_CHECK;
int pb_run_parse_seed(const char *value, uint64_t *out, pb_err *err) PB_MUST_CHECK;
int pb_run_parse_client_threads(const char *value, uint32_t *out, pb_err *err) PB_MUST_CHECK;

/* Whether text may name a run (`--label`, a scenario entry's "label"): one
 * rule for both, 1..PB_RUN_LABEL_MAX bytes, no control characters (they
 * would break the progress line, the tables and the report's legends) and no
 * commas (compare --patterns separates labels with them).
 * PB_EINVAL/PB_ERANGE with a message saying what was expected, without the
 * option's name, which the caller puts in front. */
int pb_run_label_check(const char *label, pb_err *err) PB_MUST_CHECK;

/* "all", "sample:N" or "seconds" for a keep_every (as --record takes it), into buf. */
const char *pb_run_record_mode(uint32_t keep_every, char *buf, size_t len);

/* The help lines of the options that describe the requests (run's and
 * compare's), 80 columns wide. */
#define PB_RUN_REQUEST_HELP                                                                        \
    "  --method M           request method (GET)\n"                                                \
    "  --header 'N: V'      add a request header (repeatable)\n"                                   \
    "  --body TEXT|@FILE    request body, the text or the file's bytes, read once\n"               \
    "  --ok-status LIST     statuses counted ok: codes and classes, e.g. 200,204 or\n"             \
    "                       2xx,404 (2xx)\n"                                                       \
    "  --secret-header N    never show this header's values (Authorization, Cookie,\n"             \
    "                       Proxy-Authorization always; repeatable)\n"                             \
    "  --cacert FILE        CA certificates to verify an https:// target with\n"                   \
    "  --insecure           do not verify an https:// target's certificate\n"                      \
    "  --targets FILE       many requests, used in turn: Vegeta's format (METHOD URL,\n"           \
    "                       headers, @BODY; a blank line between) or JSONL; a URL may\n"           \
    "                       be a path on --target's (the mock's) server\n"                         \
    "  --targets-format F   vegeta or jsonl (by extension: .jsonl and .json are\n"                  \
    "                       jsonl)\n"                                                          \
    "  --targets-order O    round-robin (task N takes target N mod the count) or\n"                \
    "                       random (a draw of the run's seed per task)\n"

/* The target task `task` sends (round-robin or a seeded draw); 0 without --targets. */
uint32_t pb_run_target_of(const pb_run_config *cfg, uint64_t task);

/* Whether a flag of run_config_set (it takes no value on the command line). */
bool pb_run_config_is_flag(const char *name);

/* Effective configuration as JSON (malloc'd), stored in runs.config_json: the
 * whole run's (a segment's share is not in it), plus "segment" {index, count}
 * and "start_at_us" when given. Secrets stay out: a secret header's value is
 * "<redacted>" (pb_secrets), a password in the URL too, and of a body only its
 * size and file are kept. */
char *pb_run_config_to_json(const pb_run_config *cfg);

/* Rebuild cfg (fresh from pb_run_config_init) from the JSON that
 * pb_run_config_to_json wrote for a run, as run --resume does: the same
 * options set the same way, files (--body @FILE, --targets, --cacert) read
 * again. What the JSON does not hold is refused with PB_EINVAL naming
 * `source`: a secret header's or password's value, an inline body, a
 * segment. The result gives back the same JSON (start_at_us aside), or
 * PB_EINVAL says which file changed. */
int pb_run_config_from_json(pb_run_config *cfg, const char *json, const char *source,
                            pb_err *err) PB_MUST_CHECK;

#endif
