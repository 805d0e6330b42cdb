/* What the store keeps: the records the engine hands over (request rows,
 * per-second marks, events' limits) and what it knows of a run as it begins. */
#ifndef PB_ROWS_H
#define PB_ROWS_H

#include <stdbool.h>
#include <stdint.h>

/* One request attempt, as the engine hands it over (times in us from run start).
 * The engine leaves has_seq false; a row recorded on the server's side (the
 * mock's) sets it, with seq the client's X-PB-Seq header (below 2^56). */
typedef struct pb_request_row {
    int64_t run_id;
    uint64_t t_us;    /* intended start */
    uint64_t wait_us; /* actual start - intended start */
    uint64_t connect_us;
    uint64_t ttfb_us;
    uint64_t total_us;
    uint16_t status; /* HTTP status, 0 = none */
    uint8_t outcome; /* pb_outcome */
    uint8_t breaker; /* pb_breaker_state */
    uint16_t attempt;
    bool has_seq; /* seq is stored; false: requests.seq is NULL (placed in what was padding) */
    uint32_t bytes;
    uint32_t slot;
    uint32_t lim;
    uint32_t queue;
    uint64_t seq; /* the client's X-PB-Seq, when has_seq */
    bool has_target;   /* target is stored; false: requests.target is NULL (no --targets) */
    bool has_bytes_in; /* bytes_in is stored; false: requests.bytes_in is NULL (the client's
                          rows) */
    uint32_t target;   /* the --targets entry it sent, 0-based */
    uint64_t bytes_in; /* request body bytes the server received (a server-side row) */
} pb_request_row;

/* The state the engine reports at the end of each second of run time. */
typedef struct pb_second_mark {
    int64_t run_id;
    uint64_t sec; /* the second that just closed */
    uint32_t in_flight, lim, queue;
    uint8_t breaker;
    int phase; /* -1 when there is no mock */
    /* the harness's own figures over the second (NULL in the table unless self_known) */
    bool self_known;
    double cpu_pct;       /* process CPU time / wall time, % of one CPU (200 = two CPUs busy) */
    uint64_t rss_bytes;   /* resident set size at the end of the second */
    uint64_t loop_lag_us; /* p99 of the engine loop's timer lateness in the second */
    uint64_t backlog;     /* records queued for the writer at the end of the second */
    /* --stages: the ramp's mean target over the second, arrivals per second
     * (open loop) or workers (closed loop); NULL in the table unless has_target */
    bool has_target;
    double ramp_target;
    /* nonzero (the first second's mark): the wall clock at the run's t = 0, us
     * since the epoch, which becomes runs.started_at; begin_run's own stamp is
     * earlier by the run's set-up (and a --start-at wait) */
    int64_t clock_wall_us;
} pb_second_mark;

/* What is known of a run when it begins. Strings are copied. */
typedef struct pb_run_info {
    int64_t compare_id; /* 0 = none */
    const char *label, *pattern, *params_json, *config_json, *target;
    uint64_t seed;
    const char *versions_json; /* the libraries' versions, as JSON (may be NULL) */
    const char *host;          /* the machine the run ran on (may be NULL) */
    uint32_t keep_every;       /* request rows stored: 1 (or 0 here) = all, N = one in N; the
                                  rollup counts every row whatever this says */
    bool rollup_only;          /* store no request rows at all: the rollup and events only */
    uint64_t keep_requests_us; /* drop request rows this much older than the newest as the run
                                  goes (the rollup keeps every second); 0 = keep them all */
} pb_run_info;

/* Longest event kind and detail kept; longer ones are cut. */
#define PB_RECORDER_KIND_MAX 23
#define PB_RECORDER_DETAIL_MAX 255

#endif
