/* "Did you mean": the known name a mistyped one is closest to. */
#ifndef PB_SUGGEST_H
#define PB_SUGGEST_H

/* The name among known (NULL-terminated) within a small edit distance of
 * typed (at most 2, and less than half the name's length), the closest
 * first; NULL when none is close enough to be a typo. */
const char *pb_suggest(const char *typed, const char *const *known);

#endif
