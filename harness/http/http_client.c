#include "http_client.h"
#include "secrets.h"

#include <assert.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

/* The headers each request carries; the digits are rewritten in place. */
#define SEQ_HEADER "X-PB-Seq: "
#define SEQ_DIGITS 20 /* UINT64_MAX */
#define ATTEMPT_HEADER "X-PB-Attempt: "
#define ATTEMPT_DIGITS 3 /* the mock takes 0..255 */

/* A socket libcurl asked us to watch. When libcurl is done with a socket but
 * keeps its connection for reuse (CURL_POLL_REMOVE), the context stays
 * "parked", still watching for readability: the next request on that
 * connection then costs no epoll_ctl (uv_poll_start re-registers the fd every
 * time). A parked socket that turns readable (the server closed the idle
 * connection) stops being watched. Contexts are found by fd and recycled when
 * libcurl closes the socket (CURLOPT_CLOSESOCKETFUNCTION). */
struct sock_ctx {
    uv_poll_t poll;
    curl_socket_t fd;
    pb_http *h;
    int events; /* UV_READABLE/UV_WRITABLE being watched */
    bool parked;
    bool in_use;
    struct sock_ctx *next_free;
    struct sock_ctx *next_all;
};

/* One easy handle and everything a request on it needs, reused request after request. */
struct transfer {
    CURL *easy;
    pb_http *h;
    /* Our own header lines, in this order: "X-PB-Seq: N", "X-PB-Attempt: K"
     * (rewritten per request), "Expect:" (no 100-continue wait before a large
     * body: the server's answer is what is measured), "User-Agent: ..." (a
     * fixed line costs libcurl no formatting per request, unlike
     * CURLOPT_USERAGENT). The target's own lines are linked on behind them,
     * not copied, so that a target costs no allocation per request; they are
     * unlinked before the list is freed. */
    struct curl_slist *headers;
    struct curl_slist *expect, *agent; /* nodes of `headers` */
    uint32_t target; /* the target whose options the handle has; UINT32_MAX = none yet */
    void *user;
    pb_usec started;
    uint64_t bytes;
    pb_usec retry_after;
    uint32_t sends; /* times the request went out (prereq callback) */
    bool active;
    struct transfer *next_free;
    char errbuf[CURL_ERROR_SIZE];
};

/* A target and its URL, parsed once: each transfer points at it rather than
 * parse the text per request. Each client parses its own, so that no two
 * lanes' threads share a CURLU. */
struct http_target {
    const pb_target *t;
    CURLU *url;
};

struct pb_http {
    uv_loop_t *loop;
    CURLM *multi;
    uv_timer_t timer;
    bool timer_ready;
    bool closing;
    bool global_init;
    char *url; /* the configuration's, as it may be shown (no password) */
    struct http_target *targets;
    uint32_t n_targets;
    pb_target get; /* the target of a client configured without any: GET url */
    pb_status_set ok;
    const char *cacert;
    bool insecure;
    long timeout_ms;
    pb_http_done_cb cb;
    void *cb_data;
    struct transfer **all;
    uint32_t n_all, cap_all;
    struct transfer *free_xfers;
    uint32_t in_flight;
    struct sock_ctx *free_socks;
    struct sock_ctx *all_socks;
    struct sock_ctx **by_fd; /* open sockets' contexts, indexed by fd */
    size_t n_by_fd;
    uint64_t connections;
    char error[128]; /* the first failure of libcurl's multi interface, "" if none */
};

pb_outcome pb_http_outcome(int curl_code, long status, const pb_status_set *ok)
{
    switch ((CURLcode)curl_code) {
    case CURLE_OK:
        if (ok != NULL ? pb_status_set_has(ok, status) : status >= 200 && status < 300)
            return PB_OUTCOME_OK;
        /* a final status outside the set; a reply without one is broken */
        if (status >= 200)
            return PB_OUTCOME_HTTP_ERROR;
        return PB_OUTCOME_PROTOCOL_ERROR;
    case CURLE_OPERATION_TIMEDOUT:
        return PB_OUTCOME_TIMEOUT;
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
        return PB_OUTCOME_CONNECT_ERROR;
    /* the peer closed or reset the connection: before any reply
     * (GOT_NOTHING), while we sent or read, or before the announced body
     * length arrived (PARTIAL_FILE) */
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
        return PB_OUTCOME_RESET;
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_HTTP3:
    case CURLE_BAD_CONTENT_ENCODING:
    case CURLE_TOO_MANY_REDIRECTS:
        return PB_OUTCOME_PROTOCOL_ERROR;
    default:
        return PB_OUTCOME_OTHER_ERROR;
    }
}

pb_usec pb_http_parse_retry_after(const char *value, int64_t now_epoch)
{
    while (*value == ' ' || *value == '\t')
        value++;
    if (*value >= '0' && *value <= '9') {
        char *end;
        unsigned long long secs = strtoull(value, &end, 10);
        while (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n')
            end++;
        if (*end != '\0' || secs > 365ULL * 24 * 3600)
            return 0;
        return (pb_usec)secs * PB_USEC_PER_SEC;
    }
    time_t at = curl_getdate(value, NULL);
    if (at == (time_t)-1 || (int64_t)at <= now_epoch)
        return 0;
    return (pb_usec)((int64_t)at - now_epoch) * PB_USEC_PER_SEC;
}

/* libcurl answers these only with CURLE_OK for an easy handle and a known
 * option; anything else is a bug here. */
static long info_long(CURL *easy, CURLINFO what)
{
    long v = 0;
    CURLcode c = curl_easy_getinfo(easy, what, &v);
    assert(c == CURLE_OK);
    (void)c;
    return v;
}

static curl_off_t info_off(CURL *easy, CURLINFO what)
{
    curl_off_t v = 0;
    CURLcode c = curl_easy_getinfo(easy, what, &v);
    assert(c == CURLE_OK);
    (void)c;
    return v > 0 ? v : 0;
}

/* Keep the first failure of curl_multi_socket_action for pb_http_error. */
static void multi_failed(pb_http *h, CURLMcode mc)
{
    if (mc != CURLM_OK && h->error[0] == '\0')
        snprintf(h->error, sizeof(h->error), "libcurl: %s", curl_multi_strerror(mc));
}

static size_t write_cb(char *ptr, size_t size, size_t n, void *data)
{
    struct transfer *t = data;
    t->bytes += size * n;
    return size * n;
}

static size_t header_cb(char *buf, size_t size, size_t n, void *data)
{
    static const char name[] = "retry-after:";
    struct transfer *t = data;
    size_t len = size * n;
    t->bytes += len;
    if (len > sizeof(name) - 1 && strncasecmp(buf, name, sizeof(name) - 1) == 0) {
        /* header lines are not NUL-terminated: copy the value into a bounded buffer */
        char value[64];
        size_t vlen = len - (sizeof(name) - 1);
        if (vlen >= sizeof(value))
            vlen = sizeof(value) - 1;
        memcpy(value, buf + sizeof(name) - 1, vlen);
        value[vlen] = '\0';
        t->retry_after = pb_http_parse_retry_after(value, (int64_t)time(NULL));
    }
    return len;
}

static int prereq_cb(void *data, char *primary_ip, char *local_ip, int primary_port, int local_port)
{
    struct transfer *t = data;
    t->sends++;
    return CURL_PREREQFUNC_OK;
}

static void sock_closed(uv_handle_t *handle)
{
    struct sock_ctx *ctx = handle->data;
    ctx->in_use = false;
    ctx->next_free = ctx->h->free_socks;
    ctx->h->free_socks = ctx;
}

static struct sock_ctx *sock_lookup(pb_http *h, curl_socket_t s)
{
    return s >= 0 && (size_t)s < h->n_by_fd ? h->by_fd[s] : NULL;
}

static void check_done(pb_http *h)
{
    CURLMsg *msg;
    int pending;
    while ((msg = curl_multi_info_read(h->multi, &pending)) != NULL) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        CURL *easy = msg->easy_handle;
        CURLcode code = msg->data.result;
        struct transfer *t = NULL;
        CURLcode c = curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&t);
        assert(c == CURLE_OK && t != NULL && t->active);
        (void)c;
        long status = info_long(easy, CURLINFO_RESPONSE_CODE);
        long connects = info_long(easy, CURLINFO_NUM_CONNECTS);
        curl_off_t connect_t = info_off(easy, CURLINFO_CONNECT_TIME_T);
        curl_off_t ttfb_t = info_off(easy, CURLINFO_STARTTRANSFER_TIME_T);
        curl_off_t total_t = info_off(easy, CURLINFO_TOTAL_TIME_T);

        /* the transfer goes back to the pool before the callback, which may
         * start the next request on it: keep the message on the stack */
        char error[CURL_ERROR_SIZE] = "";
        if (code != CURLE_OK)
            snprintf(error, sizeof(error), "%s",
                     t->errbuf[0] != '\0' ? t->errbuf : curl_easy_strerror(code));

        pb_http_result res = {
            .user = t->user,
            .outcome = pb_http_outcome((int)code, status, &h->ok),
            .curl_code = (int)code,
            .status = status > 0 && status < 1000 ? (uint16_t)status : 0,
            .started = t->started,
            .connect_us = connects > 0 ? (pb_usec)connect_t : 0,
            .ttfb_us = (pb_usec)ttfb_t,
            .total_us = (pb_usec)total_t,
            .bytes = t->bytes,
            .retry_after = t->retry_after,
            .resent = t->sends > 1 ? t->sends - 1 : 0,
            .error = error,
        };
        CURLMcode mc = curl_multi_remove_handle(h->multi, easy);
        assert(mc == CURLM_OK);
        (void)mc;
        t->active = false;
        t->next_free = h->free_xfers;
        h->free_xfers = t;
        h->in_flight--;
        h->cb(h->cb_data, &res);
    }
}

static void watch(struct sock_ctx *ctx, int events);

static void poll_cb(uv_poll_t *poll, int status, int events)
{
    struct sock_ctx *ctx = poll->data;
    pb_http *h = ctx->h;
    if (status < 0)
        ctx->events = 0; /* libuv stops a watcher that reports an error */
    if (ctx->parked) {
        /* an idle connection turned readable: the server closed it (or sent
         * something unasked). libcurl notices when it next tries to reuse it. */
        watch(ctx, 0);
        return;
    }
    /* on an error (a reset, mostly) let libcurl read: it then reports the
     * socket's own error rather than a bare "select/poll returned error" */
    int flags = status < 0 ? CURL_CSELECT_IN | CURL_CSELECT_ERR : 0;
    if (events & UV_READABLE)
        flags |= CURL_CSELECT_IN;
    if (events & UV_WRITABLE)
        flags |= CURL_CSELECT_OUT;
    int running;
    multi_failed(h, curl_multi_socket_action(h->multi, ctx->fd, flags, &running));
    check_done(h);
}

static void timer_cb(uv_timer_t *timer)
{
    pb_http *h = timer->data;
    int running;
    multi_failed(h, curl_multi_socket_action(h->multi, CURL_SOCKET_TIMEOUT, 0, &running));
    check_done(h);
}

static int curl_timer_fn(CURLM *multi, long timeout_ms, void *data)
{
    pb_http *h = data;
    if (h->closing)
        return 0;
    int rc = timeout_ms < 0 ? uv_timer_stop(&h->timer)
                            : uv_timer_start(&h->timer, timer_cb, (uint64_t)timeout_ms, 0);
    return rc == 0 ? 0 : -1;
}

static void watch(struct sock_ctx *ctx, int events)
{
    if (events == ctx->events)
        return;
    int rc = events == 0 ? uv_poll_stop(&ctx->poll) : uv_poll_start(&ctx->poll, events, poll_cb);
    assert(rc == 0);
    (void)rc;
    ctx->events = events;
}

static struct sock_ctx *sock_new(pb_http *h, curl_socket_t s)
{
    if ((size_t)s >= h->n_by_fd) {
        size_t n = h->n_by_fd ? h->n_by_fd : 64;
        while (n <= (size_t)s)
            n *= 2;
        struct sock_ctx **by_fd = realloc(h->by_fd, n * sizeof(*by_fd));
        if (by_fd == NULL)
            return NULL;
        memset(by_fd + h->n_by_fd, 0, (n - h->n_by_fd) * sizeof(*by_fd));
        h->by_fd = by_fd;
        h->n_by_fd = n;
    }
    struct sock_ctx *ctx = h->free_socks;
    if (ctx != NULL) {
        h->free_socks = ctx->next_free;
    } else {
        /* more connections open than ever before: grow the pool (never shrinks) */
        ctx = calloc(1, sizeof(*ctx));
        if (ctx == NULL)
            return NULL;
        ctx->h = h;
        ctx->next_all = h->all_socks;
        h->all_socks = ctx;
    }
    if (uv_poll_init_socket(h->loop, &ctx->poll, s) != 0) {
        ctx->next_free = h->free_socks;
        h->free_socks = ctx;
        return NULL;
    }
    ctx->poll.data = ctx;
    ctx->fd = s;
    ctx->events = 0;
    ctx->parked = false;
    ctx->in_use = true;
    h->by_fd[s] = ctx;
    h->connections++;
    return ctx;
}

static int curl_socket_fn(CURL *easy, curl_socket_t s, int what, void *data, void *socketp)
{
    pb_http *h = data;
    /* libcurl forgets socketp on REMOVE, so a reused connection comes back without it */
    struct sock_ctx *ctx = socketp != NULL ? socketp : sock_lookup(h, s);
    if (what == CURL_POLL_REMOVE) {
        if (ctx != NULL && !h->closing) {
            ctx->parked = true;
            watch(ctx, ctx->events != 0 ? UV_READABLE : 0);
        }
        return 0;
    }
    if (ctx == NULL && (ctx = sock_new(h, s)) == NULL)
        return -1;
    if (socketp == NULL && curl_multi_assign(h->multi, s, ctx) != CURLM_OK)
        return -1;
    ctx->parked = false;
    int events = 0;
    if (what & CURL_POLL_IN)
        events |= UV_READABLE;
    if (what & CURL_POLL_OUT)
        events |= UV_WRITABLE;
    watch(ctx, events);
    return 0;
}

static int close_socket_fn(void *data, curl_socket_t s)
{
    pb_http *h = data;
    struct sock_ctx *ctx = sock_lookup(h, s);
    if (ctx != NULL) {
        h->by_fd[s] = NULL;
        uv_close((uv_handle_t *)&ctx->poll, sock_closed);
    }
    return close(s);
}

static void transfer_free(struct transfer *t)
{
    if (t == NULL)
        return;
    if (t->easy != NULL)
        curl_easy_cleanup(t->easy);
    if (t->agent != NULL) {
        /* the target's lines are not ours to free */
        t->expect->next = t->agent;
        t->agent->next = NULL;
    }
    curl_slist_free_all(t->headers);
    free(t);
}

static int transfer_new(pb_http *h, struct transfer **out, pb_err *err)
{
    int rc = PB_ENOMEM;
    struct transfer *t = calloc(1, sizeof(*t));
    if (t == NULL)
        goto fail;
    t->h = h;
    t->target = UINT32_MAX;
    t->easy = curl_easy_init();
    /* room for the widest numbers; the digits are rewritten per request */
    static const char *const own[] = {SEQ_HEADER "00000000000000000000", ATTEMPT_HEADER "000",
                                      "Expect:", "User-Agent: patternbench/" PB_VERSION};
    for (size_t i = 0; i < sizeof(own) / sizeof(own[0]); i++) {
        struct curl_slist *l = curl_slist_append(t->headers, own[i]);
        if (l == NULL)
            goto fail;
        t->headers = l;
    }
    t->expect = t->headers->next->next;
    t->agent = t->expect->next;
    if (t->easy == NULL)
        goto fail;
    CURL *e = t->easy;
    CURLcode c = CURLE_OK;
#define SET(opt, val)                                                                              \
    if (c == CURLE_OK)                                                                             \
    c = curl_easy_setopt(e, opt, val)
    SET(CURLOPT_PRIVATE, (void *)t);
    SET(CURLOPT_NOSIGNAL, 1L);
    SET(CURLOPT_TIMEOUT_MS, h->timeout_ms);
    SET(CURLOPT_CONNECTTIMEOUT_MS, h->timeout_ms);
    SET(CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    /* talk to the target itself: a proxy from the environment (http_proxy...)
     * would be measured instead, and looking it up costs getenv() per request */
    SET(CURLOPT_PROXY, "");
    SET(CURLOPT_HTTPHEADER, t->headers);
    SET(CURLOPT_WRITEFUNCTION, write_cb);
    SET(CURLOPT_WRITEDATA, (void *)t);
    SET(CURLOPT_HEADERFUNCTION, header_cb);
    SET(CURLOPT_HEADERDATA, (void *)t);
    SET(CURLOPT_PREREQFUNCTION, prereq_cb);
    SET(CURLOPT_PREREQDATA, (void *)t);
    SET(CURLOPT_ERRORBUFFER, t->errbuf);
    SET(CURLOPT_CLOSESOCKETFUNCTION, close_socket_fn);
    SET(CURLOPT_CLOSESOCKETDATA, (void *)h);
    if (h->cacert != NULL)
        SET(CURLOPT_CAINFO, h->cacert);
    if (h->insecure) {
        SET(CURLOPT_SSL_VERIFYPEER, 0L);
        SET(CURLOPT_SSL_VERIFYHOST, 0L);
    }
#undef SET
    if (c != CURLE_OK) {
        rc = pb_err_set(err, PB_ENET, "libcurl refused an option for %s: %s", h->url,
                        curl_easy_strerror(c));
        goto fail_set;
    }
    if (h->n_all == h->cap_all) {
        uint32_t cap = h->cap_all ? h->cap_all * 2 : 16;
        struct transfer **all = realloc(h->all, cap * sizeof(*all));
        if (all == NULL)
            goto fail;
        h->all = all;
        h->cap_all = cap;
    }
    h->all[h->n_all++] = t;
    *out = t;
    return 0;
fail:
    rc = pb_err_set(err, PB_ENOMEM, "out of memory allocating a transfer for %s", h->url);
fail_set:
    transfer_free(t);
    return rc;
}

int pb_http_create(uv_loop_t *loop, const pb_http_config *cfg, uint32_t slots, pb_http_done_cb cb,
                   void *cb_data, pb_http **out, pb_err *err)
{
    int rc = PB_ENOMEM;
    *out = NULL;
    pb_http *h = calloc(1, sizeof(*h));
    if (h == NULL)
        return pb_err_set(err, PB_ENOMEM, "out of memory creating the HTTP client");
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        rc = pb_err_set(err, PB_ENET, "libcurl failed to initialise");
        goto fail;
    }
    h->global_init = true;
    h->loop = loop;
    h->cb = cb;
    h->cb_data = cb_data;
    h->timeout_ms = (long)((cfg->timeout + PB_USEC_PER_MS - 1) / PB_USEC_PER_MS);
    if (h->timeout_ms < 1)
        h->timeout_ms = 1;
    if (cfg->ok != NULL)
        h->ok = *cfg->ok;
    else
        pb_status_set_default(&h->ok);
    h->cacert = cfg->cacert;
    h->insecure = cfg->insecure;
    pb_target_init(&h->get);
    h->n_targets = cfg->n_targets > 0 ? cfg->n_targets : 1;
    h->url = cfg->url != NULL ? pb_secrets_url(cfg->url) : strdup("the targets");
    h->multi = curl_multi_init();
    h->targets = calloc(h->n_targets, sizeof(*h->targets));
    if (h->url == NULL || h->multi == NULL || h->targets == NULL) {
        rc = pb_err_set(err, PB_ENOMEM, "out of memory creating the HTTP client");
        goto fail;
    }
    for (uint32_t i = 0; i < h->n_targets; i++) {
        struct http_target *ht = &h->targets[i];
        ht->t = cfg->n_targets > 0 ? &cfg->targets[i] : &h->get;
        const char *url = ht->t->url != NULL ? ht->t->url : cfg->url;
        assert(url != NULL);
        if ((ht->url = curl_url()) == NULL) {
            rc = pb_err_set(err, PB_ENOMEM, "out of memory creating the HTTP client");
            goto fail;
        }
        /* a target's path is resolved against the client's URL */
        CURLUcode uc = url[0] == '/' && cfg->url != NULL
                           ? curl_url_set(ht->url, CURLUPART_URL, cfg->url, 0)
                           : CURLUE_OK;
        if (uc == CURLUE_OK)
            uc = curl_url_set(ht->url, CURLUPART_URL, url, 0);
        if (uc != CURLUE_OK) {
            char *shown = pb_secrets_url(url);
            rc = pb_err_set(err, PB_EINVAL, "%s: not a URL libcurl can use: %s",
                            shown != NULL ? shown : "a target", curl_url_strerror(uc));
            free(shown);
            goto fail;
        }
    }
    if (uv_timer_init(loop, &h->timer) != 0) {
        rc = pb_err_set(err, PB_ESYS, "uv_timer_init failed");
        goto fail;
    }
    h->timer.data = h;
    h->timer_ready = true;
    if (slots > PB_HTTP_MAX_SLOTS)
        slots = PB_HTTP_MAX_SLOTS;
    /* idle connections beyond this are closed by libcurl; keep one per slot
     * the engine is likely to use, with room for a limit that grows */
    long maxconn = (long)slots * 2 + 16;
    CURLMcode mc = curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, curl_socket_fn);
    if (mc == CURLM_OK)
        mc = curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, (void *)h);
    if (mc == CURLM_OK)
        mc = curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, curl_timer_fn);
    if (mc == CURLM_OK)
        mc = curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, (void *)h);
    if (mc == CURLM_OK)
        mc = curl_multi_setopt(h->multi, CURLMOPT_MAXCONNECTS, maxconn);
    if (mc != CURLM_OK) {
        rc = pb_err_set(err, PB_ENET, "libcurl multi setup failed: %s", curl_multi_strerror(mc));
        goto fail;
    }
    for (uint32_t i = 0; i < slots; i++) {
        struct transfer *t;
        rc = transfer_new(h, &t, err);
        if (rc != 0)
            goto fail;
        t->next_free = h->free_xfers;
        h->free_xfers = t;
    }
    *out = h;
    return 0;
fail:
    /* nothing is in flight yet: closing needs only the timer, whose close
     * callback one turn of the loop runs (the caller's other handles may keep
     * its loop alive, so do not wait for it to empty) */
    pb_http_close(h);
    uv_run(loop, UV_RUN_NOWAIT);
    pb_http_destroy(h);
    return rc;
}

/* Give t's easy handle the options of target i: its URL, method, body and
 * headers. Only when they change, so that one target costs nothing per request. */
static CURLcode use_target(struct transfer *t, uint32_t i)
{
    const struct http_target *ht = &t->h->targets[i];
    const pb_target *tg = ht->t;
    CURL *e = t->easy;
    CURLcode c = curl_easy_setopt(e, CURLOPT_CURLU, ht->url);
    bool head = strcmp(tg->method, "HEAD") == 0;
    if (c == CURLE_OK)
        c = curl_easy_setopt(e, CURLOPT_NOBODY, head ? 1L : 0L);
    if (c == CURLE_OK && !head && pb_target_sends_body(tg)) {
        /* sent from the target's memory, not copied (POSTFIELDS, not COPYPOSTFIELDS) */
        c = curl_easy_setopt(e, CURLOPT_POSTFIELDS, tg->body != NULL ? tg->body : "");
        if (c == CURLE_OK)
            c = curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)tg->body_len);
    } else if (c == CURLE_OK && !head) {
        c = curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
    }
    /* POSTFIELDS makes a POST and HTTPGET a GET: any other method is named */
    bool named = strcmp(tg->method, head ? "HEAD" : pb_target_sends_body(tg) ? "POST" : "GET") != 0;
    if (c == CURLE_OK)
        c = curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, named ? tg->method : NULL);
    /* the target's lines follow ours; its own User-Agent replaces ours */
    t->expect->next = tg->own_user_agent ? tg->headers : t->agent;
    t->agent->next = tg->own_user_agent ? NULL : tg->headers;
    if (c == CURLE_OK)
        t->target = i;
    return c;
}

int pb_http_start(pb_http *h, uint64_t seq, uint32_t attempt, uint32_t target, void *user,
                  pb_err *err)
{
    assert(!h->closing);
    assert(target < h->n_targets);
    struct transfer *t = h->free_xfers;
    if (t == NULL) {
        if (h->n_all >= PB_HTTP_MAX_SLOTS)
            return pb_err_set(err, PB_EFULL, "more than %u requests in flight", PB_HTTP_MAX_SLOTS);
        int rc = transfer_new(h, &t, err);
        if (rc != 0)
            return rc;
    } else {
        h->free_xfers = t->next_free;
    }
    if (t->target != target) {
        CURLcode c = use_target(t, target);
        if (c != CURLE_OK) {
            t->target = UINT32_MAX;
            t->next_free = h->free_xfers;
            h->free_xfers = t;
            return pb_err_set(err, c == CURLE_OUT_OF_MEMORY ? PB_ENOMEM : PB_ENET,
                              "libcurl refused a request to %s: %s", h->url, curl_easy_strerror(c));
        }
    }
    snprintf(t->headers->data + sizeof(SEQ_HEADER) - 1, SEQ_DIGITS + 1, "%" PRIu64, seq);
    snprintf(t->headers->next->data + sizeof(ATTEMPT_HEADER) - 1, ATTEMPT_DIGITS + 1, "%u",
             attempt > 255 ? 255 : attempt);
    t->user = user;
    t->bytes = 0;
    t->retry_after = 0;
    t->sends = 0;
    t->errbuf[0] = '\0';
    t->started = pb_monotime_now();
    CURLMcode mc = curl_multi_add_handle(h->multi, t->easy);
    if (mc != CURLM_OK) {
        t->next_free = h->free_xfers;
        h->free_xfers = t;
        return pb_err_set(err, mc == CURLM_OUT_OF_MEMORY ? PB_ENOMEM : PB_ENET,
                          "libcurl could not start a request to %s: %s", h->url,
                          curl_multi_strerror(mc));
    }
    t->active = true;
    h->in_flight++;
    return 0;
}

uint32_t pb_http_in_flight(const pb_http *h)
{
    return h->in_flight;
}

const char *pb_http_error(const pb_http *h)
{
    return h->error;
}

uint64_t pb_http_connections(const pb_http *h)
{
    return h->connections;
}

uint32_t pb_http_slots(const pb_http *h)
{
    return h->n_all;
}

uint32_t pb_http_abort_all(pb_http *h)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < h->n_all; i++) {
        struct transfer *t = h->all[i];
        if (!t->active)
            continue;
        CURLMcode mc = curl_multi_remove_handle(h->multi, t->easy);
        assert(mc == CURLM_OK);
        (void)mc;
        t->active = false;
        t->next_free = h->free_xfers;
        h->free_xfers = t;
        h->in_flight--;
        n++;
    }
    return n;
}

void pb_http_close(pb_http *h)
{
    if (h == NULL || h->closing)
        return;
    if (h->multi != NULL)
        pb_http_abort_all(h);
    h->closing = true;
    if (h->multi != NULL)
        curl_multi_cleanup(h->multi);
    h->multi = NULL;
    /* libcurl may not report every cached connection's socket as removed
     * during cleanup: close whatever is still watched */
    for (struct sock_ctx *c = h->all_socks; c != NULL; c = c->next_all)
        if (c->in_use && !uv_is_closing((uv_handle_t *)&c->poll))
            uv_close((uv_handle_t *)&c->poll, sock_closed);
    if (h->timer_ready)
        uv_close((uv_handle_t *)&h->timer, NULL);
}

void pb_http_destroy(pb_http *h)
{
    if (h == NULL)
        return;
    for (uint32_t i = 0; i < h->n_all; i++)
        transfer_free(h->all[i]);
    free(h->all);
    struct sock_ctx *c = h->all_socks;
    while (c != NULL) {
        struct sock_ctx *next = c->next_all;
        free(c);
        c = next;
    }
    free(h->by_fd);
    for (uint32_t i = 0; h->targets != NULL && i < h->n_targets; i++)
        curl_url_cleanup(h->targets[i].url);
    free(h->targets);
    pb_target_cleanup(&h->get);
    free(h->url);
    if (h->global_init)
        curl_global_cleanup();
    free(h);
}
