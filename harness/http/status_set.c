/* pb_status_set: the statuses that count as ok. */
#include "status_set.h"

#include <stdio.h>
#include <string.h>

static void add(pb_status_set *s, unsigned status)
{
    s->bits[status >> 6] |= UINT64_C(1) << (status & 63);
}

void pb_status_set_default(pb_status_set *s)
{
    memset(s, 0, sizeof(*s));
    for (unsigned c = 200; c < 300; c++)
        add(s, c);
    snprintf(s->text, sizeof(s->text), "2xx");
}

static int bad_token(const char *tok, size_t n, pb_err *err)
{
    return pb_err_set(err, PB_EINVAL,
                      "--ok-status: expected a comma-separated list of statuses (100 to 999) "
                      "and classes (2xx), such as 200,204 or 2xx,404; got \"%.*s\"",
                      (int)n, tok);
}

int pb_status_set_parse(pb_status_set *s, const char *list, pb_err *err)
{
    pb_status_set out;
    memset(&out, 0, sizeof(out));
    if (strlen(list) >= sizeof(out.text))
        return pb_err_set(err, PB_ERANGE, "--ok-status: expected at most %zu characters",
                          sizeof(out.text) - 1);
    const char *p = list;
    for (;;) {
        size_t n = strcspn(p, ",");
        const char *t = p;
        if (n == 3 && t[0] >= '1' && t[0] <= '9' && (t[1] == 'x' || t[1] == 'X') &&
            (t[2] == 'x' || t[2] == 'X')) {
            unsigned base = (unsigned)(t[0] - '0') * 100;
            for (unsigned c = base; c < base + 100; c++)
                add(&out, c);
        } else if (n == 3 && t[0] >= '1' && t[0] <= '9' && t[1] >= '0' && t[1] <= '9' &&
                   t[2] >= '0' && t[2] <= '9') {
            add(&out, (unsigned)((t[0] - '0') * 100 + (t[1] - '0') * 10 + (t[2] - '0')));
        } else {
            return bad_token(t, n, err);
        }
        if (p[n] == '\0')
            break;
        p += n + 1;
    }
    snprintf(out.text, sizeof(out.text), "%s", list);
    *s = out;
    return 0;
}
