/* run --resume DB[:RUN]: continue a run whose process died, as the same run
 * with the configuration it was started with. */
#ifndef PB_RESUME_H
#define PB_RESUME_H

#include "errors.h"
#include "recorder.h"
#include "run_config.h"

/* Read `spec` (a database file, optionally ":RUN"; without it the file's last
 * run), check that the run can go on, and rebuild cfg (fresh from
 * pb_run_config_init) from it: its stored configuration, db_path the file,
 * and cfg->resume where it stands. Refused with PB_EINVAL / PB_ENOENT /
 * PB_ESTATE and a message naming the file and the run: a file that is
 * missing or not a database, of another schema version than this build's,
 * a run that is not there, one that completed, failed or was aborted, a
 * server-side recording, or one with nothing left to run. A run of a compare
 * goes on alone: the compare's other entries are not run. */
int pb_resume_prepare(const char *spec, pb_run_config *cfg, pb_err *err) PB_MUST_CHECK;

/* After a resumed run of a compare has ended: when every run of the compare
 * has ended, end the compare too, with the worst of their statuses (failed,
 * aborted, interrupted, completed); the compare's thresholds are not judged
 * again (each run's are in its summary). Nothing for a lone run. */
int pb_resume_close_compare(pb_recorder *rec, const pb_run_config *cfg, pb_err *err) PB_MUST_CHECK;

/* The same for run run_id of the database `path` (compare --resume decides
 * which of its runs goes on). */
int pb_resume_prepare_run(const char *path, int64_t run_id, pb_run_config *cfg,
                          pb_err *err) PB_MUST_CHECK;

/* DB[:ID] into a path (malloc'd) and an id (0 = none given); a ':' followed
 * by digits only names the id, so a path may hold colons. `what` ("run",
 * "compare") names the id in messages. */
int pb_resume_parse_spec(const char *spec, const char *what, char **path, int64_t *id,
                         pb_err *err) PB_MUST_CHECK;

#endif
