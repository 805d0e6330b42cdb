/* The mock server: a libmicrohttpd daemon (thread pool, suspend/resume) and
 * one timer thread that resumes delayed connections at their deadlines.
 *
 * A mock request goes: first access-handler call (nothing but bookkeeping:
 * answering or suspending there makes MHD 0.9.75 drop keep-alive) -> second
 * call decides (rate limit, fault model, capacity) under `mu` -> answered at
 * once, or suspended with a deadline in the timer heap -> the timer thread
 * resumes it -> the handler is called again and answers -> on_completed,
 * which MHD calls once for every request whatever its end (answer sent,
 * connection closed, daemon stopped), hands a counted request's record to the
 * request hook. No thread ever sleeps for a request: a delayed request costs
 * a heap entry and a socket. */
#include "mock.h"

#include <assert.h>
#include <math.h>
#include <microhttpd.h>
#include <arpa/inet.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>

#include "capacity.h"
#include "fault_model.h"
#include "mock_admin.h"
#include "mock_config.h"
#include "mock_stats.h"
#include "timer_heap.h"
#include "token_bucket.h"
#include "units.h"

/* Request contexts are allocated this many at a time and reused. */
#define POOL_CHUNK 256
/* A slow body is released in this many equal slices over its latency. */
#define SLOW_SLICES 16
/* Headers numbering a request for its random stream: the client's sequence
 * number and, for the client's own retries, the attempt (0..255). */
#define SEQ_HEADER "X-PB-Seq"
#define ATTEMPT_HEADER "X-PB-Attempt"
/* Slots of the table of recent closes (see pb_mock.closed). */
#define CLOSED_SLOTS 4096
/* Bodies of the fixed answers (their lengths go into request records). */
#define RATE_LIMITED_TEXT "mock: rate limit exceeded\n"
#define CAPACITY_FULL_TEXT "mock: capacity queue full\n"
#define MALFORMED_TEXT "mock: malformed response\n"

/* What a timer entry does when due. */
enum timer_kind {
    T_RESUME,       /* resume the request's connection */
    T_SERVICE_END,  /* release its capacity slot (if held), then resume it */
    T_SLOT_RELEASE, /* a slow body's service time is over: release a slot */
};

typedef enum req_kind { REQ_MOCK, REQ_ADMIN } req_kind;

/* One phase of a running profile, with its responses made up front so that
 * answering never allocates. */
typedef struct phase_rt {
    pb_usec at;
    const char *name;
    const pb_mock_settings *s;
    struct MHD_Response *ok; /* its body points into pb_mock.body_bytes */
    struct MHD_Response *error[PB_MOCK_MAX_ERRORS];
    uint8_t error_len[PB_MOCK_MAX_ERRORS]; /* their bodies' bytes */
    struct MHD_Response *rate_limited;
    struct MHD_Response *malformed;
} phase_rt;

/* A running profile; requests hold a reference while they live, so a PUT
 * can replace it under them. */
typedef struct profile {
    atomic_uint refs;
    pb_mock_config *cfg;
    int n;
    phase_rt phase[1 + PB_MOCK_MAX_PHASES];
} profile;

typedef struct request {
    pb_capacity_link link; /* first: a queued request is found from its link */
    struct request *next_free;
    pb_mock *m;
    struct MHD_Connection *conn;
    req_kind kind;
    bool decided;
    bool holds_slot; /* in service under the capacity limit; guarded by mu */
    bool in_flight;
    bool has_seq;    /* the client numbered it (X-PB-Seq) */
    uint64_t stream; /* its random stream: sequence number and attempt */
    profile *prof;
    const phase_rt *phase;
    pb_fault_decision d;
    pb_usec service_start;
    /* what its record says (pb_mock_request_record); the rest is in d and stream */
    bool counted;    /* in the counters: it gets a record */
    bool head;       /* HEAD: no body goes out */
    bool was_queued; /* waited for a capacity slot; service_start 0 until it left */
    uint8_t outcome; /* its pb_mock_kind, counted */
    uint16_t status; /* counted */
    int phase_index; /* that of `phase`, also for requests that hold no profile */
    uint32_t capacity, queued_ahead;
    pb_usec arrived;   /* read only when there is a request hook */
    uint64_t body_out; /* bytes of the body of the answer queued */
    uint64_t slow_out; /* of a slow body: bytes handed to MHD so far */
    uint64_t body_in;  /* bytes of its request body received */
    bool body_in_too_big; /* more than PB_MOCK_MAX_REQUEST_BODY: answered 413 */
    char *body;        /* admin request body */
    size_t body_len, body_cap;
    size_t body_reserved; /* its share of PB_MOCK_ADMIN_BODIES_MAX */
    bool body_too_big;
} request;

/* What the server knows of one connection (its MHD socket context). */
typedef struct connection {
    /* a request ended otherwise than with its answer sent (a reset, a hang's
     * close, a timeout counted then, the client gone): that is why it closes */
    bool request_closed;
} connection;

typedef struct pool_chunk {
    struct pool_chunk *next;
    request reqs[POOL_CHUNK];
} pool_chunk;

/* The counters of pb_mock_stats (PB_MOCK_COUNTER_MAP), relaxed atomics
 * read by pb_mock_get_stats; of its gauges, only in_flight is kept here. */
typedef struct counters {
#define COUNTER_FIELD(counter, metric, label) atomic_uint_fast64_t counter;
    PB_MOCK_COUNTER_MAP(COUNTER_FIELD)
#undef COUNTER_FIELD
    atomic_uint_fast64_t status[600];
    atomic_uint in_flight;
    atomic_uint connections;
    atomic_uint_fast64_t admin_body_bytes; /* received */
    atomic_uint_fast64_t admin_reserved;   /* promised to admin bodies being received */
} counters;

struct pb_mock {
    struct MHD_Daemon *daemon;
    int listen_fd;
    unsigned idle_timeout_ms; /* 0 = none */
    pb_mock_admin_access admin;
    char admin_token[PB_MOCK_TOKEN_MAX + 1];
    uint16_t port;
    char url[80];
    pb_mock_hooks hooks;
    struct MHD_Response *capacity_full;

    pthread_t timer;
    bool timer_started;

    /* mu guards prof, phase_start, phase_epoch, heap, cap, bucket, quit and
     * closed; wake tells the timer thread that one of them changed */
    pthread_mutex_t mu;
    pthread_cond_t wake;
    profile *prof;
    pb_usec phase_start;
    pb_usec phase_skip;   /* the phase clock read this much at phase_start (a resumed run) */
    uint64_t phase_epoch; /* bumped by each restart of the phase clock */
    pb_timer_heap heap;
    pb_capacity cap;
    pb_token_bucket bucket;
    bool quit;
    atomic_bool stopping;

    atomic_uint_fast64_t next_seq;
    counters c;

    pthread_mutex_t pool_mu;
    request *free_list;
    pool_chunk *chunks;

    /* Recent resets and hang closes of numbered requests, by stream,
     * direct-mapped. A client that sends one of them again
     * (libcurl does, on a kept-alive connection) is counted as resending. */
    struct closed_entry {
        uint64_t stream;
        uint8_t kind; /* 0 = empty, else PB_MOCK_RESET or PB_MOCK_HANG */
    } closed[CLOSED_SLOTS];

    /* The bytes of every 200 body: one mapping of PB_MOCK_MAX_BODY bytes
     * (address space only, until written), filled up to the largest body a
     * profile has needed so far. Every body is a prefix of the same text, so
     * the responses of every phase of every profile point into it: bodies
     * cost the largest body, not one per phase or per profile still held by
     * a request. body_mu guards body_filled; the bytes below it never change. */
    pthread_mutex_t body_mu;
    char *body_bytes;
    size_t body_filled;

    atomic_flag logged; /* set once MHD's first message is in start_log */
    char start_log[256];
};

static char body_byte(uint64_t i)
{
    return i % 64 == 63 ? '\n' : (char)('a' + i % 26);
}

static void fill_body(char *buf, uint64_t pos, size_t n)
{
    for (size_t i = 0; i < n; i++)
        buf[i] = body_byte(pos + i);
}

/* ---- request pool ---------------------------------------------------- */

static int pool_grow(pb_mock *m)
{
    pool_chunk *c = malloc(sizeof(*c));
    if (c == NULL)
        return PB_ENOMEM;
    c->next = m->chunks;
    m->chunks = c;
    for (int i = 0; i < POOL_CHUNK; i++) {
        c->reqs[i].next_free = m->free_list;
        m->free_list = &c->reqs[i];
    }
    return 0;
}

static request *request_get(pb_mock *m)
{
    request *r = NULL;
    pthread_mutex_lock(&m->pool_mu);
    if (m->free_list != NULL || pool_grow(m) == 0) {
        r = m->free_list;
        m->free_list = r->next_free;
    }
    pthread_mutex_unlock(&m->pool_mu);
    if (r != NULL)
        memset(r, 0, sizeof(*r));
    return r;
}

static void request_put(pb_mock *m, request *r)
{
    free(r->body);
    atomic_fetch_sub(&m->c.admin_body_bytes, r->body_len);
    atomic_fetch_sub(&m->c.admin_reserved, r->body_reserved);
    pthread_mutex_lock(&m->pool_mu);
    r->next_free = m->free_list;
    m->free_list = r;
    pthread_mutex_unlock(&m->pool_mu);
}

/* ---- profiles -------------------------------------------------------- */

static struct MHD_Response *text_response(const char *text, const char *retry_after)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
    if (r == NULL)
        return NULL;
    if (MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain") != MHD_YES ||
        (retry_after != NULL &&
         MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, retry_after) != MHD_YES)) {
        MHD_destroy_response(r);
        return NULL;
    }
    return r;
}

static void profile_free(profile *p)
{
    if (p == NULL)
        return;
    for (int i = 0; i < p->n; i++) {
        phase_rt *ph = &p->phase[i];
        if (ph->ok != NULL)
            MHD_destroy_response(ph->ok);
        for (int e = 0; e < PB_MOCK_MAX_ERRORS; e++)
            if (ph->error[e] != NULL)
                MHD_destroy_response(ph->error[e]);
        if (ph->rate_limited != NULL)
            MHD_destroy_response(ph->rate_limited);
        if (ph->malformed != NULL)
            MHD_destroy_response(ph->malformed);
    }
    pb_mock_config_destroy(p->cfg);
    free(p);
}

static void profile_release(profile *p)
{
    if (atomic_fetch_sub(&p->refs, 1) == 1)
        profile_free(p);
}

/* The first `size` bytes of the body text, written into m->body_bytes if
 * no profile needed them before. */
static const char *body_prefix(pb_mock *m, size_t size)
{
    const char *bytes = NULL;
    pthread_mutex_lock(&m->body_mu);
    if (m->body_bytes == NULL) {
        void *map = mmap(NULL, PB_MOCK_MAX_BODY, PROT_READ | PROT_WRITE,
                         MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (map != MAP_FAILED)
            m->body_bytes = map;
    }
    if (m->body_bytes != NULL) {
        if (size > m->body_filled) {
            fill_body(m->body_bytes + m->body_filled, m->body_filled, size - m->body_filled);
            m->body_filled = size;
        }
        bytes = m->body_bytes;
    }
    pthread_mutex_unlock(&m->body_mu);
    return bytes;
}

static struct MHD_Response *ok_response(pb_mock *m, uint64_t size)
{
    if (size == 0)
        return text_response("", NULL);
    assert(size <= PB_MOCK_MAX_BODY);
    const char *body = body_prefix(m, (size_t)size);
    if (body == NULL)
        return NULL;
    struct MHD_Response *r =
        MHD_create_response_from_buffer(size, (void *)body, MHD_RESPMEM_PERSISTENT);
    if (r == NULL)
        return NULL;
    if (MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain") != MHD_YES) {
        MHD_destroy_response(r);
        return NULL;
    }
    return r;
}

/* A response that is not valid HTTP. MHD always writes a well-formed status
 * line and computes Content-Length itself, so the one thing it lets us break
 * is a header: with MHD_RF_INSANITY_HEADER_CONTENT_LENGTH it sends our own
 * Content-Length, which here is not a number. Clients reject the response
 * (curl: CURLE_WEIRD_SERVER_REPLY, "Invalid Content-Length: value"). */
static struct MHD_Response *malformed_response(void)
{
    static const char text[] = MALFORMED_TEXT;
    struct MHD_Response *r =
        MHD_create_response_from_buffer(sizeof(text) - 1, (void *)text, MHD_RESPMEM_PERSISTENT);
    if (r == NULL)
        return NULL;
    if (MHD_set_response_options(r, MHD_RF_INSANITY_HEADER_CONTENT_LENGTH, MHD_RO_END) != MHD_YES ||
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_LENGTH, "not-a-number") != MHD_YES) {
        MHD_destroy_response(r);
        return NULL;
    }
    return r;
}

static int phase_build(pb_mock *m, phase_rt *ph)
{
    const pb_mock_settings *s = ph->s;
    ph->ok = ok_response(m, s->body_size);
    if (ph->ok == NULL)
        return PB_ENOMEM;
    for (int e = 0; e < s->n_errors; e++) {
        char text[64];
        snprintf(text, sizeof(text), "mock: injected %u\n", (unsigned)s->error_status[e]);
        ph->error_len[e] = (uint8_t)strlen(text);
        ph->error[e] = text_response(text, s->error_status[e] == 429 ? "1" : NULL);
        if (ph->error[e] == NULL)
            return PB_ENOMEM;
    }
    if (s->rate_limit > 0) {
        /* a whole number of seconds, enough for at least one token to come back */
        char after[32];
        snprintf(after, sizeof(after), "%.0f", fmax(1.0, ceil(1.0 / s->rate_limit)));
        ph->rate_limited = text_response(RATE_LIMITED_TEXT, after);
        if (ph->rate_limited == NULL)
            return PB_ENOMEM;
    }
    ph->malformed = malformed_response();
    return ph->malformed == NULL ? PB_ENOMEM : 0;
}

static int profile_create(pb_mock *m, const pb_mock_config *cfg, profile **out)
{
    profile *p = calloc(1, sizeof(*p));
    if (p == NULL)
        return PB_ENOMEM;
    atomic_init(&p->refs, 1);
    int rc = pb_mock_config_clone(cfg, &p->cfg);
    if (rc != 0)
        goto fail;
    p->n = pb_mock_config_phase_count(p->cfg);
    for (int i = 0; i < p->n; i++) {
        phase_rt *ph = &p->phase[i];
        pb_mock_config_phase_info(p->cfg, i, &ph->at, &ph->name);
        ph->s = i == 0 ? &p->cfg->base : &p->cfg->phases[i - 1].s;
        rc = phase_build(m, ph);
        if (rc != 0)
            goto fail;
    }
    *out = p;
    return 0;
fail:
    profile_free(p);
    return rc;
}

/* The phase active `elapsed` after the phase clock started. */
static int phase_index(const profile *p, pb_usec elapsed)
{
    int i = p->n - 1;
    while (i > 0 && p->phase[i].at > elapsed)
        i--;
    return i;
}

/* Under mu. */
static pb_usec phase_elapsed(const pb_mock *m, pb_usec now)
{
    return (now > m->phase_start ? now - m->phase_start : 0) + m->phase_skip;
}

/* ---- timers and capacity (all under mu) -------------------------------- */

static int push_timer(pb_mock *m, pb_usec deadline, int kind, void *item)
{
    pb_usec first = pb_timer_heap_next(&m->heap);
    int rc = pb_timer_heap_push(&m->heap, deadline, kind, item);
    if (rc == 0 && deadline < first)
        pthread_cond_signal(&m->wake);
    return rc;
}

/* r's service begins now. Returns true when the caller should answer r at
 * once; `suspended` says r is waiting in the queue (then "at once" means
 * resuming it). */
static bool start_service(pb_mock *m, request *r, pb_usec now, bool suspended)
{
    r->service_start = now;
    pb_usec end = now + r->d.latency;
    bool delayed = r->d.action != PB_MOCK_SLOW_BODY && r->d.latency > 0;
    if (delayed && push_timer(m, end, T_SERVICE_END, r) == 0) {
        if (!suspended)
            MHD_suspend_connection(r->conn);
        return false;
    }
    /* Answered now: a slow body (headers now, body over the latency; its
     * slot is released by a timer entry of its own), no latency, or no
     * memory for the timer (better without the delay than never). */
    if (r->holds_slot) {
        bool slot_timer = r->d.action == PB_MOCK_SLOW_BODY && r->d.latency > 0 &&
                          push_timer(m, end, T_SLOT_RELEASE, NULL) == 0;
        if (!slot_timer)
            pb_capacity_finish(&m->cap);
        r->holds_slot = false;
    }
    if (suspended) {
        MHD_resume_connection(r->conn);
        return false;
    }
    return true;
}

/* Start queued requests while the current phase's capacity allows. */
static void promote(pb_mock *m, pb_usec now)
{
    if (m->cap.queued == 0)
        return;
    const phase_rt *ph = &m->prof->phase[phase_index(m->prof, phase_elapsed(m, now))];
    pb_capacity_link *l;
    while ((l = pb_capacity_next(&m->cap, ph->s->capacity)) != NULL) {
        request *r = (request *)l;
        r->holds_slot = true;
        start_service(m, r, now, true);
    }
}

static void fire(pb_mock *m, const pb_timer_entry *e, pb_usec now)
{
    request *r = e->item;
    switch (e->kind) {
    case T_RESUME:
        MHD_resume_connection(r->conn);
        break;
    case T_SERVICE_END:
        if (r->holds_slot) {
            r->holds_slot = false;
            pb_capacity_finish(&m->cap);
            promote(m, now);
        }
        MHD_resume_connection(r->conn); /* r belongs to its MHD thread from here */
        break;
    case T_SLOT_RELEASE:
        pb_capacity_finish(&m->cap);
        promote(m, now);
        break;
    }
}

static void wait_until(pb_mock *m, pb_usec deadline)
{
    if (deadline == PB_USEC_NEVER) {
        pthread_cond_wait(&m->wake, &m->mu);
        return;
    }
    struct timespec ts = {(time_t)(deadline / PB_USEC_PER_SEC),
                          (long)(deadline % PB_USEC_PER_SEC) * 1000};
    /* ETIMEDOUT and spurious wake-ups alike: the loop re-reads the clock */
    (void)pthread_cond_timedwait(&m->wake, &m->mu, &ts);
}

/* The timer thread: fires due entries, moves queued requests into service
 * when the limit rises, and reports phase changes. */
static void *timer_main(void *arg)
{
    pb_mock *m = arg;
    uint64_t seen_epoch = 0;
    int announced = -1;
    /* Linux lets a timed wait overrun by the thread's timer slack (50 us by
     * default); an injected delay should not. The result is ignored on
     * purpose: should it fail, delays merely run up to 50 us long. */
    (void)prctl(PR_SET_TIMERSLACK, 1000UL, 0UL, 0UL, 0UL);
    pthread_mutex_lock(&m->mu);
    while (!m->quit) {
        pb_usec now = pb_monotime_now();
        if (m->phase_epoch != seen_epoch) {
            seen_epoch = m->phase_epoch;
            announced = -1;
        }
        int idx = phase_index(m->prof, phase_elapsed(m, now));
        if (announced != idx)
            promote(m, now); /* a new phase may allow more in service */
        while (announced < idx && seen_epoch == m->phase_epoch) {
            announced++;
            if (m->hooks.phase == NULL)
                continue;
            char name[sizeof(((pb_mock_phase *)0)->name)];
            snprintf(name, sizeof(name), "%s", m->prof->phase[announced].name);
            pb_usec at = m->prof->phase[announced].at;
            pthread_mutex_unlock(&m->mu);
            m->hooks.phase(m->hooks.data, announced, name, at);
            pthread_mutex_lock(&m->mu);
        }
        if (seen_epoch != m->phase_epoch || m->quit)
            continue;
        pb_timer_entry e;
        while (pb_timer_heap_pop_due(&m->heap, now, &e))
            fire(m, &e, now);
        pb_usec next = pb_timer_heap_next(&m->heap);
        if (idx + 1 < m->prof->n) {
            /* past phase_skip: idx + 1 has not begun */
            pb_usec boundary = m->phase_start + (m->prof->phase[idx + 1].at - m->phase_skip);
            if (boundary < next)
                next = boundary;
        }
        wait_until(m, next);
    }
    pthread_mutex_unlock(&m->mu);
    return NULL;
}

/* ---- answering --------------------------------------------------------- */

static void count_status(pb_mock *m, unsigned status)
{
    if (status < 600)
        atomic_fetch_add_explicit(&m->c.status[status], 1, memory_order_relaxed);
}

/* Count request r: its kind's counter, its status (0: none), requests. From
 * here on it gets a record when it completes. */
static void count(pb_mock *m, request *r, pb_mock_kind kind, unsigned status)
{
    /* each kind's counter, from its row */
    static const size_t field[PB_MOCK_KIND_COUNT] = {
#define KIND_COUNTER(e, counter, label) [PB_MOCK_KIND_##e] = offsetof(counters, counter),
        PB_MOCK_OUTCOME_MAP(KIND_COUNTER)
#undef KIND_COUNTER
    };
    r->counted = true;
    r->outcome = (uint8_t)kind;
    r->status = (uint16_t)status;
    atomic_fetch_add_explicit((atomic_uint_fast64_t *)((char *)&m->c + field[kind]), 1,
                              memory_order_relaxed);
    if (status != 0)
        count_status(m, status);
    atomic_fetch_add_explicit(&m->c.requests, 1, memory_order_relaxed);
}

static void count_decision(pb_mock *m, request *r)
{
    /* each action's kind: ok, error, then the faults' own */
    /* clang-format off */
#define FAULT_KIND(e, name, counter, outcome, status) [PB_MOCK_##e] = PB_MOCK_KIND_##e,
    static const pb_mock_kind kind[] = {
        [PB_MOCK_OK] = PB_MOCK_KIND_OK,
        [PB_MOCK_ERROR] = PB_MOCK_KIND_ERROR,
        PB_MOCK_FAULT_MAP(FAULT_KIND)
    };
#undef FAULT_KIND
    /* clang-format on */
    count(m, r, kind[r->d.action], r->d.status);
}

static ssize_t slow_body_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    request *r = cls;
    pb_mock *m = r->m;
    uint64_t total = r->phase->s->body_size;
    if (atomic_load(&m->stopping))
        return MHD_CONTENT_READER_END_WITH_ERROR;
    if (pos >= total)
        return MHD_CONTENT_READER_END_OF_STREAM;
    pb_usec now = pb_monotime_now();
    pb_usec lat = r->d.latency;
    uint64_t slices = total < SLOW_SLICES ? total : SLOW_SLICES;
    uint64_t due = lat == 0 || now >= r->service_start + lat
                       ? slices
                       : slices * (now - r->service_start) / lat;
    uint64_t allowed = total * due / slices;
    if (allowed > pos) {
        size_t n = allowed - pos < max ? (size_t)(allowed - pos) : max;
        fill_body(buf, pos, n);
        r->slow_out = pos + n;
        return (ssize_t)n;
    }
    /* Nothing to send before the next slice: suspend until then rather than
     * return 0 and be polled again (a busy loop). */
    pb_usec wake = r->service_start + (lat * (due + 1) + slices - 1) / slices;
    pthread_mutex_lock(&m->mu);
    if (atomic_load(&m->stopping) || push_timer(m, wake, T_RESUME, r) != 0) {
        pthread_mutex_unlock(&m->mu);
        return MHD_CONTENT_READER_END_WITH_ERROR;
    }
    MHD_suspend_connection(r->conn);
    pthread_mutex_unlock(&m->mu);
    return 0;
}

static struct closed_entry *closed_slot(pb_mock *m, uint64_t stream)
{
    return &m->closed[pb_mix64(stream) % CLOSED_SLOTS];
}

/* A numbered request is about to be closed without an answer. */
static void remember_close(pb_mock *m, const request *r)
{
    if (!r->has_seq)
        return;
    pthread_mutex_lock(&m->mu);
    struct closed_entry *e = closed_slot(m, r->stream);
    e->stream = r->stream;
    e->kind = (uint8_t)r->d.action;
    pthread_mutex_unlock(&m->mu);
}

/* Under mu: count a resend of a request closed earlier. */
static void count_resend(pb_mock *m, uint64_t stream)
{
    struct closed_entry *e = closed_slot(m, stream);
    if (e->kind == 0 || e->stream != stream)
        return;
    atomic_fetch_add_explicit(e->kind == PB_MOCK_RESET ? &m->c.resent_resets : &m->c.resent_hangs,
                              1, memory_order_relaxed);
    e->kind = 0;
}

/* Queue r's answer, whose body is `len` bytes. */
static enum MHD_Result queue(request *r, unsigned status, struct MHD_Response *resp, uint64_t len)
{
    r->body_out = len;
    return MHD_queue_response(r->conn, status, resp);
}

static enum MHD_Result answer(pb_mock *m, request *r)
{
    const phase_rt *ph = r->phase;
    switch (r->d.action) {
    case PB_MOCK_OK:
        return queue(r, 200, ph->ok, ph->s->body_size);
    case PB_MOCK_ERROR:
        for (int e = 0; e < ph->s->n_errors; e++)
            if (ph->s->error_status[e] == r->d.status)
                return queue(r, r->d.status, ph->error[e], ph->error_len[e]);
        assert(!"injected status not in its phase");
        return MHD_NO;
    case PB_MOCK_RESET: {
        remember_close(m, r);
        /* SO_LINGER 0 makes close() send RST; MHD_USE_TURBO keeps MHD from
         * calling shutdown() first, which would send FIN instead */
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        struct linger lg = {1, 0};
        if (ci == NULL || setsockopt(ci->connect_fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)) != 0)
            return MHD_NO; /* still closed, with FIN */
        return MHD_NO;
    }
    case PB_MOCK_HANG:
        /* hang-max reached: close without an answer */
        remember_close(m, r);
        return MHD_NO;
    case PB_MOCK_MALFORMED:
        return queue(r, 200, ph->malformed, sizeof(MALFORMED_TEXT) - 1);
    case PB_MOCK_SLOW_BODY: {
        struct MHD_Response *resp =
            MHD_create_response_from_callback(ph->s->body_size, 4096, slow_body_read, r, NULL);
        if (resp == NULL)
            return MHD_NO;
        enum MHD_Result rc = MHD_YES;
        if (MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain") != MHD_YES)
            rc = MHD_NO;
        if (rc == MHD_YES)
            rc = queue(r, 200, resp, ph->s->body_size);
        MHD_destroy_response(resp);
        return rc;
    }
    }
    return MHD_NO;
}

/* Under mu: r arrives now, in the phase the phase clock is in. */
static const phase_rt *arrival(pb_mock *m, request *r, pb_usec now)
{
    int i = phase_index(m->prof, phase_elapsed(m, now));
    r->phase_index = i;
    r->capacity = m->prof->phase[i].s->capacity;
    r->queued_ahead = m->cap.queued;
    return &m->prof->phase[i];
}

static enum MHD_Result bad_header(pb_mock *m, request *r, const char *name, const char *expect,
                                  const char *value)
{
    char text[300];
    snprintf(text, sizeof(text), "mock: %s: expected %s, got \"%.100s\"\n", name, expect, value);
    pthread_mutex_lock(&m->mu);
    if (atomic_load(&m->stopping)) {
        pthread_mutex_unlock(&m->mu);
        return MHD_NO;
    }
    (void)arrival(m, r, pb_monotime_now()); /* for its record only */
    pthread_mutex_unlock(&m->mu);
    count(m, r, PB_MOCK_KIND_BAD_REQUEST, 400);
    struct MHD_Response *resp = text_response(text, NULL);
    if (resp == NULL)
        return MHD_NO;
    enum MHD_Result rc = queue(r, 400, resp, strlen(text));
    MHD_destroy_response(resp);
    return rc;
}

/* Answer 413 to a request whose body is larger than the mock takes. */
static enum MHD_Result too_large(pb_mock *m, request *r, const char *method)
{
    char text[160];
    snprintf(text, sizeof(text), "mock: %s: expected a body of at most %u bytes\n", method,
             PB_MOCK_MAX_REQUEST_BODY);
    /* numbered in its record as arrive() would number it, when the numbers are valid */
    uint64_t seq, attempt = 0;
    const char *h = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, SEQ_HEADER);
    if (h != NULL && pb_parse_u64(h, SEQ_HEADER, 0, UINT64_MAX >> 8, &seq, NULL) == 0) {
        r->has_seq = true;
        h = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, ATTEMPT_HEADER);
        if (h != NULL && pb_parse_u64(h, ATTEMPT_HEADER, 0, 255, &attempt, NULL) != 0)
            attempt = 0;
        r->stream = seq << 8 | attempt;
    }
    pthread_mutex_lock(&m->mu);
    if (atomic_load(&m->stopping)) {
        pthread_mutex_unlock(&m->mu);
        return MHD_NO;
    }
    (void)arrival(m, r, pb_monotime_now()); /* for its record only */
    pthread_mutex_unlock(&m->mu);
    r->decided = true;
    count(m, r, PB_MOCK_KIND_BAD_REQUEST, 413);
    struct MHD_Response *resp = text_response(text, NULL);
    if (resp == NULL)
        return MHD_NO;
    enum MHD_Result rc = queue(r, 413, resp, strlen(text));
    MHD_destroy_response(resp);
    return rc;
}

/* Whether the request's Content-Length announces more than the mock takes. */
static bool announced_too_large(struct MHD_Connection *conn)
{
    const char *length =
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    uint64_t n;
    /* MHD itself answers 400 to a Content-Length that is not a number */
    return length != NULL &&
           pb_parse_u64(length, MHD_HTTP_HEADER_CONTENT_LENGTH, 0, UINT64_MAX, &n, NULL) == 0 &&
           n > PB_MOCK_MAX_REQUEST_BODY;
}

/* The second handler call of a mock request: decide what happens to it. */
static enum MHD_Result arrive(pb_mock *m, request *r)
{
    uint64_t seq, attempt = 0;
    const char *h = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, SEQ_HEADER);
    if (h != NULL) {
        if (pb_parse_u64(h, SEQ_HEADER, 0, UINT64_MAX >> 8, &seq, NULL) != 0)
            return bad_header(m, r, SEQ_HEADER, "a whole number below 2^56", h);
        r->has_seq = true;
    } else {
        seq = atomic_fetch_add_explicit(&m->next_seq, 1, memory_order_relaxed);
    }
    r->stream = seq << 8; /* the record's seq, should the attempt be bad */
    h = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, ATTEMPT_HEADER);
    if (h != NULL && pb_parse_u64(h, ATTEMPT_HEADER, 0, 255, &attempt, NULL) != 0)
        return bad_header(m, r, ATTEMPT_HEADER, "a whole number from 0 to 255", h);
    r->stream = seq << 8 | attempt;
    r->decided = true;
    pb_usec now = pb_monotime_now();
    pthread_mutex_lock(&m->mu);
    if (atomic_load(&m->stopping)) {
        pthread_mutex_unlock(&m->mu);
        return MHD_NO;
    }
    r->prof = m->prof;
    atomic_fetch_add(&r->prof->refs, 1);
    r->phase = arrival(m, r, now);
    const pb_mock_settings *s = r->phase->s;
    r->in_flight = true;
    atomic_fetch_add(&m->c.in_flight, 1);
    if (r->has_seq)
        count_resend(m, r->stream);

    if (s->rate_limit > 0 && !pb_token_bucket_take(&m->bucket, s->rate_limit, s->rate_burst, now)) {
        pthread_mutex_unlock(&m->mu);
        count(m, r, PB_MOCK_KIND_RATE_LIMITED, 429);
        return queue(r, 429, r->phase->rate_limited, sizeof(RATE_LIMITED_TEXT) - 1);
    }
    pb_fault_decide(s, r->prof->cfg->seed, r->stream, &r->d);
    if (r->d.action == PB_MOCK_HANG) {
        /* held without a thread until hang-max; the client giving up earlier
         * is not seen while the connection is suspended */
        int rc = push_timer(m, now + s->hang_max, T_RESUME, r);
        if (rc == 0)
            MHD_suspend_connection(r->conn);
        pthread_mutex_unlock(&m->mu);
        count_decision(m, r);
        return rc == 0 ? MHD_YES : MHD_NO;
    }
    if (s->capacity > 0) {
        promote(m, now); /* those queued first, should the limit have risen */
        switch (pb_capacity_arrive(&m->cap, s->capacity, s->queue_limit, &r->link)) {
        case PB_CAPACITY_REJECT:
            pthread_mutex_unlock(&m->mu);
            count(m, r, PB_MOCK_KIND_REJECTED_CAPACITY, 503);
            return queue(r, 503, m->capacity_full, sizeof(CAPACITY_FULL_TEXT) - 1);
        case PB_CAPACITY_QUEUED:
            r->was_queued = true;
            MHD_suspend_connection(r->conn);
            pthread_mutex_unlock(&m->mu);
            count_decision(m, r);
            return MHD_YES;
        case PB_CAPACITY_START:
            r->holds_slot = true;
            break;
        }
    }
    bool now_answer = start_service(m, r, now, false);
    pthread_mutex_unlock(&m->mu);
    count_decision(m, r);
    return now_answer ? answer(m, r) : MHD_YES;
}

/* Keep the next part of an admin body, within what was reserved for it. */
static void body_append(pb_mock *m, request *r, const char *data, size_t len)
{
    if (r->body_too_big)
        return;
    if (r->body_len + len > r->body_reserved) {
        r->body_too_big = true;
        return;
    }
    if (r->body == NULL) {
        /* pages are taken as the body arrives */
        r->body = malloc(r->body_reserved + 1);
        if (r->body == NULL) {
            r->body_too_big = true;
            return;
        }
        r->body_cap = r->body_reserved + 1;
    }
    memcpy(r->body + r->body_len, data, len);
    r->body_len += len;
    r->body[r->body_len] = '\0';
    atomic_fetch_add(&m->c.admin_body_bytes, len);
}

/* The first handler call of an admin or metrics request, before its body is
 * read: refuse it at once if it may not go on, or reserve room for its body
 * (its Content-Length, or the largest body when it is chunked) so that all
 * bodies being received together stay within PB_MOCK_ADMIN_BODIES_MAX.
 * Answering here makes MHD close the connection after the answer, which is
 * what a body left unread calls for. */
static enum MHD_Result admin_begin(pb_mock *m, request *r, const char *url, const char *method)
{
    char msg[256];
    const char *why;
    unsigned status = pb_mock_admin_check(&m->admin, r->conn, url, &why);
    if (status != 0)
        return pb_mock_admin_refuse(r->conn, status, why);
    const char *length =
        MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    uint64_t want = 0;
    if (length != NULL) {
        /* MHD itself answers 400 to a Content-Length that is not a number */
        if (pb_parse_u64(length, MHD_HTTP_HEADER_CONTENT_LENGTH, 0, UINT64_MAX, &want, NULL) != 0)
            want = PB_MOCK_ADMIN_MAX_BODY;
    } else if (MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
                                           MHD_HTTP_HEADER_TRANSFER_ENCODING) != NULL) {
        want = PB_MOCK_ADMIN_MAX_BODY;
    }
    if (want > PB_MOCK_ADMIN_MAX_BODY) {
        snprintf(msg, sizeof(msg), "%s %s: the body is larger than %u bytes", method, url,
                 PB_MOCK_ADMIN_MAX_BODY);
        return pb_mock_admin_refuse(r->conn, 413, msg);
    }
    if (want == 0)
        return MHD_YES;
    uint64_t held = atomic_fetch_add(&m->c.admin_reserved, want);
    if (held + want > PB_MOCK_ADMIN_BODIES_MAX) {
        atomic_fetch_sub(&m->c.admin_reserved, want);
        snprintf(msg, sizeof(msg),
                 "%s %s: admin request bodies being received already hold %llu of the %u bytes "
                 "allowed; retry later",
                 method, url, (unsigned long long)held, PB_MOCK_ADMIN_BODIES_MAX);
        return pb_mock_admin_refuse(r->conn, 503, msg);
    }
    r->body_reserved = (size_t)want;
    return MHD_YES;
}

/* The admin API's view of the server: the public calls, data being the pb_mock. */
static char *admin_stats(void *data, bool prometheus)
{
    pb_mock_stats s;
    pb_mock_get_stats(data, &s);
    return prometheus ? pb_mock_stats_to_prometheus(&s) : pb_mock_stats_to_json(&s);
}

static char *admin_profile(void *data)
{
    return pb_mock_profile_json(data);
}

static int admin_set_profile(void *data, const char *json, const char *source, pb_err *err)
{
    return pb_mock_set_profile(data, json, source, err);
}

static void admin_restart_phases(void *data)
{
    pb_mock_restart_phases(data);
}

static const pb_mock_admin_ops admin_ops = {admin_stats, admin_profile, admin_set_profile,
                                            admin_restart_phases};

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **req_cls)
{
    pb_mock *m = cls;
    request *r = *req_cls;
    if (r == NULL) {
        /* First call: only bookkeeping. Answering (or suspending) here makes
         * MHD 0.9.75 close the connection after the reply. */
        r = request_get(m);
        if (r == NULL)
            return MHD_NO;
        r->m = m;
        r->conn = conn;
        r->kind = pb_mock_admin_path(url) ? REQ_ADMIN : REQ_MOCK;
        *req_cls = r;
        if (r->kind == REQ_ADMIN)
            return admin_begin(m, r, url, method);
        if (m->hooks.request != NULL) {
            r->arrived = pb_monotime_now();
            r->head = strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
        }
        /* not worth reading: answered now, and MHD closes the connection
         * after the answer since the body stays unread */
        if (announced_too_large(conn))
            return too_large(m, r, method);
        return MHD_YES;
    }
    if (*upload_size != 0) {
        if (r->kind == REQ_ADMIN) {
            body_append(m, r, upload, *upload_size);
        } else if (!r->decided) {
            /* a mock request's body is read whole, counted and dropped (the
             * memory it takes is MHD's read buffer); a chunked one beyond the
             * limit is read to its end, then answered 413 */
            r->body_in += *upload_size;
            r->body_in_too_big |= r->body_in > PB_MOCK_MAX_REQUEST_BODY;
            atomic_fetch_add_explicit(&m->c.received_bytes, *upload_size, memory_order_relaxed);
        }
        *upload_size = 0;
        return MHD_YES;
    }
    if (r->kind == REQ_MOCK && !r->decided && r->body_in_too_big)
        return too_large(m, r, method);
    if (r->kind == REQ_MOCK && r->status == 413)
        return MHD_YES; /* answered on its first call: nothing more to do */
    if (r->kind == REQ_ADMIN)
        return pb_mock_admin_answer(&admin_ops, m, conn, method, url, r->body, r->body_len,
                                    r->body_too_big);
    if (atomic_load(&m->stopping))
        return MHD_NO;
    if (!r->decided)
        return arrive(m, r);
    return answer(m, r); /* resumed: its time has come */
}

/* Hand r's record to the request hook. */
static void report(pb_mock *m, const request *r, enum MHD_RequestTerminationCode toe)
{
    pb_mock_request_record rec = {
        .arrived = r->arrived,
        .ended = pb_monotime_now(),
        .seq = r->has_seq ? r->stream >> 8 : 0,
        .has_seq = r->has_seq,
        .attempt = (uint8_t)(r->stream & 0xff),
        .kind = (pb_mock_kind)r->outcome,
        .status = r->status,
        .latency = r->d.latency,
        .phase = r->phase_index,
        .capacity = r->capacity,
        .queued = r->queued_ahead,
        .bytes_in = r->body_in,
        .completed = toe == MHD_REQUEST_TERMINATED_COMPLETED_OK,
    };
    /* a queued request the server stopped before it left the queue: its
     * service never began */
    rec.started = !r->was_queued          ? rec.arrived
                  : r->service_start != 0 ? r->service_start
                                          : rec.ended;
    if (r->head)
        rec.bytes = 0;
    else if (rec.completed)
        rec.bytes = r->body_out;
    else if (r->d.action == PB_MOCK_SLOW_BODY)
        rec.bytes = r->slow_out;
    m->hooks.request(m->hooks.data, &rec);
}

/* Every request whose handler MHD called ends here, once: answered, closed,
 * timed out, or closed by MHD_stop_daemon. */
static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
                         enum MHD_RequestTerminationCode toe)
{
    pb_mock *m = cls;
    request *r = *req_cls;
    if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK) {
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
        connection *k = ci != NULL ? ci->socket_context : NULL;
        if (k != NULL)
            k->request_closed = true;
        if (toe == MHD_REQUEST_TERMINATED_TIMEOUT_REACHED)
            atomic_fetch_add_explicit(&m->c.timed_out_connections, 1, memory_order_relaxed);
    }
    if (r == NULL)
        return;
    *req_cls = NULL;
    if (r->counted && m->hooks.request != NULL)
        report(m, r, toe);
    if (r->in_flight)
        atomic_fetch_sub(&m->c.in_flight, 1);
    if (r->prof != NULL)
        profile_release(r->prof);
    request_put(m, r);
}

/* Whether MHD is closing `c` because it was idle for --idle-timeout: the
 * client has not closed it, and no byte went either way for (nearly, the
 * kernel's clock being coarser) that long. MHD says why only to requests in
 * progress (on_completed); a connection between requests or in the middle of
 * its headers closes without a word, so ask TCP. */
static bool idle_close(const pb_mock *m, struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
    struct tcp_info ti;
    socklen_t len = sizeof(ti);
    if (m->idle_timeout_ms == 0 || ci == NULL ||
        getsockopt(ci->connect_fd, IPPROTO_TCP, TCP_INFO, &ti, &len) != 0)
        return false;
    uint32_t quiet = m->idle_timeout_ms - m->idle_timeout_ms / 10;
    return ti.tcpi_state == TCP_ESTABLISHED && ti.tcpi_last_data_recv >= quiet &&
           ti.tcpi_last_data_sent >= quiet;
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    pb_mock *m = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        atomic_fetch_add(&m->c.connections, 1);
        /* per connection, as MHD's own connection and memory pool are; without
         * it the connection is merely not counted should it time out */
        *socket_context = calloc(1, sizeof(connection));
        return;
    }
    connection *k = *socket_context;
    if (k != NULL && !k->request_closed && idle_close(m, c))
        atomic_fetch_add_explicit(&m->c.timed_out_connections, 1, memory_order_relaxed);
    free(k);
    *socket_context = NULL;
    atomic_fetch_sub(&m->c.connections, 1);
}

/* Connections turned away by the kernel since start: the listen queue was
 * full because the server stopped accepting at --connection-limit. */
static uint64_t listen_drops(const pb_mock *m)
{
    uint32_t mem[SK_MEMINFO_VARS];
    socklen_t len = sizeof(mem);
    if (m->listen_fd < 0 || getsockopt(m->listen_fd, SOL_SOCKET, SO_MEMINFO, mem, &len) != 0 ||
        len <= SK_MEMINFO_DROPS * sizeof(mem[0]))
        return 0;
    return mem[SK_MEMINFO_DROPS];
}

static void on_log(void *cls, const char *fmt, va_list ap)
{
    pb_mock *m = cls;
    /* Only the first message is kept: a start-up failure such as a bind
     * error. Later ones are MHD's notes on connections closed on purpose
     * (resets, hangs). */
    if (!atomic_flag_test_and_set(&m->logged))
        vsnprintf(m->start_log, sizeof(m->start_log), fmt, ap);
}

/* ---- lifecycle ---------------------------------------------------------- */

/* The process's descriptor limit (what bounds the connections). */
static size_t fd_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY ||
        rl.rlim_cur > (1u << 20))
        return 1u << 20;
    return rl.rlim_cur;
}

static int start_daemon(pb_mock *m, const pb_mock_config *cfg, pb_err *err)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof(ss));
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_TURBO |
                     MHD_USE_ERROR_LOG;
    /* MHD 0.9.75 in epoll mode without a thread pool stalls at ~128 open
     * connections; one thread uses poll() instead. */
    flags |= cfg->threads >= 2 ? MHD_USE_EPOLL : MHD_USE_POLL;
    bool tls = cfg->tls_cert[0] != '\0';
    if (tls && MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES)
        return pb_err_set(err, PB_ENOTSUP,
                          "--tls-cert: this libmicrohttpd was built without TLS (GnuTLS)");
    if (tls)
        flags |= MHD_USE_TLS;
    if (cfg->ipv6) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        a->sin6_family = AF_INET6;
        a->sin6_port = htons(cfg->port);
        if (inet_pton(AF_INET6, cfg->host, &a->sin6_addr) != 1)
            return pb_err_set(err, PB_EINVAL, "--listen: bad IPv6 address \"%s\"", cfg->host);
        flags |= MHD_USE_IPv6;
    } else {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        a->sin_family = AF_INET;
        a->sin_port = htons(cfg->port);
        if (inet_pton(AF_INET, cfg->host, &a->sin_addr) != 1)
            return pb_err_set(err, PB_EINVAL, "--listen: bad IPv4 address \"%s\"", cfg->host);
    }
    size_t fds = fd_limit();
    size_t room = fds > 128 ? fds - 64 : 64;
    if (cfg->connection_limit > room)
        return pb_err_set(err, PB_EINVAL,
                          "--connection-limit %u: the open-file limit (ulimit -n) of %zu allows at "
                          "most %zu",
                          (unsigned)cfg->connection_limit, fds, room);
    /* At the limit MHD stops accepting: connections beyond wait in the
     * listen queue, oldest first, for one to close or time out. The queue
     * holds as many as the limit (64 to 4096); the kernel refuses the rest. */
    size_t limit = cfg->connection_limit != 0 ? cfg->connection_limit : room;
    size_t backlog = limit < 64 ? 64 : limit > 4096 ? 4096 : limit;
    m->idle_timeout_ms = (unsigned)(cfg->idle_timeout / PB_USEC_PER_MS);
    struct MHD_OptionItem opts[] = {
        {MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)on_log, m},
        {MHD_OPTION_SOCK_ADDR, 0, &ss},
        {MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_completed, m},
        {MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)on_connection, m},
        {MHD_OPTION_CONNECTION_LIMIT, (intptr_t)limit, NULL},
        /* in whole seconds; a suspended connection (delayed, queued, hung) is
         * not idle: MHD skips it and starts its clock again on resume */
        {MHD_OPTION_CONNECTION_TIMEOUT, (intptr_t)(cfg->idle_timeout / PB_USEC_PER_SEC), NULL},
        {MHD_OPTION_LISTEN_BACKLOG_SIZE, (intptr_t)backlog, NULL},
        /* MHD clears a connection's whole memory pool between requests;
         * 8 KiB (not the default 32) keeps that from dominating small
         * requests. Request headers beyond ~6 KiB get 431. */
        {MHD_OPTION_CONNECTION_MEMORY_LIMIT, 8192, NULL},
        {MHD_OPTION_END, 0, NULL}, /* TLS's key, */
        {MHD_OPTION_END, 0, NULL}, /* certificate */
        {MHD_OPTION_END, 0, NULL}, /* and the thread pool go here */
        {MHD_OPTION_END, 0, NULL},
    };
    size_t more = sizeof(opts) / sizeof(opts[0]) - 4;
    if (tls) {
        opts[more++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, (void *)cfg->tls_key};
        opts[more++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, (void *)cfg->tls_cert};
    }
    if (cfg->threads >= 2)
        opts[more] = (struct MHD_OptionItem){MHD_OPTION_THREAD_POOL_SIZE, cfg->threads, NULL};
    m->daemon = MHD_start_daemon(flags, 0, NULL, NULL, on_request, m, MHD_OPTION_ARRAY, opts,
                                 MHD_OPTION_END);
    if (m->daemon == NULL) {
        /* MHD words a bind failure "Failed to bind to port 0: REASON" (the
         * port it was passed, not the address's): the address is ours to
         * name, the reason is what it adds */
        const char *why = m->start_log[0] ? m->start_log : "libmicrohttpd refused to start";
        const char *reason = strstr(why, ": ");
        if (strncmp(why, "Failed to bind", 14) == 0 && reason != NULL)
            why = reason + 2;
        return pb_err_set(err, PB_ENET, "mock server: cannot listen on %s%s%s:%u: %s",
                          cfg->ipv6 ? "[" : "", cfg->host, cfg->ipv6 ? "]" : "",
                          (unsigned)cfg->port, why);
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(m->daemon, MHD_DAEMON_INFO_BIND_PORT);
    if (info == NULL)
        return pb_err_set(err, PB_ENET, "mock server: cannot read the bound port");
    m->port = info->port;
    info = MHD_get_daemon_info(m->daemon, MHD_DAEMON_INFO_LISTEN_FD);
    m->listen_fd = info != NULL ? info->listen_fd : -1;
    const char *host = cfg->host;
    if (strcmp(host, "0.0.0.0") == 0)
        host = "127.0.0.1";
    else if (strcmp(host, "::") == 0)
        host = "::1";
    snprintf(m->url, sizeof(m->url), cfg->ipv6 ? "%s://[%s]:%u" : "%s://%s:%u",
             tls ? "https" : "http", host, (unsigned)m->port);
    return 0;
}

/* Resume everything suspended so that MHD can close it; under mu. */
static void drain(pb_mock *m)
{
    pb_timer_entry e;
    while (pb_timer_heap_pop(&m->heap, &e))
        if (e.kind != T_SLOT_RELEASE)
            MHD_resume_connection(((request *)e.item)->conn);
    for (pb_capacity_link *l = pb_capacity_drain(&m->cap); l != NULL;) {
        pb_capacity_link *next = l->next;
        MHD_resume_connection(((request *)l)->conn);
        l = next;
    }
}

/* Stop what runs, then free; *out (if not NULL) gets the counters once
 * nothing can change them. */
static void server_free(pb_mock *m, pb_mock_stats *out)
{
    /* From here no request decides (arrive() and bad_header() look at
     * stopping under mu; those that did are counted on their MHD thread) and
     * none is suspended again: every suspended one is resumed, to be closed. */
    pthread_mutex_lock(&m->mu);
    atomic_store(&m->stopping, true);
    m->quit = true;
    if (m->daemon != NULL)
        drain(m);
    pthread_cond_signal(&m->wake);
    pthread_mutex_unlock(&m->mu);
    if (m->timer_started)
        pthread_join(m->timer, NULL);
    uint64_t refused = listen_drops(m);
    m->listen_fd = -1; /* closed with the daemon */
    /* MHD_stop_daemon closes every connection and joins its threads: each
     * request whose handler ran gets on_completed (so a counted one its
     * record) before it returns; pool and profiles are then free. */
    if (m->daemon != NULL)
        MHD_stop_daemon(m->daemon);
    if (out != NULL) {
        pb_mock_get_stats(m, out);
        out->refused_connections = refused;
    }
    if (m->prof != NULL)
        profile_release(m->prof);
    if (m->capacity_full != NULL)
        MHD_destroy_response(m->capacity_full);
    pb_timer_heap_cleanup(&m->heap);
    while (m->chunks != NULL) {
        pool_chunk *c = m->chunks;
        m->chunks = c->next;
        free(c);
    }
    if (m->body_bytes != NULL)
        munmap(m->body_bytes, PB_MOCK_MAX_BODY);
    pthread_cond_destroy(&m->wake);
    pthread_mutex_destroy(&m->mu);
    pthread_mutex_destroy(&m->pool_mu);
    pthread_mutex_destroy(&m->body_mu);
    free(m);
}

static int init_sync(pb_mock *m)
{
    pthread_condattr_t ca;
    if (pthread_mutex_init(&m->mu, NULL) != 0)
        return PB_ESYS;
    if (pthread_mutex_init(&m->pool_mu, NULL) != 0) {
        pthread_mutex_destroy(&m->mu);
        return PB_ESYS;
    }
    if (pthread_mutex_init(&m->body_mu, NULL) != 0) {
        pthread_mutex_destroy(&m->pool_mu);
        pthread_mutex_destroy(&m->mu);
        return PB_ESYS;
    }
    int rc = pthread_condattr_init(&ca);
    if (rc == 0) {
        rc = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
        if (rc == 0)
            rc = pthread_cond_init(&m->wake, &ca);
        pthread_condattr_destroy(&ca);
    }
    if (rc != 0) {
        pthread_mutex_destroy(&m->body_mu);
        pthread_mutex_destroy(&m->pool_mu);
        pthread_mutex_destroy(&m->mu);
        return PB_ESYS;
    }
    return 0;
}

int pb_mock_start_hooked(const pb_mock_config *cfg, const pb_mock_hooks *hooks, pb_mock **out,
                         pb_err *err)
{
    int rc = pb_mock_config_check(cfg, err);
    if (rc != 0)
        return rc;
    pb_mock *m = calloc(1, sizeof(*m));
    if (m == NULL)
        return pb_err_set(err, PB_ENOMEM, "mock server: out of memory");
    if (init_sync(m) != 0) {
        free(m);
        return pb_err_set(err, PB_ESYS, "mock server: cannot create a mutex");
    }
    m->listen_fd = -1;
    memcpy(m->admin_token, cfg->admin_token, sizeof(m->admin_token));
    m->admin.off = cfg->admin == PB_MOCK_ADMIN_OFF;
    m->admin.token = m->admin_token[0] != '\0' ? m->admin_token : NULL;
    if (hooks != NULL)
        m->hooks = *hooks;
    atomic_flag_clear(&m->logged);
    pb_capacity_init(&m->cap);
    pb_token_bucket_init(&m->bucket);
    rc = pb_timer_heap_init(&m->heap, 1024);
    if (rc == 0)
        rc = pool_grow(m);

    if (rc == 0) {
        m->capacity_full = text_response(CAPACITY_FULL_TEXT, NULL);
        rc = m->capacity_full == NULL ? PB_ENOMEM : 0;
    }
    if (rc == 0)
        rc = profile_create(m, cfg, &m->prof);
    if (rc != 0) {
        pb_err_set(err, rc, "mock server: out of memory");
        goto fail;
    }
    m->phase_start = pb_monotime_now();
    m->phase_epoch = 1;
    rc = start_daemon(m, cfg, err);
    if (rc != 0)
        goto fail;
    m->prof->cfg->port = m->port;
    if (pthread_create(&m->timer, NULL, timer_main, m) != 0) {
        rc = pb_err_set(err, PB_ESYS, "mock server: cannot start the timer thread");
        goto fail;
    }
    m->timer_started = true;
    *out = m;
    return 0;
fail:
    server_free(m, NULL);
    return rc;
}

int pb_mock_start(const pb_mock_config *cfg, pb_mock_phase_cb cb, void *cb_data, pb_mock **out,
                  pb_err *err)
{
    pb_mock_hooks hooks = {.phase = cb, .data = cb_data};
    return pb_mock_start_hooked(cfg, &hooks, out, err);
}

uint16_t pb_mock_port(const pb_mock *m)
{
    return m->port;
}

const char *pb_mock_url(const pb_mock *m)
{
    return m->url;
}

void pb_mock_restart_phases(pb_mock *m)
{
    pb_mock_restart_phases_at(m, 0);
}

void pb_mock_restart_phases_at(pb_mock *m, pb_usec at)
{
    pthread_mutex_lock(&m->mu);
    m->phase_start = pb_monotime_now();
    m->phase_skip = at;
    m->phase_epoch++;
    pthread_cond_signal(&m->wake);
    pthread_mutex_unlock(&m->mu);
}

int pb_mock_set_profile(pb_mock *m, const char *json, const char *source, pb_err *err)
{
    pb_mock_config *cfg = NULL;
    profile *p = NULL;
    pthread_mutex_lock(&m->mu);
    int rc = pb_mock_config_clone(m->prof->cfg, &cfg);
    pthread_mutex_unlock(&m->mu);
    if (rc != 0)
        return pb_err_set(err, rc, "%s: out of memory", source);
    uint16_t port = cfg->port;
    uint32_t threads = cfg->threads;
    char host[sizeof(cfg->host)];
    strcpy(host, cfg->host);
    rc = pb_mock_config_load_json(cfg, json, source, err);
    if (rc != 0)
        goto cleanup;
    if (cfg->threads != threads || cfg->port != port || strcmp(cfg->host, host) != 0) {
        rc = pb_err_set(err, PB_EINVAL,
                        "%s: listen and threads cannot change on a running server; leave them out",
                        source);
        goto cleanup;
    }
    rc = profile_create(m, cfg, &p);
    if (rc != 0) {
        pb_err_set(err, rc, "%s: out of memory", source);
        goto cleanup;
    }
    pthread_mutex_lock(&m->mu);
    profile *old = m->prof;
    m->prof = p;
    m->phase_start = pb_monotime_now();
    m->phase_skip = 0;
    m->phase_epoch++;
    pthread_cond_signal(&m->wake);
    pthread_mutex_unlock(&m->mu);
    profile_release(old);
cleanup:
    pb_mock_config_destroy(cfg);
    return rc;
}

char *pb_mock_profile_json(pb_mock *m)
{
    pthread_mutex_lock(&m->mu);
    profile *p = m->prof;
    atomic_fetch_add(&p->refs, 1);
    pthread_mutex_unlock(&m->mu);
    char *json = pb_mock_config_to_json(p->cfg);
    profile_release(p);
    return json;
}

void pb_mock_get_stats(pb_mock *m, pb_mock_stats *out)
{
    memset(out, 0, sizeof(*out));
    const counters *c = &m->c;
#define LOAD_COUNTER(counter, metric, label)                                                       \
    out->counter = atomic_load_explicit(&c->counter, memory_order_relaxed);
    PB_MOCK_COUNTER_MAP(LOAD_COUNTER)
#undef LOAD_COUNTER
    for (int i = 0; i < 600; i++)
        out->status[i] = atomic_load_explicit(&c->status[i], memory_order_relaxed);
    /* requests once more, last: count() adds to it after the outcome, so
     * read after the outcomes it does not lag behind them */
    out->requests = atomic_load_explicit(&c->requests, memory_order_relaxed);
    out->in_flight = atomic_load(&c->in_flight);
    out->connections = atomic_load(&c->connections);
    out->admin_body_bytes = atomic_load(&c->admin_body_bytes);
    /* counted by the kernel, not by the server: its field in `c` stays 0 */
    out->refused_connections = listen_drops(m);
    pthread_mutex_lock(&m->mu);
    out->queued = m->cap.queued;
    out->phase = phase_index(m->prof, phase_elapsed(m, pb_monotime_now()));
    pthread_mutex_unlock(&m->mu);
}

void pb_mock_stop(pb_mock *m)
{
    if (m != NULL)
        server_free(m, NULL);
}

void pb_mock_stop_stats(pb_mock *m, pb_mock_stats *out)
{
    if (m == NULL) {
        memset(out, 0, sizeof(*out));
        return;
    }
    server_free(m, out);
}
