/* The patternbench subcommands; each parses its own argv and returns the
 * process exit status. */
#ifndef PB_COMMANDS_H
#define PB_COMMANDS_H

/* `patternbench run`: drive one pattern against a target, record every request. */
int pb_cmd_run(int argc, char **argv);
/* patternbench mock: run the mock server in the foreground until SIGINT/SIGTERM. */
int pb_cmd_mock(int argc, char **argv);
/* patternbench compare SCENARIO.json: run each entry of a scenario, one comparison table. */
int pb_cmd_compare(int argc, char **argv);
/* patternbench report DB [--run ID | --compare ID | --last] [-o DIR] */
int pb_cmd_report(int argc, char **argv);
/* patternbench export DB [--run ID | --compare ID | --last] --format csv|jsonl|hgrm [-o FILE] */
int pb_cmd_export(int argc, char **argv);
/* patternbench merge OUT.db IN.db...: join the databases of a split run's segments. */
int pb_cmd_merge(int argc, char **argv);

/* patternbench reproduce: check the cheat sheet's claims by experiment, with verdicts. */
int pb_cmd_reproduce(int argc, char **argv);

#endif
