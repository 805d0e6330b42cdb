/* A real browser opens the report from disk: headless Chromium loads a copy
 * of index.html with a checking script appended, and the DOM it dumps says
 * whether every image decoded (naturalWidth > 0) and the summary table has a
 * row per run. A screenshot is kept beside the report for people to look at. */
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <spawn.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "fixture.h"
#include "report.h"
#include "test_file.h"

extern char **environ;

#define CHROMIUM "/usr/bin/chromium"

static const char check_script[] =
    "<script>\n"
    "window.addEventListener('load', function () {\n"
    "  var imgs = document.images, ok = 0;\n"
    "  for (var i = 0; i < imgs.length; i++)\n"
    "    if (imgs[i].complete && imgs[i].naturalWidth > 0) ok++;\n"
    "  var t = document.getElementById('summary-table');\n"
    "  var rows = t ? t.tBodies[0].rows.length : -1;\n"
    "  var d = document.createElement('div');\n"
    "  d.id = 'pb-check';\n"
    "  d.textContent = 'RESULT images=' + imgs.length + ' loaded=' + ok + ' rows=' + rows;\n"
    "  document.body.appendChild(d);\n"
    "});\n"
    "</script>\n";

/* Appended to a copy of throughput.svg: collects the hover targets gnuplot
 * wrote (before its own script rewires them on load), then moves the mouse
 * onto one and records the text the SVG shows. */
static const char hover_script[] =
    "<script type=\"text/javascript\"><![CDATA[\n"
    "var pbHover = document.querySelectorAll('g[onmousemove^=\"gnuplot_svg.showHypertext\"]');\n"
    "window.addEventListener('load', function () { setTimeout(function () {\n"
    "  var n = pbHover.length, text = '';\n"
    "  if (n > 0) {\n"
    "    var g = pbHover[Math.min(1, n - 1)], r = g.getBoundingClientRect();\n"
    "    g.dispatchEvent(new MouseEvent('mousemove', {bubbles: true,\n"
    "      clientX: r.x + r.width / 2, clientY: r.y + r.height / 2}));\n"
    "    var h = document.getElementById('hypertext');\n"
    "    text = h ? h.textContent : '(no hypertext element)';\n"
    "  }\n"
    "  var t = document.createElementNS('http://www.w3.org/2000/svg', 'text');\n"
    "  t.setAttribute('id', 'pb-check');\n"
    "  t.textContent = 'HOVER targets=' + n + ' text=' + text.replace(/\\s+/g, ' ') + ' END';\n"
    "  document.documentElement.appendChild(t);\n"
    "}, 200); });\n"
    "]]></script>\n";

/* Run chromium on a file URL with extra flags, bounded by coreutils timeout;
 * stdout into out_path. Returns the exit status. */
static int chromium(const char *dir, const char *profile, const char *url, const char *flag1,
                    const char *flag2, const char *out_path)
{
    char user_data[PATH_MAX + 32];
    snprintf(user_data, sizeof(user_data), "--user-data-dir=%s", profile);
    char *argv[] = {"/usr/bin/timeout", "120", CHROMIUM, "--headless", "--no-sandbox",
                    "--disable-gpu", "--disable-quic", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update",
                    "--disable-sync", "--hide-scrollbars", user_data, (char *)flag1,
                    (char *)flag2, (char *)url, NULL};
    char err_path[PATH_MAX];
    snprintf(err_path, sizeof(err_path), "%s/chromium.log", dir);
    posix_spawn_file_actions_t fa;
    assert_int_equal(posix_spawn_file_actions_init(&fa), 0);
    assert_int_equal(posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0), 0);
    assert_int_equal(posix_spawn_file_actions_addopen(&fa, 1, out_path,
                                                      O_WRONLY | O_CREAT | O_TRUNC, 0644),
                     0);
    assert_int_equal(posix_spawn_file_actions_addopen(&fa, 2, err_path,
                                                      O_WRONLY | O_CREAT | O_APPEND, 0644),
                     0);
    pid_t pid;
    assert_int_equal(posix_spawn(&pid, argv[0], &fa, NULL, argv, environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    return WEXITSTATUS(status);
}

static void chromium_loads_every_image_and_the_summary(void **state)
{
    if (access(CHROMIUM, X_OK) != 0) {
        print_message("chromium is not installed (" CHROMIUM "); run "
                      "scripts/install-deps.sh --test to install it. Skipping.\n");
        skip();
    }
    char dir[PATH_MAX - 64], db_path[PATH_MAX], out[PATH_MAX], profile[PATH_MAX];
    fx_tempdir(dir, sizeof(dir));
    snprintf(db_path, sizeof(db_path), "%s/pb.db", dir);
    snprintf(out, sizeof(out), "%s/report", dir);
    snprintf(profile, sizeof(profile), "%s/profile", dir);
    assert_int_equal(mkdir(profile, 0700), 0);
    sqlite3 *db = fx_create(db_path);
    int64_t cmp = fx_compare(db, "Browser check", "completed", 11);
    const char *patterns[] = {"breaker", "adaptive", "backpressure"};
    for (int i = 0; i < 3; i++) {
        fx_run_spec spec = {.label = patterns[i], .pattern = patterns[i], .status = "completed",
                            .compare_id = cmp, .seconds = 30, .rate = 100, .summary = true,
                            .retries = i == 0, .seed = 21 + (uint64_t)i};
        fx_run(db, &spec, NULL, NULL);
    }
    fx_close(db);
    pb_report_options opt = {.db_path = db_path, .pick = PB_REPORT_COMPARE, .id = cmp,
                             .out_dir = out};
    pb_report_result res;
    pb_err err = {0};
    if (pb_report_write(&opt, &res, &err) != 0)
        fail_msg("report failed: %s", err.msg);
    assert_int_equal(res.charts, 6);

    /* the page under test plus the checking script, in the same folder so that
     * its relative image paths resolve the same way */
    char index[PATH_MAX + 16], check[PATH_MAX + 16];
    snprintf(index, sizeof(index), "%s/index.html", out);
    snprintf(check, sizeof(check), "%s/check.html", out);
    char *html = test_slurp(index, NULL);
    char *body_end = strstr(html, "</body>");
    assert_non_null(body_end);
    FILE *f = fopen(check, "w");
    assert_non_null(f);
    fwrite(html, 1, (size_t)(body_end - html), f);
    fputs(check_script, f);
    fputs(body_end, f);
    assert_int_equal(fclose(f), 0);
    free(html);

    char url[PATH_MAX + 32], dom[PATH_MAX + 16];
    snprintf(url, sizeof(url), "file://%s", check);
    snprintf(dom, sizeof(dom), "%s/dom.html", dir);
    assert_int_equal(chromium(dir, profile, url, "--dump-dom", "--window-size=1280,900", dom),
                     0);
    char *text = test_slurp(dom, NULL);
    const char *result = strstr(text, "RESULT images=6 ");
    if (result == NULL) {
        const char *any = strstr(text, "RESULT");
        fail_msg("chromium did not report six images: %.80s", any != NULL ? any : "(no result)");
    }
    assert_non_null(strstr(result, "images=6 loaded=6 rows=3"));
    free(text);

    /* values on hover: the throughput SVG, opened in the browser, shows the
     * run, the time and the goodput of the point under the mouse, with the
     * script gnuplot put inside it (nothing fetched) */
    char svg[PATH_MAX + 16], hover[PATH_MAX + 16];
    snprintf(svg, sizeof(svg), "%s/throughput.svg", out);
    snprintf(hover, sizeof(hover), "%s/hover.svg", out);
    char *chart = test_slurp(svg, NULL);
    assert_null(strstr(chart, "xlink:href=\"http"));
    assert_null(strstr(chart, "<script type=\"text/javascript\" xlink:href"));
    char *svg_end = strstr(chart, "</svg>");
    assert_non_null(svg_end);
    f = fopen(hover, "w");
    assert_non_null(f);
    fwrite(chart, 1, (size_t)(svg_end - chart), f);
    fputs(hover_script, f);
    fputs(svg_end, f);
    assert_int_equal(fclose(f), 0);
    free(chart);
    snprintf(url, sizeof(url), "file://%s", hover);
    assert_int_equal(chromium(dir, profile, url, "--dump-dom", "--virtual-time-budget=5000", dom),
                     0);
    text = test_slurp(dom, NULL);
    const char *shown = strstr(text, "id=\"pb-check\">HOVER targets=");
    if (shown == NULL || strstr(shown, "targets=0 ") != NULL || strstr(shown, "t = ") == NULL ||
        strstr(shown, " ok/s") == NULL)
        fail_msg("no value shown on hover: %.200s", shown != NULL ? shown : "(no result)");
    free(text);

    /* a screenshot of the page as a person sees it first, kept for review */
    char shot[PATH_MAX + 32], flag[PATH_MAX + 48];
    snprintf(shot, sizeof(shot), "%s/screenshot.png", out);
    snprintf(flag, sizeof(flag), "--screenshot=%s", shot);
    snprintf(url, sizeof(url), "file://%s", index);
    assert_int_equal(chromium(dir, profile, url, flag, "--window-size=1280,2400", dom), 0);
    struct stat st;
    assert_int_equal(stat(shot, &st), 0);
    assert_true(st.st_size > 50000);
    const char *keep = getenv("PB_KEEP_SCREENSHOT");
    if (keep != NULL && keep[0] != '\0')
        assert_int_equal(rename(shot, keep), 0);
    test_rmtree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(chromium_loads_every_image_and_the_summary),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
