/* patternbench: dispatch to a subcommand. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "suggest.h"
#include "usage.h"

static const struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} commands[] = {
    {"run", pb_cmd_run, "drive one pattern against a target, record every request"},
    {"mock", pb_cmd_mock, "run the fault-injecting mock HTTP server in the foreground"},
    {"compare", pb_cmd_compare, "run every pattern of a scenario under the same faults, compare"},
    {"report", pb_cmd_report, "write charts, an HTML page and summaries of a run or compare"},
    {"export", pb_cmd_export, "write a run's request rows as CSV or JSON lines, or its .hgrm"},
    {"merge", pb_cmd_merge, "join the databases of a split run's segments (--segment I/N)"},
    {"reproduce", pb_cmd_reproduce, "check the cheat sheet's claims in repeated trials, C and Python"},
    {NULL, NULL, NULL},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: patternbench COMMAND [options]\n\n"
                 "A lab for client-side concurrency and resilience patterns.\n\n"
                 "commands:\n");
    for (size_t i = 0; commands[i].name != NULL; i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\n'patternbench COMMAND --help' describes a command's options.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    /* `help CMD` is `CMD --help` */
    char help_flag[] = "--help";
    char *help_argv[] = {argv[0], argc > 2 ? argv[2] : NULL, help_flag, NULL};
    if (strcmp(argv[1], "help") == 0 && argc > 2) {
        argv = help_argv;
        argc = 3;
    } else if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
               strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("patternbench %s\n", PB_VERSION);
        return 0;
    }
    for (size_t i = 0; commands[i].name != NULL; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    /* the voice of usage.h, without a subcommand to name */
    const char *names[sizeof(commands) / sizeof(commands[0])];
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        names[i] = commands[i].name;
    const char *guess = pb_suggest(argv[1], names);
    if (guess != NULL) {
        fprintf(stderr, "patternbench: %s: unknown command; did you mean \"%s\"?\n", argv[1],
                guess);
    } else {
        fprintf(stderr, "patternbench: %s: unknown command; expected one of", argv[1]);
        for (size_t i = 0; commands[i].name != NULL; i++)
            fprintf(stderr, "%s %s", i == 0 ? "" : ",", commands[i].name);
        fprintf(stderr, "\n");
    }
    fprintf(stderr, "see 'patternbench --help'\n");
    return PB_EXIT_USAGE;
}
