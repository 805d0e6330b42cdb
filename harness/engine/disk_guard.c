#include "disk_guard.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/statvfs.h>

#include "units.h"

#define GIB (1024.0 * 1024.0 * 1024.0)

/* The folder of path into buf ("." for a bare file name). */
static const char *dir_of(const char *path, char *buf, size_t len)
{
    const char *slash = strrchr(path, '/');
    if (slash == NULL)
        snprintf(buf, len, ".");
    else if (slash == path)
        snprintf(buf, len, "/");
    else
        snprintf(buf, len, "%.*s", (int)(slash - path), path);
    return buf;
}

int pb_disk_project(const pb_run_config *cfg, double done_seconds, double rows, double seconds,
                    pb_disk_projection *out, pb_err *err)
{
    memset(out, 0, sizeof(*out));
    char dir[4096];
    dir_of(cfg->db_path, dir, sizeof(dir));
    struct statvfs fs;
    if (statvfs(dir, &fs) != 0)
        return pb_err_set(err, PB_ESYS, "--db %s: cannot look at the free space of %s: %s",
                          cfg->db_path, dir, strerror(errno));
    if (fs.f_flag & ST_RDONLY)
        return pb_err_set(err, PB_ESYS, "--db %s: %s is on a read-only file system", cfg->db_path,
                          dir);
    double total = (double)fs.f_blocks * (double)fs.f_frsize;
    out->free_bytes = (uint64_t)fs.f_bavail * (uint64_t)fs.f_frsize;
    out->reserve = cfg->disk_reserve > 0         ? cfg->disk_reserve
                   : cfg->disk_reserve_share > 0 ? (uint64_t)(cfg->disk_reserve_share * total)
                   : 0.05 * total > GIB          ? (uint64_t)(0.05 * total)
                                                 : (uint64_t)GIB;
    out->rows_per_sec = seconds > 0.0 ? rows / seconds : 0.0;
    double stored = cfg->keep_every == 0 ? 0.0 : rows / cfg->keep_every;
    /* --keep-requests D: the file holds D's worth of rows at most, SQLite
     * reusing the pages of the deleted ones, so only seconds that widen the
     * window add rows; a run of unknown length keeps them all as the bound */
    if (cfg->keep_requests > 0 && seconds > 0.0) {
        double window = (double)cfg->keep_requests / 1e6;
        double end = done_seconds + seconds;
        double widen =
            (end < window ? end : window) - (done_seconds < window ? done_seconds : window);
        stored *= (widen > 0.0 ? widen : 0.0) / seconds;
    }
    out->projected =
        (uint64_t)(stored * PB_DISK_BYTES_PER_ROW + seconds * PB_DISK_ROLLUP_BYTES_PER_SEC);
    out->fits = out->free_bytes > out->reserve && out->projected <= out->free_bytes - out->reserve;
    return 0;
}

bool pb_disk_planned(const pb_run_config *cfg, double *rows, double *seconds)
{
    double rate = cfg->params.rate;
    for (int i = 0; i < cfg->n_rate_steps; i++)
        if (cfg->rate_steps[i].rate > rate)
            rate = cfg->rate_steps[i].rate;
    /* a ramp of workers is a closed loop: its rate is measured, as any other's */
    if (cfg->stages.n > 0 && !cfg->ramp_workers)
        rate = pb_stages_max(&cfg->stages, cfg->params.rate);
    double duration = (double)cfg->duration / 1e6;
    if (cfg->duration > 0 && rate > 0.0) {
        *rows = rate * duration;
        if (cfg->requests > 0 && (double)cfg->requests < *rows)
            *rows = (double)cfg->requests;
        *seconds = duration;
        return true;
    }
    if (cfg->duration == 0 && cfg->requests > 0) {
        *rows = (double)cfg->requests;
        /* the rollup's share is small beside the rows; an open loop knows its length */
        *seconds = rate > 0.0 ? *rows / rate : 0.0;
        return true;
    }
    return false;
}

int pb_disk_check_planned(const pb_run_config *cfg, pb_err *err)
{
    double rows, seconds;
    if (!pb_disk_planned(cfg, &rows, &seconds))
        return 0;
    pb_disk_projection p;
    int rc = pb_disk_project(cfg, 0.0, rows, seconds, &p, err);
    if (rc == 0 && !p.fits)
        rc = pb_disk_refuse(cfg, &p, err);
    return rc;
}

int pb_disk_refuse(const pb_run_config *cfg, const pb_disk_projection *p, pb_err *err)
{
    char proj[32], free_s[32], reserve[32], given[80], pct[32], window[32], kept[80] = "";
    pb_format_size(p->projected, proj, sizeof(proj));
    pb_format_size(p->free_bytes, free_s, sizeof(free_s));
    pb_format_size(p->reserve, reserve, sizeof(reserve));
    /* the reserve as the user gave it: a share of the disk, or a size (shown
     * in the same powers of 1024 it was read in) */
    if (cfg->disk_reserve_share > 0)
        snprintf(given, sizeof(given), "--disk-reserve %s%%",
                 pb_format_real(cfg->disk_reserve_share * 100, pct, sizeof(pct)));
    else if (cfg->disk_reserve > 0)
        snprintf(given, sizeof(given), "--disk-reserve");
    else
        snprintf(given, sizeof(given), "--disk-reserve's default, the larger of 1G and 5%%");
    if (cfg->keep_requests > 0)
        snprintf(kept, sizeof(kept), ", the last %s of them (--keep-requests)",
                 pb_format_duration(cfg->keep_requests, window, sizeof(window)));
    return pb_err_set(err, PB_EFULL,
                      "--db %s: the run would add about %s (%.0f requests/s, %d bytes per "
                      "stored row%s, plus the per-second rollup) but the disk has %s free, of "
                      "which %s must stay free (%s); record less (--record "
                      "sample:N, --record seconds or --keep-requests D), shorten the run, or "
                      "put --db on a larger disk",
                      cfg->db_path, proj, p->rows_per_sec, PB_DISK_BYTES_PER_ROW, kept, free_s,
                      reserve, given);
}
