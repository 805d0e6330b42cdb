#include "mock_stats.h"

#include <assert.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>

#include "json_out.h"

/* The metrics of /metrics, by their row in PB_MOCK_METRIC_MAP. */
/* clang-format off */
enum metric {
#define METRIC_ENUM(e, name, type, label, help) METRIC_##e,
    PB_MOCK_METRIC_MAP(METRIC_ENUM)
#undef METRIC_ENUM
    METRIC_COUNT
};
/* clang-format on */

static const struct metric_info {
    const char *name, *type, *label, *help;
} metrics[METRIC_COUNT] = {
#define METRIC_INFO(e, name, type, label, help) {name, type, label, help},
    PB_MOCK_METRIC_MAP(METRIC_INFO)
#undef METRIC_INFO
};

/* Rows of the counter and gauge tables. */
enum {
#define COUNT_ROW(...) +1
    ROWS = 0 PB_MOCK_COUNTER_MAP(COUNT_ROW) PB_MOCK_GAUGE_MAP(COUNT_ROW)
#undef COUNT_ROW
};

const char *pb_mock_kind_name(pb_mock_kind kind)
{
    static const char *const names[PB_MOCK_KIND_COUNT] = {
#define KIND_NAME(e, counter, label) [PB_MOCK_KIND_##e] = label,
        PB_MOCK_OUTCOME_MAP(KIND_NAME)
#undef KIND_NAME
    };
    return (unsigned)kind < PB_MOCK_KIND_COUNT ? names[kind] : "?";
}

json_t *pb_mock_stats_json(const pb_mock_stats *s)
{
    json_t *o = json_object();
    json_t *status = json_object();
    int bad = o == NULL || status == NULL;
    /* json_object_set_new takes its value, set or not; once bad, no more are made */
#define PUT(field, ...)                                                                            \
    bad |= !bad && json_object_set_new(o, #field, json_integer((json_int_t)s->field)) != 0;
    PB_MOCK_COUNTER_MAP(PUT)
    PB_MOCK_GAUGE_MAP(PUT)
#undef PUT
    for (int i = 0; i < 600 && !bad; i++) {
        if (s->status[i] == 0)
            continue;
        char key[8];
        snprintf(key, sizeof(key), "%d", i);
        bad |= json_object_set_new(status, key, json_integer((json_int_t)s->status[i])) != 0;
    }
    if (!bad)
        bad |= json_object_set(o, "status", status) != 0;
    json_decref(status);
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

char *pb_mock_stats_to_json(const pb_mock_stats *s)
{
    json_t *o = pb_mock_stats_json(s);
    if (o == NULL)
        return NULL;
    char *text = pb_json_dumps(o, JSON_INDENT(2));
    json_decref(o);
    return text;
}

/* A bounded text buffer; `full` once something did not fit. */
typedef struct text {
    char *buf;
    size_t len, cap;
    bool full;
} text;

static void __attribute__((format(printf, 2, 3))) append(text *t, const char *fmt, ...)
{
    if (t->full)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(t->buf + t->len, t->cap - t->len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= t->cap - t->len) {
        t->full = true;
        return;
    }
    t->len += (size_t)n;
}

/* The start of a sample line of metric m: its name and, unless label is "",
 * its label; the value follows. */
static void sample(text *t, const struct metric_info *m, const char *label)
{
    if (label[0] == '\0')
        append(t, "%s ", m->name);
    else
        append(t, "%s{%s=\"%s\"} ", m->name, m->label, label);
}

char *pb_mock_stats_to_prometheus(const pb_mock_stats *s)
{
    /* a HELP and a TYPE line per metric, a sample per row and per status;
     * no line comes near 256 bytes */
    text t = {.cap = 256 * (2 * METRIC_COUNT + ROWS + 600)};
    t.buf = malloc(t.cap);
    if (t.buf == NULL)
        return NULL;
    t.buf[0] = '\0';
    for (int f = 0; f < METRIC_COUNT; f++) {
        const struct metric_info *m = &metrics[f];
        append(&t, "# HELP %s %s\n# TYPE %s %s\n", m->name, m->help, m->name, m->type);
#define COUNTER_SAMPLE(counter, metric, label)                                                     \
    if (f == METRIC_##metric) {                                                                    \
        sample(&t, m, label);                                                                      \
        append(&t, "%llu\n", (unsigned long long)s->counter);                                      \
    }
        PB_MOCK_COUNTER_MAP(COUNTER_SAMPLE)
#undef COUNTER_SAMPLE
#define GAUGE_SAMPLE(gauge, type, metric, merge)                                                   \
    if (f == METRIC_##metric) {                                                                    \
        sample(&t, m, "");                                                                         \
        append(&t, "%lld\n", (long long)s->gauge);                                                 \
    }
        PB_MOCK_GAUGE_MAP(GAUGE_SAMPLE)
#undef GAUGE_SAMPLE
        for (int i = 0; f == METRIC_RESPONSES && i < 600; i++)
            if (s->status[i] != 0)
                append(&t, "%s{%s=\"%d\"} %llu\n", m->name, m->label, i,
                       (unsigned long long)s->status[i]);
    }
    /* the capacity is computed from the tables above */
    assert(!t.full);
    if (t.full) {
        free(t.buf);
        return NULL;
    }
    return t.buf;
}

int pb_mock_stats_print(const pb_mock_stats *s, FILE *out)
{
    int bad = 0;
#define PRINT(counter, ...)                                                                        \
    bad |= fprintf(out, #counter " %llu\n", (unsigned long long)s->counter) < 0;
    PB_MOCK_COUNTER_MAP(PRINT)
#undef PRINT
    for (int i = 0; i < 600; i++)
        if (s->status[i] != 0)
            bad |= fprintf(out, "status %d %llu\n", i, (unsigned long long)s->status[i]) < 0;
    bad |= fflush(out) != 0;
    return bad ? PB_EIO : 0;
}
