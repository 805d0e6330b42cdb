/* `patternbench run` as a user runs it (the binary from PB_BINARY): usage
 * errors, --json, and signals. Signal tests give the child a terminal
 * (forkpty) so that it prints a progress line every second, and synchronise
 * on those lines, never on sleeps. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "monotime.h"
#include "pb_child.h"
#include "registry.h"
#include "scratch_db.h"
#include "test_file.h"
#include "test_sql.h"
#include "units.h"

/* How long a run given here may take to end once started. */
#define FINISH_MS 60000

/* Start `patternbench COMMAND ARGS...`; stderr on a terminal when tty is true;
 * with fsize > 0 the child may write no file larger than that many bytes (a
 * full disk, without needing one). */
static void spawn_command(pb_child *ch, bool tty, const char *command, const char *const *args,
                          rlim_t fsize)
{
    const char *argv[64] = {command};
    int n = 1;
    for (int i = 0; args[i] != NULL && n < 63; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    pb_child_spawn(ch, argv, &(pb_child_options){.tty = tty, .max_file_size = fsize});
}

/* Start `patternbench run ARGS...`. */
static void spawn(pb_child *ch, bool tty, const char *const *args)
{
    spawn_command(ch, tty, "run", args, 0);
}

static json_t *summary_json(const pb_child *ch)
{
    json_error_t jerr;
    json_t *j = json_loads(ch->out, 0, &jerr);
    if (j == NULL)
        fail_msg("stdout is not one JSON object (%s): %s", jerr.text, ch->out);
    return j;
}

static int64_t jint(json_t *j, const char *key)
{
    json_t *v = json_object_get(j, key);
    if (!json_is_integer(v))
        fail_msg("summary has no integer \"%s\"", key);
    return json_integer_value(v);
}

static void bad_flags_exit_2_with_a_message_naming_them(void **state)
{
    scratch_db *c = *state;
    static const struct {
        const char *args[8];
        const char *says[2];
    } cases[] = {
        {{"--concurrency", "ten"}, {"--concurrency", "ten"}},
        {{"--concurrency", "0"}, {"--concurrency", NULL}},
        {{"--duration", "10"}, {"--duration", NULL}},
        {{"--duration"}, {"--duration", "expected a value"}},
        {{"--requests", "0"}, {"--requests", NULL}},
        {{"--timeout", "fast"}, {"--timeout", NULL}},
        {{"--client-threads", "0"}, {"--client-threads", "from 1 to 64"}},
        {{"--client-threads", "65"}, {"--client-threads", "65"}},
        {{"--pattern", "nope"}, {"--pattern", "breaker"}},
        {{"--bogus", "1"}, {"--bogus", NULL}},
        {{"--target", "ftp://example.com/"}, {"--target", "http://"}},
        {{"--errors", "503:2"}, {"--errors", NULL}},
        {{"--target", "http://127.0.0.1:9/", "--latency", "fixed:1ms"}, {"--latency", "--target"}},
        {{"--breaker-policy", "sometimes"}, {"breaker-policy", NULL}},
        {{"--quiet=maybe"}, {"--quiet", NULL}},
        {{"--label", "two\nlines"}, {"--label", "control characters"}},
        /* text stored as JSON must be UTF-8 (was "out of memory describing the run") */
        {{"--label", "\xff"}, {"--label", "expected UTF-8 text"}},
        {{"--header", "X-A: \xc3("}, {"--header", "expected UTF-8 text"}},
        {{"stray"}, {"stray", NULL}},
        /* the built-in mock beyond loopback with its admin API open, as `mock` */
        {{"--requests", "5", "--listen", "0.0.0.0:0"}, {"--listen 0.0.0.0:0", "--admin off"}},
        /* a parameter the chosen pattern does not read is refused, not ignored */
        {{"--pattern", "queue", "--failure-threshold", "3"}, {"--failure-threshold", "queue"}},
        {{"--pattern", "queue", "--queue-size", "10"}, {"--queue-size", "queue"}},
        {{"--pattern", "breaker", "--min-limit", "3"}, {"--min-limit", "breaker"}},
        {{"--pattern", "adaptive", "--backoff-ratio", "0.8"},
         {"--backoff-ratio", "adaptive-policy corrected"}},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *args[12] = {"--db", c->db};
        int n = 2;
        for (int k = 0; cases[i].args[k] != NULL; k++)
            args[n++] = cases[i].args[k];
        args[n] = NULL;
        pb_child ch;
        spawn(&ch, false, args);
        pb_child_finish(&ch, FINISH_MS);
        if (pb_child_exit_code(&ch) != 2 || strstr(ch.err, cases[i].says[0]) == NULL ||
            (cases[i].says[1] != NULL && strstr(ch.err, cases[i].says[1]) == NULL))
            fail_msg("case %zu (%s %s): exit %d, stderr: %s", i, cases[i].args[0],
                     cases[i].args[1] ? cases[i].args[1] : "", pb_child_exit_code(&ch), ch.err);
        assert_int_equal(ch.out_len, 0);
        pb_child_cleanup(&ch);
        /* refused before anything ran: no database was created */
        struct stat st;
        assert_int_equal(stat(c->db, &st), -1);
    }
}

/* Every subcommand words a mistake the same way: the input, what was
 * expected, and where the options are listed; the same bound in the same
 * words wherever it is checked. */
static void every_subcommand_refuses_a_mistake_in_one_voice(void **state)
{
    scratch_db *c = *state;
    static const struct {
        const char *command;
        const char *args[4];
        const char *says;
    } cases[] = {
        {"run",
         {"--duraton", "3s"},
         "patternbench run: --duraton: unknown option; did you mean --duration?\n"},
        {"run", {"--zzzzzz", "3s"}, "patternbench run: --zzzzzz: unknown option\n"},
        {"mock", {"--bogus"}, "patternbench mock: --bogus: unknown option\n"},
        {"compare", {"x.json", "--bogus"}, "patternbench compare: --bogus: unknown option\n"},
        {"report", {"x.db", "--quiet"}, "patternbench report: --quiet: unknown option\n"},
        {"export", {"x.db", "--quiet"}, "patternbench export: --quiet: unknown option\n"},
        {"merge", {"out.db", "--quiet"}, "patternbench merge: --quiet: unknown option\n"},
        {"reproduce", {"--quiet"}, "patternbench reproduce: --quiet: unknown option; did you mean --quick?\n"},
        {"run",
         {"--requests", "-1"},
         "patternbench run: --requests: expected a whole number from 1 to 9007199254740992, "
         "got \"-1\"\n"},
        {"compare",
         {"x.json", "--requests", "0"},
         "patternbench compare: --requests: expected a whole number from 1 to "
         "9007199254740992, got \"0\"\n"},
        {"run", {"--seed", "x"}, "--seed: expected a whole number from 0 to 9223372036854775807"},
        {"compare",
         {"x.json", "--seed", "x"},
         "--seed: expected a whole number from 0 to 9223372036854775807"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *args[8] = {"--db", c->db};
        int n = cases[i].args[0] != NULL && strcmp(cases[i].command, "run") == 0 ? 2 : 0;
        for (int k = 0; cases[i].args[k] != NULL; k++)
            args[n++] = cases[i].args[k];
        args[n] = NULL;
        pb_child ch;
        spawn_command(&ch, false, cases[i].command, args, 0);
        pb_child_finish(&ch, FINISH_MS);
        char hint[64];
        snprintf(hint, sizeof(hint), "\nsee 'patternbench %s --help'\n", cases[i].command);
        if (pb_child_exit_code(&ch) != 2 || strstr(ch.err, cases[i].says) == NULL ||
            strstr(ch.err, hint) == NULL)
            fail_msg("case %zu (%s): exit %d, stderr: %s", i, cases[i].command,
                     pb_child_exit_code(&ch), ch.err);
        assert_int_equal(ch.out_len, 0);
        pb_child_cleanup(&ch);
    }
}

static void help_lists_every_option_with_its_default(void **state)
{
    const char *args[] = {"--help", NULL};
    pb_child ch;
    spawn(&ch, false, args);
    pb_child_finish(&ch, FINISH_MS);
    assert_int_equal(pb_child_exit_code(&ch), 0);
    const char *expect[] = {"--pattern",
                            "--target",
                            "--duration",
                            "--requests",
                            "--timeout",
                            "--db",
                            "--json",
                            "--failure-threshold",
                            "--recovery-timeout",
                            "--queue-size",
                            "--adaptive-policy",
                            "--latency",
                            "--errors",
                            "default 10"};
    for (size_t i = 0; i < sizeof(expect) / sizeof(expect[0]); i++)
        if (strstr(ch.out, expect[i]) == NULL)
            fail_msg("--help does not mention %s", expect[i]);
    pb_child_cleanup(&ch);
}

/* One way to ask for help everywhere: -h and --help on every subcommand and
 * `patternbench help CMD` print the same text on stdout with exit 0, and it
 * gives the exit statuses; a mistyped subcommand gets the closest one
 * suggested, exit 2. */
static void help_is_asked_for_the_same_way_everywhere(void **state)
{
    (void)state;
    static const char *const commands[] = {"run",    "mock",  "compare",  "report",
                                           "export", "merge", "reproduce"};
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        char *text[3];
        const char *const forms[3][3] = {{commands[i], "--help", NULL},
                                         {commands[i], "-h", NULL},
                                         {"help", commands[i], NULL}};
        for (int f = 0; f < 3; f++) {
            pb_child ch;
            int status = pb_child_run(&ch, forms[f], NULL, FINISH_MS);
            if (status != 0 || strncmp(ch.out, "usage: patternbench ", 20) != 0)
                fail_msg("%s %s: exit %d, stdout: %.80s, stderr: %s", forms[f][0], forms[f][1],
                         status, ch.out, ch.err);
            text[f] = strdup(ch.out);
            pb_child_cleanup(&ch);
        }
        assert_string_equal(text[0], text[1]);
        assert_string_equal(text[0], text[2]);
        if (strstr(text[0], "xit status") == NULL)
            fail_msg("%s --help gives no exit statuses", commands[i]);
        for (int f = 0; f < 3; f++)
            free(text[f]);
    }
    const char *typo[] = {"reprot", "x.db", NULL};
    pb_child ch;
    assert_int_equal(pb_child_run(&ch, typo, NULL, FINISH_MS), 2);
    assert_non_null(strstr(ch.err, "patternbench: reprot: unknown command; did you mean \"report\"?"));
    pb_child_cleanup(&ch);
}

/* mock --listen on a port in use names the address and the reason, not the
 * port 0 libmicrohttpd was handed. */
static void a_busy_port_is_named_by_its_address(void **state)
{
    (void)state;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(fd, 1), 0);
    socklen_t len = sizeof(a);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    char listen_at[32], want[96];
    snprintf(listen_at, sizeof(listen_at), "127.0.0.1:%u", (unsigned)ntohs(a.sin_port));
    snprintf(want, sizeof(want), "cannot listen on %s: Address already in use", listen_at);
    const char *args[] = {"mock", "--listen", listen_at, NULL};
    pb_child ch;
    assert_int_not_equal(pb_child_run(&ch, args, NULL, FINISH_MS), 0);
    if (strstr(ch.err, want) == NULL || strstr(ch.err, "port 0") != NULL)
        fail_msg("stderr: %s", ch.err);
    pb_child_cleanup(&ch);
    close(fd);
}

/* Whatever the registry holds is what a user is offered and can run: every
 * registered name is on run --help's --pattern line, runs under --pattern
 * (recorded under its name), and is listed when the name given is unknown. */
static void every_registered_pattern_is_offered_and_runs(void **state)
{
    scratch_db *c = *state;
    const pb_pattern_ops *const *all = pb_pattern_list();
    const char *help_args[] = {"--help", NULL};
    pb_child ch;
    spawn(&ch, false, help_args);
    pb_child_finish(&ch, FINISH_MS);
    assert_int_equal(pb_child_exit_code(&ch), 0);
    const char *from = strstr(ch.out, "  --pattern NAME");
    const char *to = strstr(ch.out, "  --target URL");
    assert_non_null(from);
    assert_non_null(to);
    char line[1024];
    snprintf(line, sizeof(line), "%.*s", (int)(to - from), from);
    for (size_t i = 0; all[i] != NULL; i++)
        if (strstr(line, all[i]->name) == NULL)
            fail_msg("run --help's --pattern line does not offer %s:\n%s", all[i]->name, line);
    pb_child_cleanup(&ch);

    for (size_t i = 0; all[i] != NULL; i++) {
        const char *args[] = {"--db", c->db,           "--pattern", all[i]->name, "--requests",
                              "20",   "--concurrency", "2",         "--quiet",    NULL};
        spawn(&ch, false, args);
        pb_child_finish(&ch, FINISH_MS);
        if (pb_child_exit_code(&ch) != 0)
            fail_msg("run --pattern %s: exit %d, stderr: %s", all[i]->name, pb_child_exit_code(&ch),
                     ch.err);
        pb_child_cleanup(&ch);
        char *recorded = test_db_text(c->db, "select pattern from runs order by id desc limit 1");
        assert_string_equal(recorded, all[i]->name);
        free(recorded);
    }

    const char *bad[] = {"--db", c->db, "--pattern", "bulkhead", NULL};
    spawn(&ch, false, bad);
    pb_child_finish(&ch, FINISH_MS);
    assert_int_equal(pb_child_exit_code(&ch), 2);
    for (size_t i = 0; all[i] != NULL; i++)
        if (strstr(ch.err, all[i]->name) == NULL)
            fail_msg("--pattern bulkhead: the error does not list %s: %s", all[i]->name, ch.err);
    pb_child_cleanup(&ch);
}

static void json_summary_matches_the_database(void **state)
{
    scratch_db *c = *state;
    const char *args[] = {"--db",          c->db,     "--requests", "300",
                          "--concurrency", "6",       "--errors",   "503:0.2",
                          "--json",        "--quiet", NULL};
    pb_child ch;
    spawn(&ch, false, args);
    pb_child_finish(&ch, FINISH_MS);
    assert_int_equal(pb_child_exit_code(&ch), 0);
    json_t *j = summary_json(&ch);
    assert_int_equal(jint(j, "requests"), 300);
    assert_string_equal(json_string_value(json_object_get(j, "run_status")), "completed");
    assert_int_equal(test_db_int(c->db, "select count(*) from requests"), 300);
    json_t *server = json_object_get(j, "server");
    assert_non_null(server);
    assert_int_equal(jint(server, "requests"), jint(j, "network") + jint(j, "resent"));
    assert_int_equal(jint(server, "errors"), jint(json_object_get(j, "outcomes"), "http_error"));
    char *status = test_db_text(c->db, "select status from runs");
    assert_string_equal(status, "completed");
    free(status);
    /* --quiet: nothing on stderr */
    assert_int_equal(ch.err_len, 0);
    json_decref(j);
    pb_child_cleanup(&ch);
}

/* Every number in text with a point or an exponent has no more significant
 * digits than it needs to read back as the same double: with 16 or 17, one
 * fewer would not do (jansson's default wrote 0.1 as 0.10000000000000001).
 * Returns how many such numbers there were. */
static int assert_reals_carry_their_precision(const char *what, const char *text)
{
    int reals = 0;
    for (const char *p = text; *p != '\0';) {
        size_t n = strspn(p, "0123456789.eE+-");
        if (n == 0) {
            p++;
            continue;
        }
        size_t mantissa = strcspn(p, "eE");
        mantissa = mantissa < n ? mantissa : n;
        if (memchr(p, '.', n) != NULL || mantissa < n) {
            reals++;
            int digits = 0;
            bool leading = true;
            for (size_t i = 0; i < mantissa; i++) {
                if (p[i] >= '1' && p[i] <= '9')
                    leading = false;
                if (p[i] >= '0' && p[i] <= '9' && !leading)
                    digits++;
            }
            double v = strtod(p, NULL);
            char fewer[400];
            snprintf(fewer, sizeof(fewer), "%.*g", digits - 1, v);
            if (digits > 15 && strtod(fewer, NULL) == v)
                fail_msg("%s: %.*s has %d digits where %s reads back the same", what, (int)n, p,
                         digits, fewer);
        }
        p += n;
    }
    return reals;
}

/* The JSON a run writes (--json, and the summary and configuration it stores)
 * and the report's summary.json print each real in the fewest digits that
 * read back: an error rate of 39 in 400 is 0.0975, and integers stay integers. */
static void json_reals_print_the_digits_they_carry(void **state)
{
    scratch_db *c = *state;
    const char *args[] = {"--db",   c->db,     "--requests", "400", "--errors", "503:0.1",
                          "--json", "--quiet", "--seed",     "3",   NULL};
    pb_child ch;
    spawn(&ch, false, args);
    pb_child_finish(&ch, FINISH_MS);
    assert_int_equal(pb_child_exit_code(&ch), 0);
    json_t *j = summary_json(&ch);
    int64_t failed = jint(j, "failed");
    assert_true(failed > 0 && failed < 400);
    /* failed/400 has at most five significant digits */
    char want[64];
    snprintf(want, sizeof(want), "\"error_rate\":%.5g", (double)failed / 400);
    assert_true(strtod(want + strlen("\"error_rate\":"), NULL) == (double)failed / 400);
    if (strstr(ch.out, want) == NULL)
        fail_msg("run --json does not say %s: %s", want, ch.out);
    assert_true(json_is_real(json_object_get(j, "error_rate")));
    assert_true(json_is_integer(json_object_get(j, "requests")));
    assert_true(assert_reals_carry_their_precision("run --json", ch.out) > 5);
    json_decref(j);
    pb_child_cleanup(&ch);

    char *summary = test_db_text(c->db, "select summary_json from runs");
    assert_non_null(strstr(summary, want));
    assert_true(assert_reals_carry_their_precision("runs.summary_json", summary) > 5);
    free(summary);
    char *config = test_db_text(c->db, "select config_json from runs");
    assert_non_null(strstr(config, "\"errors\":\"503:0.1\""));
    assert_reals_carry_their_precision("runs.config_json", config);
    free(config);

    char out[256];
    snprintf(out, sizeof(out), "%s/report", c->dir);
    const char *report[] = {c->db, "-o", out, NULL};
    spawn_command(&ch, false, "report", report, 0);
    pb_child_finish(&ch, FINISH_MS);
    assert_int_equal(pb_child_exit_code(&ch), 0);
    pb_child_cleanup(&ch);
    char path[300];
    snprintf(path, sizeof(path), "%s/summary.json", out);
    char *text = test_slurp(path, NULL);
    assert_true(assert_reals_carry_their_precision("summary.json", text) > 5);
    free(text);
    test_rmtree(out);
}

/* The semaphore under --on-error propagate against the built-in mock: the
 * results its gathers never handed over, which the summary counts, are in
 * the per-second rollup too, second by second as its `lost` events say;
 * under isolate there are none. */
static void propagate_run_rolls_up_its_lost_results(void **state)
{
    scratch_db *c = *state;
    const char *args[] = {"--db",       c->db,     "--pattern", "semaphore",     "--on-error",
                          "propagate",  "--batch", "20",        "--concurrency", "8",
                          "--requests", "3000",    "--errors",  "503:0.05",      "--json",
                          "--quiet",    NULL};
    pb_child ch;
    spawn(&ch, false, args);
    pb_child_finish(&ch, FINISH_MS);
    assert_int_equal(pb_child_exit_code(&ch), 0);
    json_t *j = summary_json(&ch);
    json_t *pattern = json_object_get(j, "pattern");
    int64_t lost = jint(pattern, "lost"), cascaded = jint(pattern, "cascaded");
    /* 5 % errors in batches of 20: most batches raise */
    assert_true(lost > 1000);
    assert_true(cascaded > 0 && cascaded < lost);
    assert_int_equal(test_db_int(c->db, "SELECT sum(lost) FROM seconds"), lost);
    assert_int_equal(test_db_int(c->db, "SELECT sum(cascaded) FROM seconds"), cascaded);
    assert_int_equal(
        test_db_int(c->db, "SELECT count(*) FROM (SELECT t_us / 1000000 AS sec, sum(to_val) AS n"
                           " FROM events WHERE kind = 'lost' GROUP BY sec) AS e JOIN seconds AS"
                           " s USING (sec) WHERE s.lost <> e.n"),
        0);
    /* each row keeps its task number, the X-PB-Seq it sent: none without, none skipped */
    assert_int_equal(test_db_int(c->db, "SELECT count(*) FROM requests WHERE seq IS NULL"), 0);
    assert_int_equal(test_db_int(c->db, "SELECT count(DISTINCT seq) FROM requests"),
                     test_db_int(c->db, "SELECT max(seq) + 1 FROM requests"));
    json_decref(j);
    pb_child_cleanup(&ch);

    const char *isolate[] = {"--db",       c->db, "--pattern", "semaphore", "--batch", "20",
                             "--requests", "600", "--errors",  "503:0.05",  "--quiet", NULL};
    spawn(&ch, false, isolate);
    pb_child_finish(&ch, FINISH_MS);
    assert_int_equal(pb_child_exit_code(&ch), 0);
    assert_int_equal(
        test_db_int(c->db, "SELECT sum(lost) + sum(cascaded) FROM seconds WHERE run_id = 2"), 0);
    pb_child_cleanup(&ch);
}

/* A target where nothing listens: the port is held by a socket that never
 * listens, so every connect is refused. The run is recorded, but it measured
 * nothing: exit 1, a plain sentence, and no latency from refused connects. */
static void a_target_that_never_answers_fails_the_run(void **state)
{
    scratch_db *c = *state;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof(a);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
    char url[64];
    snprintf(url, sizeof(url), "http://127.0.0.1:%u/", (unsigned)ntohs(a.sin_port));
    const char *args[] = {"--db",          c->db, "--target", url,       "--requests", "200",
                          "--concurrency", "4",   "--json",   "--quiet", NULL};
    pb_child ch;
    spawn(&ch, false, args);
    pb_child_finish(&ch, FINISH_MS);
    close(fd);
    assert_int_equal(pb_child_exit_code(&ch), 1);
    char says[256];
    snprintf(says, sizeof(says),
             "patternbench run: no request got an answer from %s: 200 connect_error", url);
    if (strstr(ch.err, says) == NULL)
        fail_msg("stderr does not say \"%s\": %s", says, ch.err);
    json_t *j = summary_json(&ch);
    assert_int_equal(jint(j, "network"), 200);
    assert_int_equal(jint(j, "answered"), 0);
    assert_int_equal(json_object_size(json_object_get(j, "latency_us")), 0);
    json_decref(j);
    pb_child_cleanup(&ch);
    char *status = test_db_text(c->db, "select status from runs");
    assert_string_equal(status, "completed");
    free(status);

    /* the table says it too, and shows no percentile */
    const char *table[] = {"--db", c->db, "--target", url, "--requests", "50", "--quiet", NULL};
    fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    spawn(&ch, false, table);
    pb_child_finish(&ch, FINISH_MS);
    close(fd);
    assert_int_equal(pb_child_exit_code(&ch), 1);
    assert_non_null(strstr(ch.out, "latency     none: no request got an answer"));
    assert_null(strstr(ch.out, "p50"));
    pb_child_cleanup(&ch);
}

static int count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    return n;
}

/* A --db that cannot be written says why, as the system puts it, not
 * SQLite's "unable to open database file"; a disk that fills up mid-run is
 * reported once. */
static void a_database_that_cannot_be_written_says_why_once(void **state)
{
    scratch_db *c = *state;
    char missing[256], ro[128], ro_db[160];
    snprintf(missing, sizeof(missing), "%s/no-such-folder/x.db", c->dir);
    static const struct {
        int which;
        const char *says;
    } cases[] = {{0, "the folder "}, {1, ": Is a directory"}};
    for (size_t i = 0; i < 2; i++) {
        const char *db = cases[i].which == 0 ? missing : c->dir;
        const char *args[] = {"--db", db, "--requests", "10", "--quiet", NULL};
        pb_child ch;
        spawn(&ch, false, args);
        pb_child_finish(&ch, FINISH_MS);
        assert_int_equal(pb_child_exit_code(&ch), 1);
        if (strstr(ch.err, cases[i].says) == NULL || strstr(ch.err, "unable to open") != NULL)
            fail_msg("--db %s: %s", db, ch.err);
        pb_child_cleanup(&ch);
    }
    /* a read-only file system, where one can be mounted (root) */
    snprintf(ro, sizeof(ro), "%s/ro", c->dir);
    snprintf(ro_db, sizeof(ro_db), "%s/x.db", ro);
    if (mkdir(ro, 0700) == 0 && mount("tmpfs", ro, "tmpfs", MS_RDONLY, "size=64k") == 0) {
        const char *args[] = {"--db", ro_db, "--requests", "10", "--quiet", NULL};
        pb_child ch;
        spawn(&ch, false, args);
        pb_child_finish(&ch, FINISH_MS);
        umount(ro);
        assert_int_equal(pb_child_exit_code(&ch), 1);
        if (strstr(ch.err, "Read-only file system") == NULL)
            fail_msg("--db on a read-only file system: %s", ch.err);
        pb_child_cleanup(&ch);
    } else {
        print_message("(not root: the read-only file system case is skipped)\n");
    }
    rmdir(ro);

    /* the database outgrows what the process may write: said once, exit 1 */
    const char *args[] = {"--db",          c->db, "--requests", "400000",
                          "--concurrency", "16",  "--quiet",    NULL};
    pb_child ch;
    spawn_command(&ch, false, "run", args, 256 * 1024);
    pb_child_finish(&ch, FINISH_MS);
    assert_int_equal(pb_child_exit_code(&ch), 1);
    if (count(ch.err, "patternbench run: ") != 1 || count(ch.err, c->db) != 1)
        fail_msg("the full database is not reported exactly once:\n%s", ch.err);
    pb_child_cleanup(&ch);
}

/* The latency in the progress line as a user's terminal shows it: read from
 * a pty, the p50/p99 of the last second are the mock's 10 ms, not "-". */
static pb_usec progress_field(const char *err, const char *name)
{
    /* the last line's field: lines on a terminal are rewritten in place */
    const char *at = NULL;
    for (const char *p = strstr(err, name); p != NULL; p = strstr(p + 1, name))
        at = p;
    if (at == NULL)
        fail_msg("no \"%s\" in the progress line:\n%s", name, err);
    char word[32];
    size_t n = strcspn(at + strlen(name), " \r\n\x1b");
    if (n == 0 || n >= sizeof(word))
        fail_msg("\"%s\" is not followed by a value:\n%s", name, err);
    memcpy(word, at + strlen(name), n);
    word[n] = '\0';
    pb_usec d;
    pb_err perr;
    if (pb_parse_duration(word, name, &d, &perr) != 0)
        fail_msg("%s (progress line:\n%s)", perr.msg, err);
    return d;
}

static void the_progress_line_shows_the_last_seconds_latency(void **state)
{
    scratch_db *c = *state;
    const char *args[] = {"--db",          c->db, "--duration", "3s",
                          "--concurrency", "4",   "--latency",  "fixed:10ms",
                          "--rate",        "200", NULL};
    pb_child ch;
    spawn(&ch, true, args);
    pb_child_await(&ch, PB_CHILD_ERR, "req/s", 2, 20000);
    pb_usec p50 = progress_field(ch.err, "p50 ");
    pb_usec p99 = progress_field(ch.err, "p99 ");
    pb_usec cp99 = progress_field(ch.err, "cp99 ");
    /* the mock answers after 10 ms; loopback and the client add little */
    assert_true(p50 >= 10000 && p50 < 100000);
    assert_true(p99 >= p50 && p99 < 1000000);
    assert_true(cp99 >= p99);
    pb_child_finish(&ch, FINISH_MS);
    assert_int_equal(pb_child_exit_code(&ch), 0);
    pb_child_cleanup(&ch);

    /* a breaker that is open: 0 req/s, and the line says why */
    const char *breaker[] = {"--db",   c->db, "--duration", "30s",   "--pattern", "breaker",
                             "--rate", "200", "--errors",   "503:1", NULL};
    spawn(&ch, true, breaker);
    pb_child_await(&ch, PB_CHILD_ERR, "breaker open", 1, 20000);
    /* three lines that show rejections: the second opened in, then whole
     * seconds of an open breaker */
    pb_child_await(&ch, PB_CHILD_ERR, "rejected ", 3, 20000);
    /* the most a whole line says (the last may still be arriving: a number
     * counts once something follows it) */
    unsigned long most = 0;
    for (const char *p = strstr(ch.err, "rejected "); p != NULL; p = strstr(p + 1, "rejected ")) {
        char *end;
        unsigned long n = strtoul(p + strlen("rejected "), &end, 10);
        if (*end != '\0' && n > most)
            most = n;
    }
    /* 200 arrivals a second, all rejected while the breaker is open */
    if (most < 150)
        fail_msg("at most %lu rejected in a second of an open breaker:\n%s", most, ch.err);
    kill(ch.pid, SIGINT);
    pb_child_finish(&ch, FINISH_MS);
    assert_int_equal(pb_child_exit_code(&ch), 130);
    pb_child_cleanup(&ch);
}

static void a_signal_stops_the_run_and_keeps_every_row(void **state)
{
    scratch_db *c = *state;
    const int sigs[] = {SIGINT, SIGTERM};
    for (int k = 0; k < 2; k++) {
        const char *args[] = {"--db", c->db,       "--duration", "60s",    "--concurrency",
                              "4",    "--latency", "fixed:2ms",  "--json", NULL};
        pb_child ch;
        spawn(&ch, true, args);
        /* the first progress line: a second has run */
        pb_child_await(&ch, PB_CHILD_ERR, "req/s", 1, 20000);
        kill(ch.pid, sigs[k]);
        pb_child_await(&ch, PB_CHILD_ERR, "in flight finish", 1, 20000);
        pb_child_finish(&ch, FINISH_MS);
        assert_int_equal(pb_child_exit_code(&ch), sigs[k] == SIGINT ? 130 : 143);
        json_t *j = summary_json(&ch);
        int64_t id = jint(j, "run_id");
        assert_string_equal(json_string_value(json_object_get(j, "run_status")), "interrupted");
        assert_int_equal(jint(j, "signal"), sigs[k]);
        assert_int_equal(jint(j, "abandoned"), 0);
        assert_true(jint(j, "requests") > 100);
        char sql[128];
        snprintf(sql, sizeof(sql), "select count(*) from requests where run_id = %lld",
                 (long long)id);
        assert_int_equal(test_db_int(c->db, sql), jint(j, "requests"));
        snprintf(sql, sizeof(sql), "select status from runs where id = %lld", (long long)id);
        char *status = test_db_text(c->db, sql);
        assert_string_equal(status, "interrupted");
        free(status);
        /* in-flight requests finished: the server answered everything it got */
        assert_int_equal(jint(json_object_get(j, "server"), "requests"),
                         jint(j, "network") + jint(j, "resent"));
        json_decref(j);
        pb_child_cleanup(&ch);
    }
}

static void a_second_interrupt_stops_at_once(void **state)
{
    scratch_db *c = *state;
    /* every request takes 20 s: only a hard stop ends the run quickly */
    /* spread over two client threads: the hard stop abandons requests on both */
    const char *args[] = {
        "--db",      c->db,       "--duration", "60s",    "--concurrency",    "4", "--latency",
        "fixed:20s", "--timeout", "30s",        "--json", "--client-threads", "2", NULL};
    pb_child ch;
    spawn(&ch, true, args);
    pb_child_await(&ch, PB_CHILD_ERR, "in flight 4", 1, 20000);
    kill(ch.pid, SIGINT);
    pb_child_await(&ch, PB_CHILD_ERR, "interrupt again", 1, 20000);
    pb_usec t = pb_monotime_now();
    kill(ch.pid, SIGINT);
    pb_child_finish(&ch, FINISH_MS);
    assert_true(pb_monotime_now() - t < 10 * PB_USEC_PER_SEC);
    assert_int_equal(pb_child_exit_code(&ch), 130);
    json_t *j = summary_json(&ch);
    assert_string_equal(json_string_value(json_object_get(j, "run_status")), "interrupted");
    assert_int_equal(jint(j, "abandoned"), 4);
    assert_int_equal(jint(j, "requests"), 0);
    char *status = test_db_text(c->db, "select status from runs order by id desc limit 1");
    assert_string_equal(status, "interrupted");
    free(status);
    char *check = test_db_text(c->db, "pragma integrity_check");
    assert_string_equal(check, "ok");
    free(check);
    json_decref(j);
    pb_child_cleanup(&ch);
}

static void sigkill_mid_run_leaves_a_consistent_database(void **state)
{
    scratch_db *c = *state;
    const char *args[] = {"--db", c->db,       "--duration", "60s", "--concurrency",
                          "4",    "--latency", "fixed:1ms",  NULL};
    pb_child ch;
    spawn(&ch, true, args);
    /* three progress lines: the writer has committed at least twice by now */
    pb_child_await(&ch, PB_CHILD_ERR, "req/s", 3, 30000);
    kill(ch.pid, SIGKILL);
    pb_child_finish(&ch, FINISH_MS);
    assert_true(WIFSIGNALED(ch.status) && WTERMSIG(ch.status) == SIGKILL);
    pb_child_cleanup(&ch);
    char *text = test_db_text(c->db, "pragma integrity_check");
    assert_string_equal(text, "ok");
    free(text);
    text = test_db_text(c->db, "select status from runs");
    assert_string_equal(text, "running");
    free(text);
    /* rows of about the first two seconds at least */
    assert_true(test_db_int(c->db, "select count(*) from requests") > 100);
    assert_true(test_db_int(c->db, "select max(t_us) from requests") >= 1000000);
}

int main(void)
{
    /* a child that dies must not take the test with it through SIGPIPE */
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(bad_flags_exit_2_with_a_message_naming_them,
                                        scratch_db_setup, scratch_db_teardown),
        cmocka_unit_test_setup_teardown(every_subcommand_refuses_a_mistake_in_one_voice,
                                        scratch_db_setup, scratch_db_teardown),
        cmocka_unit_test(help_lists_every_option_with_its_default),
        cmocka_unit_test(help_is_asked_for_the_same_way_everywhere),
        cmocka_unit_test(a_busy_port_is_named_by_its_address),
        cmocka_unit_test_setup_teardown(every_registered_pattern_is_offered_and_runs,
                                        scratch_db_setup, scratch_db_teardown),
        cmocka_unit_test_setup_teardown(json_summary_matches_the_database, scratch_db_setup,
                                        scratch_db_teardown),
        cmocka_unit_test_setup_teardown(json_reals_print_the_digits_they_carry, scratch_db_setup,
                                        scratch_db_teardown),
        cmocka_unit_test_setup_teardown(propagate_run_rolls_up_its_lost_results, scratch_db_setup,
                                        scratch_db_teardown),
        cmocka_unit_test_setup_teardown(a_target_that_never_answers_fails_the_run, scratch_db_setup,
                                        scratch_db_teardown),
        cmocka_unit_test_setup_teardown(a_database_that_cannot_be_written_says_why_once,
                                        scratch_db_setup, scratch_db_teardown),
        cmocka_unit_test_setup_teardown(the_progress_line_shows_the_last_seconds_latency,
                                        scratch_db_setup, scratch_db_teardown),
        cmocka_unit_test_setup_teardown(a_signal_stops_the_run_and_keeps_every_row,
                                        scratch_db_setup, scratch_db_teardown),
        cmocka_unit_test_setup_teardown(a_second_interrupt_stops_at_once, scratch_db_setup,
                                        scratch_db_teardown),
        cmocka_unit_test_setup_teardown(sigkill_mid_run_leaves_a_consistent_database,
                                        scratch_db_setup, scratch_db_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
