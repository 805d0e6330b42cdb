/* The one voice of a command-line mistake (usage.h). */
#include "usage.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "suggest.h"
#include "units.h"

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

int pb_usage_unknown_option(const char *command, void (*usage)(FILE *out), const char *option)
{
    /* "--bogus=1" is named without its value */
    const char *eq = strchr(option, '=');
    int len = eq != NULL ? (int)(eq - option) : (int)strlen(option);
    char *text = NULL;
    size_t text_len = 0;
    char guess[64];
    bool found = false;
    FILE *f = open_memstream(&text, &text_len);
    if (f != NULL) {
        usage(f);
        found = fclose(f) == 0 && pb_usage_suggest_option(text, option, guess, sizeof(guess));
    }
    free(text);
    if (found)
        return pb_usage_error(command, "%.*s: unknown option; did you mean %s?", len, option,
                              guess);
    return pb_usage_error(command, "%.*s: unknown option", len, option);
}

int pb_usage_parse_id(const char *command, const char *opt, const char *value, int64_t *id)
{
    uint64_t v;
    pb_err err;
    if (value == NULL)
        return pb_usage_error(command, "%s: expected a value: a run or compare id (1, 2, ...)",
                              opt);
    if (pb_parse_u64(value, opt, 1, INT64_MAX, &v, &err) != 0)
        return pb_usage_error(command, "%s", err.msg);
    *id = (int64_t)v;
    return 0;
}

int pb_usage_option_value(const char *command, void (*usage)(FILE *out),
                          const char *const *with_value, int argc, char **argv,
                          int *i, char *name, size_t name_len, const char **value)
{
    const char *arg = argv[*i], *eq = strchr(arg, '=');
    size_t n = eq != NULL ? (size_t)(eq - arg) : strlen(arg);
    snprintf(name, name_len, "%.*s", (int)n, arg);
    bool known = false;
    for (size_t k = 0; with_value[k] != NULL && !known; k++)
        known = strcmp(name, with_value[k]) == 0;
    if (!known)
        return pb_usage_unknown_option(command, usage, arg);
    if (eq != NULL)
        *value = eq + 1;
    else if (*i + 1 < argc)
        *value = argv[++*i];
    else
        return pb_usage_error(command, "%s: expected a value", name);
    return 0;
}

bool pb_usage_suggest_option(const char *help_text, const char *option, char *buf, size_t cap)
{
    /* the help's distinct --words, at most 256 of them */
    enum { MAX_NAMES = 256, NAME_MAX_LEN = 40 };
    static char names[MAX_NAMES][NAME_MAX_LEN];
    const char *known[MAX_NAMES + 1];
    size_t n = 0;
    for (const char *p = strstr(help_text, "--"); p != NULL && n < MAX_NAMES;
         p = strstr(p + 2, "--")) {
        size_t len = strspn(p + 2, "abcdefghijklmnopqrstuvwxyz0123456789-");
        if (len == 0 || len >= NAME_MAX_LEN || (p > help_text && p[-1] != ' ' && p[-1] != '\n' &&
                                                 p[-1] != '(' && p[-1] != '\''))
            continue;
        memcpy(names[n], p + 2, len);
        names[n][len] = '\0';
        bool seen = false;
        for (size_t i = 0; i < n && !seen; i++)
            seen = strcmp(known[i], names[n]) == 0;
        if (!seen) {
            known[n] = names[n];
            n++;
        }
    }
    known[n] = NULL;
    char typed[NAME_MAX_LEN];
    const char *name = strncmp(option, "--", 2) == 0 ? option + 2 : option;
    size_t len = strcspn(name, "=: ");
    if (len >= sizeof(typed))
        return false;
    memcpy(typed, name, len);
    typed[len] = '\0';
    const char *guess = pb_suggest(typed, known);
    if (guess == NULL)
        return false;
    snprintf(buf, cap, "--%s", guess);
    return true;
}
