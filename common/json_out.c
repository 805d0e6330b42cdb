#include "json_out.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "units.h"

int pb_json_real_text(double v, char *buf, size_t len)
{
    if (!isfinite(v))
        return PB_EINVAL;
    char text[PB_JSON_REAL_MAX];
    pb_format_real_from(v, 15, text, sizeof(text));
    int n;
    char *e = strchr(text, 'e');
    if (e != NULL) {
        *e = '\0';
        n = snprintf(buf, len, "%se%ld", text, strtol(e + 1, NULL, 10));
    } else {
        /* without a point, "10" would read back as an integer */
        n = snprintf(buf, len, strchr(text, '.') != NULL ? "%s" : "%s.0", text);
    }
    return n < 0 || (size_t)n >= len ? PB_ERANGE : 0;
}

/* A growing output text, always NUL-terminated. */
typedef struct text_buf {
    char *p;
    size_t n, cap;
} text_buf;

static int put(text_buf *t, const char *s, size_t n)
{
    if (t->n + n + 1 > t->cap) {
        size_t cap = 2 * (t->n + n + 1);
        char *p = realloc(t->p, cap);
        if (p == NULL)
            return -1;
        t->p = p;
        t->cap = cap;
    }
    memcpy(t->p + t->n, s, n);
    t->n += n;
    t->p[t->n] = '\0';
    return 0;
}

/* jansson's text with each real rewritten and everything else copied as it
 * is. A number can only start outside a string; jansson writes a point or an
 * exponent into every real and neither into an integer, so those tokens are
 * the reals. */
static char *shorten_reals(const char *in)
{
    size_t len = strlen(in);
    text_buf t = {malloc(len + 1), 0, len + 1};
    if (t.p == NULL)
        return NULL;
    int bad = 0;
    size_t i = 0;
    while (!bad && in[i] != '\0') {
        size_t j;
        if (in[i] == '"') {
            for (j = i + 1; in[j] != '\0' && in[j] != '"'; j++)
                if (in[j] == '\\' && in[j + 1] != '\0')
                    j++;
            j += in[j] == '"';
        } else if (in[i] == '-' || (in[i] >= '0' && in[i] <= '9')) {
            j = i + strspn(in + i, "0123456789+-.eE");
            char real[PB_JSON_REAL_MAX];
            if (memchr(in + i, '.', j - i) == NULL && memchr(in + i, 'e', j - i) == NULL &&
                memchr(in + i, 'E', j - i) == NULL) {
                bad = put(&t, in + i, j - i);
            } else if (pb_json_real_text(strtod(in + i, NULL), real, sizeof(real)) == 0) {
                bad = put(&t, real, strlen(real));
            } else {
                bad = put(&t, in + i, j - i); /* not a double jansson could have written */
            }
            i = j;
            continue;
        } else {
            j = i + strcspn(in + i, "\"-0123456789");
        }
        bad = put(&t, in + i, j - i);
        i = j;
    }
    if (bad) {
        free(t.p);
        return NULL;
    }
    return t.p;
}

char *pb_json_dumps(const json_t *json, size_t flags)
{
    char *raw = json_dumps(json, flags);
    if (raw == NULL)
        return NULL;
    char *text = shorten_reals(raw);
    free(raw);
    return text;
}

int pb_json_dumpf(const json_t *json, FILE *f, size_t flags)
{
    char *text = pb_json_dumps(json, flags);
    int rc = text == NULL || fputs(text, f) == EOF ? -1 : 0;
    free(text);
    return rc;
}

int pb_json_dump_file(const json_t *json, const char *path, size_t flags)
{
    FILE *f = fopen(path, "w");
    if (f == NULL)
        return -1;
    int rc = pb_json_dumpf(json, f, flags);
    if (fclose(f) != 0)
        rc = -1;
    return rc;
}
