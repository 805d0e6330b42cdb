/* run --resume DB[:RUN]: continue a run whose process died, as the same run
 * with the configuration it was started with. */
#ifndef PB_RESUME_H
#define PB_RESUME_H

#include "errors.h"
#include "run_config.h"

/* Read `spec` (a database file, optionally ":RUN"; without it the file's last
 * run), check that the run can go on, and rebuild cfg (fresh from
 * pb_run_config_init) from it: its stored configuration, db_path the file,
 * and cfg->resume where it stands. Refused with PB_EINVAL / PB_ENOENT /
 * PB_ESTATE and a message naming the file and the run: a file that is
 * missing or not a database, of another schema version than this build's,
 * a run that is not there, one that completed, failed or was aborted, one of
 * a compare or a server-side recording, or one with nothing left to run. */
int pb_resume_prepare(const char *spec, pb_run_config *cfg, pb_err *err) PB_MUST_CHECK;

#endif
