/* `patternbench merge OUT.db IN.db...`: join the databases of a split run's segments. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "merge.h"
#include "monotime.h"
#include "usage.h"

static void usage(FILE *out)
{
    fprintf(out, "usage: patternbench merge OUT.db IN.db...   (or --help: this text)\n"
                 "\n"
                 "Join the databases written by the N processes of a split run (`run --segment\n"
                 "I/N`) or compare (`compare --segment I/N`) into one run per entry in OUT.db\n"
                 "(created if missing, else appended to), which `patternbench report` then reads\n"
                 "like any other. Each input's most recent run, or the compare it belongs to, is\n"
                 "taken; they must have the same configuration and seed and hold every segment\n"
                 "0..N-1 exactly once. Request rows are copied; per-second rollups are summed\n"
                 "with histograms merged exactly; events are interleaved in time; the summary is\n"
                 "recomputed (docs/schema.md, \"Merged runs\").\n"
                 "\n"
                 "Exit status: 0 when merged, 1 when a database cannot be read or written\n"
                 "(what the merge added is deleted, or marked failed), 2 for a bad option or\n"
                 "inputs that do not fit together (nothing is written).\n");
}

int pb_cmd_merge(int argc, char **argv)
{
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        usage(stdout);
        return 0;
    }
    for (int i = 1; i < argc; i++)
        if (strncmp(argv[i], "--", 2) == 0)
            return pb_usage_unknown_option("merge", usage, argv[i]);
    if (argc < 3)
        return pb_usage_error("merge", "expected OUT.db and at least one IN.db");
    pb_merge_stats st;
    pb_err err = {0};
    pb_usec t0 = pb_monotime_now();
    int rc = pb_merge(argv[1], (const char *const *)&argv[2], argc - 2, &st, &err);
    double secs = (double)(pb_monotime_now() - t0) / 1e6;
    if (rc != 0) {
        fprintf(stderr, "patternbench merge: %s\n", err.msg);
        return rc == PB_EINVAL ? 2 : 1;
    }
    printf("merged %d segments into %s: ", st.segments, argv[1]);
    if (st.compare_id != 0)
        printf("compare %" PRId64 ", runs %" PRId64 "..%" PRId64 "\n", st.compare_id,
               st.first_run_id, st.first_run_id + st.runs - 1);
    else
        printf("run %" PRId64 "\n", st.first_run_id);
    printf("  %" PRIu64 " request rows, %" PRIu64 " seconds, %" PRIu64 " events in %.2f s"
           " (%.0f rows/s)\n",
           st.rows, st.seconds, st.events, secs, secs > 0 ? (double)st.rows / secs : 0);
    printf("  segments started %.3f ms apart at most\n", (double)st.start_skew_us / 1e3);
    if (st.start_skew_us > 1000000)
        fprintf(stderr,
                "patternbench merge: warning: the segments started %.1f s apart (a --start-at "
                "in the past?); their seconds are summed by run time, so the merged timeline "
                "blurs by as much\n",
                (double)st.start_skew_us / 1e6);
    return 0;
}
