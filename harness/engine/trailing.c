#include "trailing.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

/* One closed second: its counts and its histograms, encoded (a second's
 * latencies fill few buckets, so a window of an hour stays small). */
struct slot {
    uint64_t rows, network, failed, answered;
    uint64_t outcomes[PB_OUTCOME_COUNT];
    uint8_t *service, *corrected; /* pb_hist_encode blobs */
    size_t service_len, corrected_len;
    size_t service_cap, corrected_cap;
};

struct pb_trailing {
    int size, held, next; /* next: the slot the next push fills */
    struct slot *slots;
    pb_hist *service, *corrected; /* the window, rebuilt by each summary */
    pb_run_summary summary;
};

int pb_trailing_create(int seconds, pb_trailing **out, pb_err *err)
{
    if (seconds < 1 || seconds > PB_TRAILING_MAX_SECONDS)
        return pb_err_set(err, PB_ERANGE, "a trailing window of 1 to %d seconds, not %d",
                          PB_TRAILING_MAX_SECONDS, seconds);
    pb_trailing *w = calloc(1, sizeof(*w));
    int rc = PB_ENOMEM;
    if (w == NULL)
        goto fail;
    w->size = seconds;
    w->slots = calloc((size_t)seconds, sizeof(*w->slots));
    if (w->slots == NULL)
        goto fail;
    if ((rc = pb_hist_create_latency(&w->service)) != 0 ||
        (rc = pb_hist_create_latency(&w->corrected)) != 0)
        goto fail;
    *out = w;
    return 0;
fail:
    pb_trailing_destroy(w);
    return pb_err_set(err, rc, "cannot allocate the threshold window: %s", pb_strerror(rc));
}

void pb_trailing_destroy(pb_trailing *w)
{
    if (w == NULL)
        return;
    for (int i = 0; w->slots != NULL && i < w->size; i++) {
        free(w->slots[i].service);
        free(w->slots[i].corrected);
    }
    free(w->slots);
    pb_hist_destroy(w->service);
    pb_hist_destroy(w->corrected);
    free(w);
}

/* Encode h into *buf, growing it when the blob does not fit. */
static int encode(const pb_hist *h, uint8_t **buf, size_t *len, size_t *cap)
{
    size_t need = pb_hist_encode(h, NULL, 0);
    if (need > *cap) {
        uint8_t *grown = realloc(*buf, need);
        if (grown == NULL)
            return PB_ENOMEM;
        *buf = grown;
        *cap = need;
    }
    *len = pb_hist_encode(h, *buf, *cap);
    return 0;
}

int pb_trailing_push(pb_trailing *w, const pb_tally *t)
{
    struct slot *s = &w->slots[w->next];
    int rc = encode(t->sec_service, &s->service, &s->service_len, &s->service_cap);
    if (rc == 0)
        rc = encode(t->sec_corrected, &s->corrected, &s->corrected_len, &s->corrected_cap);
    if (rc != 0)
        return rc;
    s->rows = t->sec_rows;
    s->network = t->sec_network;
    s->failed = t->sec_failed;
    s->answered = t->sec_answered;
    memcpy(s->outcomes, t->sec_outcomes, sizeof(s->outcomes));
    w->next = (w->next + 1) % w->size;
    if (w->held < w->size)
        w->held++;
    return 0;
}

const pb_run_summary *pb_trailing_summary(pb_trailing *w)
{
    pb_run_summary *s = &w->summary;
    memset(s, 0, sizeof(*s));
    pb_hist_reset(w->service);
    pb_hist_reset(w->corrected);
    for (int i = 0; i < w->held; i++) {
        const struct slot *x = &w->slots[i];
        s->requests += x->rows;
        s->network += x->network;
        s->failed += x->failed;
        s->answered += x->answered;
        for (int k = 0; k < PB_OUTCOME_COUNT; k++)
            s->outcomes[k] += x->outcomes[k];
        /* the blobs were encoded here from histograms of this layout */
        int rc = pb_hist_decode_add(w->service, x->service, x->service_len);
        if (rc == 0)
            rc = pb_hist_decode_add(w->corrected, x->corrected, x->corrected_len);
        assert(rc == 0);
        (void)rc;
    }
    s->duration_s = (double)w->held;
    s->rps = w->held > 0 ? (double)s->network / (double)w->held : 0;
    s->error_rate = s->network > 0 ? (double)s->failed / (double)s->network : 0;
    pb_tally_fill_latencies(w->service, w->corrected, s);
    return s;
}

int pb_trailing_seconds(const pb_trailing *w)
{
    return w->held;
}
