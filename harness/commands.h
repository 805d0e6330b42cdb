/* The patternbench subcommands; each parses its own argv and returns the
 * process exit status. */
#ifndef PB_COMMANDS_H
#define PB_COMMANDS_H


#endif
