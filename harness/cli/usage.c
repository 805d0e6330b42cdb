/* The one voice of a command-line mistake (usage.h). */
#include "usage.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int pb_usage_error(const char *command, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "patternbench %s: ", command);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\nsee 'patternbench %s --help'\n", command);
    va_end(ap);
    return PB_EXIT_USAGE;
}

int pb_usage_unknown_option(const char *command, const char *option)
{
    /* "--bogus=1" is named without its value */
    const char *eq = strchr(option, '=');
    int len = eq != NULL ? (int)(eq - option) : (int)strlen(option);
    return pb_usage_error(command, "%.*s: unknown option", len, option);
}
