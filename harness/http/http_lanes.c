#include "http_lanes.h"

#include <assert.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* How often a lane thread copies its client's first libcurl failure where
 * the caller's thread can read it. */
#define WATCH_MS 200

/* A request handed to a lane thread. */
struct start_msg {
    uint64_t seq;
    void *user;
    uint32_t attempt;
    uint32_t target;
};

/* A finished request handed back; res.error points into `error` once delivered. */
struct done_msg {
    pb_http_result res;
    uint32_t lane;
    char error[CURL_ERROR_SIZE];
};

/* Items one side appends to (under the lock) and the other takes whole by
 * swapping it for an empty one, so neither holds the lock while it works. */
struct buf {
    void *items;
    uint32_t n, cap;
};

struct lane {
    pb_lanes *l;
    uint32_t index;
    pb_http *http;
    /* with more than one lane, each has its own loop and thread */
    uv_loop_t loop;
    uv_async_t wake;
    uv_timer_t watch;
    uv_prepare_t flush; /* wakes the caller's loop once per turn of this one */
    uv_thread_t thread;
    bool loop_ready, wake_ready, watch_ready, flush_ready, thread_started, error_copied;
    bool results_queued; /* lane thread: results queued since the last flush */
    bool starts_queued;  /* caller's thread: requests queued since the last flush */
    uint32_t in_flight;  /* caller's thread: started on this lane, not yet called back */
    struct buf taking;   /* the lane thread's side of the swap of `in` */
    _Atomic uint64_t connections;
    uv_mutex_t mu; /* guards what follows */
    bool mu_ready;
    struct buf in; /* start_msg: appended by the caller's thread */
    bool stop;
    char error[sizeof(((pb_err *)0)->msg)];
};

struct pb_lanes {
    uv_loop_t *loop;
    pb_http_done_cb cb;
    void *cb_data;
    struct lane *lanes;
    uint32_t n;
    uint32_t in_flight;
    bool stopped, closing;
    uv_async_t done_async;
    uv_prepare_t flush; /* wakes the lanes given requests, once per turn of the loop */
    bool done_ready, flush_ready;
    uv_mutex_t out_mu; /* guards `out` */
    bool out_mu_ready;
    struct buf out;    /* done_msg: appended by lane threads */
    struct buf taking; /* the caller's thread's side of the swap of `out` */
    char error[sizeof(((pb_err *)0)->msg)];
};

static int buf_reserve(struct buf *b, uint32_t cap, size_t size)
{
    if (cap <= b->cap)
        return 0;
    void *items = realloc(b->items, (size_t)cap * size);
    if (items == NULL)
        return PB_ENOMEM;
    b->items = items;
    b->cap = cap;
    return 0;
}

static void *buf_push(struct buf *b, size_t size)
{
    if (b->n == b->cap && buf_reserve(b, b->cap ? b->cap * 2 : 64, size) != 0)
        return NULL;
    return (char *)b->items + (size_t)b->n++ * size;
}

static void buf_swap(struct buf *a, struct buf *b)
{
    struct buf t = *a;
    *a = *b;
    *b = t;
}

/* A lone lane, on the caller's loop: straight through. */
static void local_done(void *data, const pb_http_result *res)
{
    pb_lanes *l = data;
    l->in_flight--;
    l->cb(l->cb_data, res);
}

/* On a lane thread: queue the result for the caller's loop. */
static void lane_done(void *data, const pb_http_result *res)
{
    struct lane *ln = data;
    pb_lanes *l = ln->l;
    atomic_store_explicit(&ln->connections, pb_http_connections(ln->http), memory_order_relaxed);
    uv_mutex_lock(&l->out_mu);
    struct done_msg *m = buf_push(&l->out, sizeof(*m));
    if (m != NULL) {
        m->res = *res;
        m->res.error = NULL;
        m->lane = ln->index;
        snprintf(m->error, sizeof(m->error), "%s", res->error);
    }
    uv_mutex_unlock(&l->out_mu);
    if (m == NULL) {
        /* the result cannot be handed over: the caller would wait for it
         * forever, so fail the run (pb_lanes_error) rather than hang */
        uv_mutex_lock(&ln->mu);
        if (ln->error[0] == '\0')
            snprintf(ln->error, sizeof(ln->error), "out of memory handing a result back");
        uv_mutex_unlock(&ln->mu);
        return;
    }
    ln->results_queued = true;
}

/* Wake-ups are sent once per turn of a loop, just before it would block,
 * rather than once per request: the other side then takes a batch. */
static void lane_flush_cb(uv_prepare_t *p)
{
    struct lane *ln = p->data;
    if (!ln->results_queued)
        return;
    ln->results_queued = false;
    int rc = uv_async_send(&ln->l->done_async);
    assert(rc == 0);
    (void)rc;
}

static void caller_flush_cb(uv_prepare_t *p)
{
    pb_lanes *l = p->data;
    for (uint32_t i = 0; i < l->n; i++) {
        struct lane *ln = &l->lanes[i];
        if (!ln->starts_queued)
            continue;
        ln->starts_queued = false;
        int rc = uv_async_send(&ln->wake);
        assert(rc == 0);
        (void)rc;
    }
}

/* On a lane thread: a request the client refused comes back as failed. */
static void lane_refused(struct lane *ln, const struct start_msg *s, const pb_err *err)
{
    uv_mutex_lock(&ln->mu);
    if (ln->error[0] == '\0')
        snprintf(ln->error, sizeof(ln->error), "%s", err->msg);
    uv_mutex_unlock(&ln->mu);
    pb_usec now = pb_monotime_now();
    pb_http_result res = {
        .user = s->user,
        .outcome = PB_OUTCOME_OTHER_ERROR,
        .curl_code = (int)CURLE_FAILED_INIT,
        .started = now,
        .error = err->msg,
    };
    lane_done(ln, &res);
}

static void copy_error(struct lane *ln)
{
    const char *msg = pb_http_error(ln->http);
    if (ln->error_copied || msg[0] == '\0')
        return;
    uv_mutex_lock(&ln->mu);
    if (ln->error[0] == '\0')
        snprintf(ln->error, sizeof(ln->error), "%s", msg);
    uv_mutex_unlock(&ln->mu);
    ln->error_copied = true;
}

static void watch_cb(uv_timer_t *t)
{
    copy_error(t->data);
}

static void wake_cb(uv_async_t *a)
{
    struct lane *ln = a->data;
    uv_mutex_lock(&ln->mu);
    buf_swap(&ln->in, &ln->taking);
    bool stop = ln->stop;
    uv_mutex_unlock(&ln->mu);
    if (stop) {
        /* the caller counts what was in flight, started or not, as abandoned */
        ln->taking.n = 0;
        pb_http_abort_all(ln->http);
        pb_http_close(ln->http);
        uv_close((uv_handle_t *)&ln->wake, NULL);
        uv_close((uv_handle_t *)&ln->watch, NULL);
        uv_close((uv_handle_t *)&ln->flush, NULL);
        return;
    }
    const struct start_msg *s = ln->taking.items;
    for (uint32_t i = 0; i < ln->taking.n; i++) {
        pb_err err = {0};
        if (pb_http_start(ln->http, s[i].seq, s[i].attempt, s[i].target, s[i].user, &err) != 0)
            lane_refused(ln, &s[i], &err);
    }
    ln->taking.n = 0;
}

static void lane_main(void *arg)
{
    struct lane *ln = arg;
    char name[16];
    snprintf(name, sizeof(name), "pb-lane-%u", ln->index);
    (void)pthread_setname_np(pthread_self(), name); /* cosmetic: for top -H */
    uv_run(&ln->loop, UV_RUN_DEFAULT);
}

static void done_async_cb(uv_async_t *a)
{
    pb_lanes *l = a->data;
    uv_mutex_lock(&l->out_mu);
    buf_swap(&l->out, &l->taking);
    uv_mutex_unlock(&l->out_mu);
    struct done_msg *m = l->taking.items;
    for (uint32_t i = 0; i < l->taking.n && !l->stopped; i++) {
        m[i].res.error = m[i].error;
        l->lanes[m[i].lane].in_flight--;
        l->in_flight--;
        l->cb(l->cb_data, &m[i].res);
    }
    l->taking.n = 0;
}

/* Easy handles lane i starts with: an even share of the slots, since
 * requests go to the lane with the fewest in flight. */
static uint32_t lane_slots(uint32_t slots, uint32_t n, uint32_t i)
{
    return slots / n + (i < slots % n ? 1 : 0);
}

static int lane_init(pb_lanes *l, struct lane *ln, const pb_http_config *cfg, uint32_t slots,
                     pb_err *err)
{
    uint32_t share = lane_slots(slots, l->n, ln->index);
    if (share == 0)
        share = 1;
    if (l->n == 1)
        return pb_http_create(l->loop, cfg, share, local_done, l, &ln->http, err);
    int rc = uv_mutex_init(&ln->mu);
    if (rc != 0)
        return pb_err_set(err, PB_ESYS, "cannot create a lock: %s", uv_strerror(rc));
    ln->mu_ready = true;
    if (buf_reserve(&ln->in, share + 16, sizeof(struct start_msg)) != 0 ||
        buf_reserve(&ln->taking, share + 16, sizeof(struct start_msg)) != 0)
        return pb_err_set(err, PB_ENOMEM, "out of memory creating HTTP lane %u", ln->index);
    if ((rc = uv_loop_init(&ln->loop)) != 0)
        return pb_err_set(err, PB_ESYS, "cannot create lane %u's event loop: %s", ln->index,
                          uv_strerror(rc));
    ln->loop_ready = true;
    /* created here, before the thread exists: libcurl's global set-up is not
     * guaranteed thread-safe, and the thread then owns the client alone */
    if ((rc = pb_http_create(&ln->loop, cfg, share, lane_done, ln, &ln->http, err)) != 0)
        return rc;
    if ((rc = uv_async_init(&ln->loop, &ln->wake, wake_cb)) == 0) {
        ln->wake_ready = true;
        ln->wake.data = ln;
        if ((rc = uv_timer_init(&ln->loop, &ln->watch)) == 0) {
            ln->watch_ready = true;
            ln->watch.data = ln;
            if ((rc = uv_prepare_init(&ln->loop, &ln->flush)) == 0) {
                ln->flush_ready = true;
                ln->flush.data = ln;
                rc = uv_prepare_start(&ln->flush, lane_flush_cb);
                uv_unref((uv_handle_t *)&ln->flush);
            }
        }
    }
    if (rc != 0)
        return pb_err_set(err, PB_ESYS, "cannot set up lane %u: %s", ln->index, uv_strerror(rc));
    if ((rc = uv_timer_start(&ln->watch, watch_cb, WATCH_MS, WATCH_MS)) != 0 ||
        (rc = uv_thread_create(&ln->thread, lane_main, ln)) != 0)
        return pb_err_set(err, PB_ESYS, "cannot start HTTP lane %u: %s", ln->index,
                          uv_strerror(rc));
    ln->thread_started = true;
    return 0;
}

int pb_lanes_create(uv_loop_t *loop, const pb_http_config *cfg, uint32_t slots, uint32_t threads,
                    pb_http_done_cb cb, void *cb_data, pb_lanes **out, pb_err *err)
{
    *out = NULL;
    if (threads < 1 || threads > PB_LANES_MAX)
        return pb_err_set(err, PB_ERANGE, "--client-threads: expected 1 to %u, got %u",
                          PB_LANES_MAX, threads);
    pb_lanes *l = calloc(1, sizeof(*l));
    if (l == NULL || (l->lanes = calloc(threads, sizeof(*l->lanes))) == NULL) {
        free(l);
        return pb_err_set(err, PB_ENOMEM, "out of memory creating the HTTP client");
    }
    l->loop = loop;
    l->cb = cb;
    l->cb_data = cb_data;
    l->n = threads;
    int rc = 0;
    if (threads > 1) {
        if ((rc = uv_mutex_init(&l->out_mu)) != 0) {
            rc = pb_err_set(err, PB_ESYS, "cannot create a lock: %s", uv_strerror(rc));
            goto fail;
        }
        l->out_mu_ready = true;
        if (buf_reserve(&l->out, slots + 16, sizeof(struct done_msg)) != 0 ||
            buf_reserve(&l->taking, slots + 16, sizeof(struct done_msg)) != 0) {
            rc = pb_err_set(err, PB_ENOMEM, "out of memory creating the HTTP client");
            goto fail;
        }
        if ((rc = uv_async_init(loop, &l->done_async, done_async_cb)) != 0) {
            rc = pb_err_set(err, PB_ESYS, "cannot set up the event loop: %s", uv_strerror(rc));
            goto fail;
        }
        l->done_async.data = l;
        l->done_ready = true;
        if ((rc = uv_prepare_init(loop, &l->flush)) == 0) {
            l->flush_ready = true;
            l->flush.data = l;
            rc = uv_prepare_start(&l->flush, caller_flush_cb);
            /* the loop stays alive for its other handles, not for this one */
            uv_unref((uv_handle_t *)&l->flush);
        }
        if (rc != 0) {
            rc = pb_err_set(err, PB_ESYS, "cannot set up the event loop: %s", uv_strerror(rc));
            goto fail;
        }
    }
    for (uint32_t i = 0; i < threads; i++) {
        l->lanes[i].l = l;
        l->lanes[i].index = i;
        if ((rc = lane_init(l, &l->lanes[i], cfg, slots, err)) != 0)
            goto fail;
    }
    *out = l;
    return 0;
fail:
    /* one turn runs the close callbacks; the caller's other handles may
     * keep its loop alive, so do not wait for it to empty */
    pb_lanes_close(l);
    uv_run(loop, UV_RUN_NOWAIT);
    pb_lanes_destroy(l);
    return rc;
}

int pb_lanes_start(pb_lanes *l, uint64_t seq, uint32_t attempt, uint32_t target, void *user,
                   pb_err *err)
{
    if (l->stopped)
        return pb_err_set(err, PB_ESTATE, "the HTTP client has stopped");
    struct lane *ln = &l->lanes[0];
    for (uint32_t i = 1; i < l->n; i++)
        if (l->lanes[i].in_flight < ln->in_flight)
            ln = &l->lanes[i];
    if (l->n == 1) {
        int rc = pb_http_start(ln->http, seq, attempt, target, user, err);
        if (rc == 0)
            l->in_flight++;
        return rc;
    }
    uv_mutex_lock(&ln->mu);
    struct start_msg *s = buf_push(&ln->in, sizeof(*s));
    if (s != NULL)
        *s = (struct start_msg){.seq = seq, .attempt = attempt, .target = target, .user = user};
    uv_mutex_unlock(&ln->mu);
    if (s == NULL)
        return pb_err_set(err, PB_ENOMEM, "out of memory handing a request to HTTP lane %u",
                          ln->index);
    ln->starts_queued = true;
    ln->in_flight++;
    l->in_flight++;
    return 0;
}

uint32_t pb_lanes_in_flight(const pb_lanes *l)
{
    return l->in_flight;
}

uint32_t pb_lanes_threads(const pb_lanes *l)
{
    return l->n;
}

const char *pb_lanes_error(pb_lanes *l)
{
    if (l->error[0] != '\0')
        return l->error;
    for (uint32_t i = 0; i < l->n && l->error[0] == '\0'; i++) {
        struct lane *ln = &l->lanes[i];
        if (ln->http == NULL)
            continue;
        if (l->n == 1) {
            snprintf(l->error, sizeof(l->error), "%s", pb_http_error(ln->http));
            continue;
        }
        uv_mutex_lock(&ln->mu);
        snprintf(l->error, sizeof(l->error), "%s", ln->error);
        uv_mutex_unlock(&ln->mu);
    }
    return l->error;
}

uint64_t pb_lanes_connections(pb_lanes *l)
{
    uint64_t n = 0;
    for (uint32_t i = 0; i < l->n; i++) {
        struct lane *ln = &l->lanes[i];
        if (ln->http == NULL)
            continue;
        n += l->n == 1 ? pb_http_connections(ln->http)
                       : atomic_load_explicit(&ln->connections, memory_order_relaxed);
    }
    return n;
}

/* Ask lane threads to abandon their transfers and end; wait for them. */
static void stop_threads(pb_lanes *l)
{
    for (uint32_t i = 0; i < l->n; i++) {
        struct lane *ln = &l->lanes[i];
        if (!ln->thread_started)
            continue;
        uv_mutex_lock(&ln->mu);
        ln->stop = true;
        uv_mutex_unlock(&ln->mu);
        int rc = uv_async_send(&ln->wake);
        assert(rc == 0);
        (void)rc;
        rc = uv_thread_join(&ln->thread);
        assert(rc == 0);
        ln->thread_started = false;
    }
}

uint32_t pb_lanes_abort_all(pb_lanes *l)
{
    if (l->stopped)
        return 0;
    stop_threads(l);
    if (l->n == 1 && l->lanes[0].http != NULL)
        pb_http_abort_all(l->lanes[0].http);
    /* the threads are gone: results they queued are abandoned with the rest */
    l->out.n = 0;
    uint32_t n = l->in_flight;
    l->in_flight = 0;
    l->stopped = true;
    return n;
}

void pb_lanes_close(pb_lanes *l)
{
    if (l == NULL || l->closing)
        return;
    pb_lanes_abort_all(l);
    l->closing = true;
    if (l->n == 1)
        pb_http_close(l->lanes[0].http);
    if (l->done_ready)
        uv_close((uv_handle_t *)&l->done_async, NULL);
    if (l->flush_ready)
        uv_close((uv_handle_t *)&l->flush, NULL);
}

void pb_lanes_destroy(pb_lanes *l)
{
    if (l == NULL)
        return;
    for (uint32_t i = 0; i < l->n; i++) {
        struct lane *ln = &l->lanes[i];
        if (ln->loop_ready) {
            /* a lane whose thread never started still has its handles open */
            pb_http_close(ln->http);
            if (ln->wake_ready && !uv_is_closing((uv_handle_t *)&ln->wake))
                uv_close((uv_handle_t *)&ln->wake, NULL);
            if (ln->watch_ready && !uv_is_closing((uv_handle_t *)&ln->watch))
                uv_close((uv_handle_t *)&ln->watch, NULL);
            if (ln->flush_ready && !uv_is_closing((uv_handle_t *)&ln->flush))
                uv_close((uv_handle_t *)&ln->flush, NULL);
            uv_run(&ln->loop, UV_RUN_DEFAULT);
            int rc = uv_loop_close(&ln->loop);
            assert(rc == 0);
            (void)rc;
        }
        pb_http_destroy(ln->http);
        free(ln->in.items);
        free(ln->taking.items);
        if (ln->mu_ready)
            uv_mutex_destroy(&ln->mu);
    }
    free(l->out.items);
    free(l->taking.items);
    if (l->out_mu_ready)
        uv_mutex_destroy(&l->out_mu);
    free(l->lanes);
    free(l);
}
