#include "resume.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "monotime.h"
#include "reader.h"
#include "schema.h"
#include "segment.h"

int pb_resume_parse_spec(const char *spec, const char *what, char **path, int64_t *run_id,
                         pb_err *err)
{
    const char *colon = strrchr(spec, ':');
    size_t len = strlen(spec);
    *run_id = 0;
    if (colon != NULL && colon[1] != '\0' && strspn(colon + 1, "0123456789") == strlen(colon + 1)) {
        char *end;
        long long id = strtoll(colon + 1, &end, 10);
        if (id <= 0 || strlen(colon + 1) > 18)
            return pb_err_set(err, PB_EINVAL, "--resume %s: expected a %s id above 0 after ':'",
                              spec, what);
        *run_id = id;
        len = (size_t)(colon - spec);
    }
    if (len == 0)
        return pb_err_set(err, PB_EINVAL, "--resume %s: expected DB[:%s], a database file", spec,
                          strcmp(what, "run") == 0 ? "RUN" : "COMPARE");
    if ((*path = strndup(spec, len)) == NULL)
        return pb_err_set(err, PB_ENOMEM, "out of memory");
    return 0;
}

/* Sum of a run's first attempts over its seconds. */
static int count_first_attempts(void *data, const pb_second_row *row)
{
    uint64_t *n = data;
    *n += row->count > row->retries ? row->count - row->retries : 0;
    return 0;
}

/* Whether run r of `path` may go on; the reason names both when not. */
static int check_run(const char *path, const pb_store_run *r, pb_err *err)
{
    if (strcmp(r->status, "running") != 0 && strcmp(r->status, "interrupted") != 0)
        return pb_err_set(err, PB_ESTATE,
                          "%s: run %" PRId64 " %s; only a run whose process died (status running "
                          "or interrupted) can be resumed",
                          path, r->id,
                          strcmp(r->status, "completed") == 0 ? "completed"
                          : strcmp(r->status, "failed") == 0  ? "failed"
                          : strcmp(r->status, "aborted") == 0 ? "was aborted by a threshold"
                                                              : "has ended");
    if (strcmp(r->pattern, "mock") == 0)
        return pb_err_set(err, PB_ESTATE,
                          "%s: run %" PRId64 " was recorded on the server's side (mock --db); "
                          "only a run of 'patternbench run' can be resumed",
                          path, r->id);
    return 0;
}

/* Run run_id of path (0: the file's last), lone or of a compare. */
static int prepare(const char *path, int64_t run_id, pb_run_config *cfg, pb_err *err)
{
    pb_reader *rd = NULL;
    pb_store_run *runs = NULL;
    size_t n = 0;
    int64_t compare_id = 0;
    int rc = pb_reader_open(path, &rd, err);
    if (rc == 0 && pb_reader_version(rd) != pb_schema_version())
        rc = pb_err_set(err, PB_EINVAL,
                        "%s: its schema is version %d, another build's (this one writes version "
                        "%d); resume it with the build that recorded it",
                        path, pb_reader_version(rd), pb_schema_version());
    if (rc == 0 && run_id == 0 && (rc = pb_reader_last(rd, &run_id, &compare_id, err)) == PB_ENOENT)
        pb_err_set(err, PB_ENOENT, "%s: holds no run to resume", path);
    if (rc == 0)
        rc = pb_reader_runs(rd, false, run_id, &runs, &n, err);
    if (rc == 0 && n == 0)
        rc = pb_err_set(err, PB_ENOENT, "%s: has no run %" PRId64, path, run_id);
    if (rc == 0)
        rc = check_run(path, &runs[0], err);
    char source[512];
    snprintf(source, sizeof(source), "%s run %" PRId64, path, run_id);
    if (rc == 0)
        rc = pb_run_config_from_json(cfg, runs[0].config_json, source, err);
    pb_store_resume at;
    uint64_t first_attempts = 0;
    if (rc == 0)
        rc = pb_reader_resume_point(rd, run_id, &at, err);
    if (rc == 0)
        rc = pb_reader_seconds(rd, run_id, count_first_attempts, &first_attempts, err);
    if (rc != 0)
        goto done;
    char *db = strdup(path);
    if (db == NULL) {
        rc = pb_err_set(err, PB_ENOMEM, "out of memory");
        goto done;
    }
    free(cfg->db_path);
    cfg->db_path = db;
    cfg->start_at_us = 0;
    pb_run_resume *r = &cfg->resume;
    r->run_id = run_id;
    r->compare_id = runs[0].compare_id;
    r->last_sec = at.span_s > 0 ? at.span_s - 1 : 0;
    /* the schedule goes on after the last second anything was recorded in;
     * run time from the wall clock, so the time the process was down is a gap */
    uint64_t gap = at.gap_s < at.span_s ? at.gap_s : at.span_s;
    r->schedule_at = (at.span_s - gap) * PB_USEC_PER_SEC;
    r->run_at = at.span_s * PB_USEC_PER_SEC;
    int64_t since = runs[0].started_at > 0 ? pb_segment_wall_now() - runs[0].started_at : 0;
    if (since > 0 && (uint64_t)since > r->run_at)
        r->run_at = ((uint64_t)since + PB_USEC_PER_SEC - 1) / PB_USEC_PER_SEC * PB_USEC_PER_SEC;
    /* task numbers go on after the highest recorded; rows --record left out
     * are still counted by the rollup's first attempts */
    r->first_task = at.has_task ? at.last_task + 1 : 0;
    if (first_attempts > r->first_task)
        r->first_task = first_attempts;
    if (cfg->requests > 0 && r->first_task >= cfg->requests)
        rc = pb_err_set(err, PB_ESTATE,
                        "%s: run %" PRId64 " has sent all its %" PRIu64 " tasks; nothing is left "
                        "to run",
                        path, run_id, cfg->requests);
    else if (cfg->duration > 0 && r->schedule_at >= cfg->duration)
        rc = pb_err_set(err, PB_ESTATE,
                        "%s: run %" PRId64 " has recorded its whole duration; nothing is left to "
                        "run",
                        path, run_id);
done:
    for (size_t i = 0; i < n; i++)
        pb_store_run_cleanup(&runs[i]);
    free(runs);
    pb_reader_close(rd);
    return rc;
}

int pb_resume_prepare(const char *spec, pb_run_config *cfg, pb_err *err)
{
    char *path = NULL;
    int64_t run_id = 0;
    int rc = pb_resume_parse_spec(spec, "run", &path, &run_id, err);
    if (rc == 0)
        rc = prepare(path, run_id, cfg, err);
    free(path);
    return rc;
}

int pb_resume_close_compare(pb_recorder *rec, const pb_run_config *cfg, pb_err *err)
{
    if (cfg->resume.compare_id == 0 || rec == NULL)
        return 0;
    static const char *const worst[] = {"failed", "aborted", "interrupted", "completed"};
    const size_t n_worst = sizeof(worst) / sizeof(worst[0]);
    pb_reader *rd = NULL;
    pb_store_run *runs = NULL;
    size_t n = 0, rank = n_worst - 1;
    int rc = pb_reader_open(cfg->db_path, &rd, err);
    if (rc == 0)
        rc = pb_reader_runs(rd, true, cfg->resume.compare_id, &runs, &n, err);
    bool ended = rc == 0 && n > 0;
    for (size_t i = 0; ended && i < n; i++) {
        size_t k = 0;
        while (k < n_worst && strcmp(runs[i].status, worst[k]) != 0)
            k++;
        ended = k < n_worst;
        if (k < rank)
            rank = k;
    }
    for (size_t i = 0; i < n; i++)
        pb_store_run_cleanup(&runs[i]);
    free(runs);
    pb_reader_close(rd);
    if (rc == 0 && ended)
        rc = pb_recorder_end_compare(rec, cfg->resume.compare_id, worst[rank], NULL, err);
    return rc;
}

int pb_resume_prepare_run(const char *path, int64_t run_id, pb_run_config *cfg, pb_err *err)
{
    return prepare(path, run_id, cfg, err);
}
