/* Rows per second of the recorder alone, against a bare prepared-statement
 * insert loop in one transaction measured in the same run, and against the
 * 1 M rows/s target; and bytes per request row on disk.
 *
 * usage: bench_recorder [ROWS [DIR [ROUNDS]]]   (defaults: 1000000 . 3) */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "baseline.h"
#include "monotime.h"
#include "reader.h"
#include "recorder.h"
#include "rng.h"
#include "vocabulary.h"

#define TARGET_ROWS_PER_S 1e6
#define MAX_ROUNDS 9

/* A closed-loop run of 64 workers at about 20 000 requests/s against a
 * service answering in a few milliseconds, 5 % 503s, keep-alive connections. */
static pb_request_row *make_rows(size_t n)
{
    pb_request_row *rows = calloc(n, sizeof(*rows));
    if (rows == NULL)
        return NULL;
    pb_rng rng;
    pb_rng_seed(&rng, 42);
    for (size_t i = 0; i < n; i++) {
        pb_request_row *r = &rows[i];
        r->run_id = 1;
        r->t_us = (uint64_t)i * 50 + pb_rng_below(&rng, 50);
        r->connect_us = pb_rng_below(&rng, 1000) == 0 ? 150 + pb_rng_below(&rng, 100) : 0;
        r->ttfb_us = (uint64_t)exp(log(3000.0) + 0.5 * pb_rng_normal(&rng));
        r->total_us = r->ttfb_us + 20 + pb_rng_below(&rng, 200);
        bool fail = pb_rng_below(&rng, 20) == 0;
        r->status = fail ? 503 : 200;
        r->outcome = fail ? PB_OUTCOME_HTTP_ERROR : PB_OUTCOME_OK;
        r->bytes = 150 + (uint32_t)pb_rng_below(&rng, 100);
        r->slot = (uint32_t)(i % 64);
        r->lim = 64;
        r->queue = (uint32_t)pb_rng_below(&rng, 4);
    }
    return rows;
}

static void remove_db(const char *path)
{
    char side[4096];
    unlink(path);
    snprintf(side, sizeof(side), "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof(side), "%s-shm", path);
    unlink(side);
}

/* The reference: the same rows through one prepared INSERT in one transaction,
 * on the same table and pragmas (store/baseline.h). Returns rows per second. */
static double bare_insert(const char *path, const pb_request_row *rows, size_t n)
{
    remove_db(path);
    pb_err err = {0};
    pb_usec elapsed;
    if (pb_baseline_insert(path, rows, n, &elapsed, &err) != 0) {
        fprintf(stderr, "bench_recorder: %s\n", err.msg);
        exit(1);
    }
    return (double)n * 1e6 / (double)elapsed;
}

struct recorder_result {
    double rows_per_s;
    uint64_t stalls, stall_us;
    double file_bytes_per_row, table_bytes_per_row;
};

/* Bytes of the requests table per row, or NAN when SQLite cannot say (no dbstat). */
static double table_bytes_per_row(const char *path, size_t n)
{
    pb_err err = {0};
    pb_reader *rd;
    uint64_t bytes = 0;
    double result = NAN;
    if (pb_reader_open(path, &rd, &err) == 0 &&
        pb_reader_table_bytes(rd, "requests", &bytes, &err) == 0)
        result = (double)bytes / (double)n;
    pb_reader_close(rd);
    return result;
}

/* The recorder: push every row through the public API as the engine would
 * (with a mark at each simulated second) until end_run returns. */
static struct recorder_result recorder_insert(const char *path, const pb_request_row *rows,
                                              size_t n)
{
    remove_db(path);
    pb_err err = {0};
    pb_recorder *rec;
    if (pb_recorder_open(path, 0, &rec, &err) != 0) {
        fprintf(stderr, "bench_recorder: %s\n", err.msg);
        exit(1);
    }
    pb_run_info info = {.pattern = "queue", .label = "bench", .target = "none"};
    int64_t run_id;
    /* a database usually holds earlier runs: ids 0 and 1 would be stored in
     * no bytes and flatter the row size, so measure the second run */
    for (int i = 0; i < 2; i++) {
        if (pb_recorder_begin_run(rec, &info, &run_id, &err) != 0 ||
            (i == 0 && pb_recorder_end_run(rec, run_id, "completed", 0, NULL, &err) != 0)) {
            fprintf(stderr, "bench_recorder: %s\n", err.msg);
            exit(1);
        }
    }
    pb_usec start = pb_monotime_now();
    uint64_t sec = 0;
    for (size_t i = 0; i < n; i++) {
        pb_request_row row = rows[i];
        row.run_id = run_id;
        if (row.t_us / PB_USEC_PER_SEC > sec) {
            pb_second_mark m = {
                .run_id = run_id, .sec = sec, .in_flight = 64, .lim = 64, .phase = -1};
            pb_recorder_second(rec, &m);
            sec++;
        }
        pb_recorder_request(rec, &row);
    }
    if (pb_recorder_end_run(rec, run_id, "completed", rows[n - 1].t_us, NULL, &err) != 0) {
        fprintf(stderr, "bench_recorder: %s\n", err.msg);
        exit(1);
    }
    pb_usec elapsed = pb_monotime_now() - start;
    pb_recorder_stats stats;
    pb_recorder_get_stats(rec, &stats);
    if (pb_recorder_close(rec, &err) != 0) {
        fprintf(stderr, "bench_recorder: %s\n", err.msg);
        exit(1);
    }
    struct recorder_result res = {.rows_per_s = (double)n * 1e6 / (double)elapsed,
                                  .stalls = stats.stalls,
                                  .stall_us = stats.stall_us};
    struct stat sb;
    res.file_bytes_per_row = stat(path, &sb) == 0 ? (double)sb.st_size / (double)n : NAN;
    res.table_bytes_per_row = table_bytes_per_row(path, n);
    return res;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 1000000;
    const char *dir = argc > 2 ? argv[2] : ".";
    int rounds = argc > 3 ? atoi(argv[3]) : 3;
    if (n < 1000 || rounds < 1 || rounds > MAX_ROUNDS) {
        fprintf(stderr, "usage: bench_recorder [ROWS >= 1000 [DIR [ROUNDS 1..%d]]]\n", MAX_ROUNDS);
        return 2;
    }
    char ref_path[4096], rec_path[4096];
    snprintf(ref_path, sizeof(ref_path), "%s/bench-recorder-ref.db", dir);
    snprintf(rec_path, sizeof(rec_path), "%s/bench-recorder.db", dir);
    pb_request_row *rows = make_rows(n);
    if (rows == NULL) {
        fprintf(stderr, "bench_recorder: out of memory for %zu rows\n", n);
        return 1;
    }
    printf("recorder: %zu rows per round, %d rounds, files in %s (provisional figures: the "
           "machine is shared)\n",
           n, rounds, dir);
    double ratios[MAX_ROUNDS], targets[MAX_ROUNDS];
    struct recorder_result last = {0};
    for (int i = 0; i < rounds; i++) {
        /* alternate which goes first so that drift hits both alike */
        double ref;
        if (i % 2 == 0) {
            ref = bare_insert(ref_path, rows, n);
            last = recorder_insert(rec_path, rows, n);
        } else {
            last = recorder_insert(rec_path, rows, n);
            ref = bare_insert(ref_path, rows, n);
        }
        ratios[i] = last.rows_per_s / ref;
        targets[i] = last.rows_per_s / TARGET_ROWS_PER_S;
        printf("round %d: recorder/bare-insert %.2fx, recorder/1M-target %.2fx "
               "(stalls %" PRIu64 ", %.0f ms waited)\n",
               i + 1, ratios[i], targets[i], last.stalls, (double)last.stall_us / 1e3);
    }
    qsort(ratios, (size_t)rounds, sizeof(double), cmp_double);
    qsort(targets, (size_t)rounds, sizeof(double), cmp_double);
    printf("median: recorder/bare-insert %.2fx, recorder/1M-rows-per-s %.2fx\n", ratios[rounds / 2],
           targets[rounds / 2]);
    printf("bytes per request row: %.1f in the requests table (dbstat), %.1f for the whole "
           "file\n",
           last.table_bytes_per_row, last.file_bytes_per_row);
    remove_db(ref_path);
    remove_db(rec_path);
    free(rows);
    return 0;
}
