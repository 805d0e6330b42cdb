#include "report.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "charts.h"
#include "gnuplot.h"
#include "html.h"
#include "summary.h"

/* mkdir -p */
static int make_dirs(const char *dir, pb_err *err)
{
    char path[PATH_MAX];
    size_t len = strlen(dir);
    if (len == 0 || len >= sizeof(path))
        return pb_err_set(err, PB_EINVAL, "-o \"%s\": expected a folder path shorter than %d",
                          dir, PATH_MAX);
    memcpy(path, dir, len + 1);
    for (size_t i = 1; i <= len; i++) {
        if (path[i] != '/' && path[i] != '\0')
            continue;
        char saved = path[i];
        path[i] = '\0';
        struct stat st;
        if (mkdir(path, 0755) != 0 && errno != EEXIST)
            return pb_err_set(err, PB_EIO, "-o \"%s\": cannot create %s: %s", dir, path,
                              strerror(errno));
        if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
            return pb_err_set(err, PB_EINVAL, "-o \"%s\": %s exists and is not a folder", dir,
                              path);
        path[i] = saved;
    }
    return 0;
}

static int join(char *out, size_t cap, const char *dir, const char *name, const char *ext,
                pb_err *err)
{
    int w = snprintf(out, cap, "%s/%s%s", dir, name, ext);
    if (w < 0 || (size_t)w >= cap)
        return pb_err_set(err, PB_ERANGE, "%s/%s%s: path too long", dir, name, ext);
    return 0;
}

static bool non_empty(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0;
}

/* Draw the planned charts; `drawn` keeps those whose PNG and SVG now exist. */
static int draw(const char *dir, const pb_charts *planned, int timeout_s, pb_charts *drawn,
                pb_err *err)
{
    memset(drawn, 0, sizeof(*drawn));
    char script[PB_CHARTS_MAX][40];
    const char *scripts[PB_CHARTS_MAX];
    char path[PATH_MAX];
    for (size_t i = 0; i < planned->n; i++) {
        snprintf(script[i], sizeof(script[i]), "%s.gp", planned->items[i].name);
        scripts[i] = script[i];
        /* an image left by an earlier report must not pass for a new one */
        static const char *const exts[] = {".png", ".svg"};
        for (int k = 0; k < 2; k++)
            if (join(path, sizeof(path), dir, planned->items[i].name, exts[k], NULL) == 0 &&
                unlink(path) != 0 && errno != ENOENT)
                return pb_err_set(err, PB_EIO, "%s: cannot replace: %s", path, strerror(errno));
    }
    /* nothing to draw (a run that has not closed a second yet) needs no gnuplot */
    if (planned->n == 0)
        return 0;
    char gnuplot[PATH_MAX];
    int rc = pb_gnuplot_find(gnuplot, sizeof(gnuplot), err);
    if (rc == 0)
        rc = pb_gnuplot_run(gnuplot, dir, scripts, planned->n, timeout_s, err);
    for (size_t i = 0; i < planned->n; i++) {
        char png[PATH_MAX], svg[PATH_MAX];
        if (join(png, sizeof(png), dir, planned->items[i].name, ".png", NULL) == 0 &&
            join(svg, sizeof(svg), dir, planned->items[i].name, ".svg", NULL) == 0 &&
            non_empty(png) && non_empty(svg))
            drawn->items[drawn->n++] = planned->items[i];
    }
    return rc;
}

int pb_report_write(const pb_report_options *opt, pb_report_result *res, pb_err *err)
{
    memset(res, 0, sizeof(*res));
    const char *dir = opt->out_dir != NULL ? opt->out_dir : "report";
    int timeout_s = opt->gnuplot_timeout_s > 0 ? opt->gnuplot_timeout_s : 120;
    pb_report_data *d = NULL;
    pb_charts planned, drawn;
    memset(&drawn, 0, sizeof(drawn));
    char path[PATH_MAX];
    pb_err draw_err = {0};

    /* the database first: a report that cannot be read leaves no empty folder behind */
    const pb_report_source one = {.db_path = opt->db_path, .pick = opt->pick, .id = opt->id};
    const pb_report_source *src = opt->n_sources > 0 ? opt->sources : &one;
    size_t n_src = opt->n_sources > 0 ? opt->n_sources : 1;
    const char *db_path = src[0].db_path;
    int rc = pb_report_data_load_sources(src, n_src, &d, err);
    if (rc == 0)
        rc = make_dirs(dir, err);
    if (rc != 0)
        goto cleanup;
    res->runs = d->n_runs;
    res->is_compare = d->is_compare;
    res->is_cross = d->is_cross;
    res->databases = d->n_databases;
    res->id = d->is_cross ? 0 : d->is_compare ? d->compare_id : d->runs[0].id;

    rc = pb_charts_write(d, dir, &planned, err);
    if (rc != 0)
        goto cleanup;
    /* a chart failure still leaves the numbers and the page to write */
    int draw_rc = draw(dir, &planned, timeout_s, &drawn, &draw_err);
    res->charts = drawn.n;

    rc = join(path, sizeof(path), dir, "summary", ".md", err);
    if (rc == 0)
        rc = pb_summary_write_md(d, db_path, path, err);
    if (rc == 0)
        rc = join(path, sizeof(path), dir, "summary", ".json", err);
    if (rc == 0)
        rc = pb_summary_write_json(d, db_path, &drawn, path, err);
    if (rc == 0)
        rc = join(res->index_path, sizeof(res->index_path), dir, "index", ".html", err);
    if (rc == 0)
        rc = pb_html_write(d, db_path, &drawn,
                           draw_rc != 0 ? draw_err.msg : NULL, res->index_path, err);
    if (rc == 0 && draw_rc != 0) {
        rc = pb_err_set(err, draw_rc, "%s (summary.md, summary.json and index.html with %zu "
                                      "of %zu charts were written to %s)",
                        draw_err.msg, drawn.n, planned.n, dir);
    }

cleanup:
    pb_report_data_destroy(d);
    return rc;
}
