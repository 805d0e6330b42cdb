#include "metrics_server.h"

#include <arpa/inet.h>
#include <assert.h>
#include <inttypes.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "live_history.h"
#include "live_page.h"
#include "metrics_page.h"
#include "mock_stats.h"
#include "reader.h"
#include "units.h"

/* A scraper needs one connection, but clients that open connections and
 * send nothing (or a byte at a time) must not take every slot: the table
 * holds thousands (each costs a descriptor and CONNECTION_MEMORY), one
 * address may hold half of it, and a connection idle for CONNECTION_TIMEOUT_S
 * is closed. A scrape's request fits in CONNECTION_MEMORY many times over
 * (the page is sent from its own buffer). */
#define CONNECTION_LIMIT 2048
#define CONNECTION_TIMEOUT_S 5
#define CONNECTION_MEMORY 8192

struct pb_metrics {
    struct MHD_Daemon *daemon;
    char url[128];
    /* Guards everything below. Taken only by the engine's once-a-second
     * publish and by a scrape, each for a copy; never on the request path. */
    pthread_mutex_t mu;
    pthread_cond_t served_cv; /* final_served became true */
    pb_metrics_run *runs;     /* PB_METRICS_MAX_RUNS slots, the oldest first */
    size_t n_runs;
    bool open; /* runs[n_runs - 1] is a run still going */
    bool final_served;
    uint64_t scrapes;
    /* The live page's: what it shows (a run, or a mock server once one is
     * published) and the history of the last run or of the mock server. */
    const pb_live_source *source;
    pb_live_history *history;
    char mock_url[128];
    pb_mock_stats mock; /* the mock's counters as last published */
    pb_usec mock_at;    /* when, from the mock's start */
    /* the publishing thread's own: a snapshot is built here, outside the
     * lock, and the one before it kept to take the second between them */
    pb_metrics_run staging, previous;
    double cpu_previous;
    /* pb_metrics_resume filled the history: the next run to start is the
     * resumed one, which goes on from it; its views' time is the schedule's,
     * `shift` behind the run's (the gap no process ran) */
    bool seeded;
    pb_usec shift;
};

/* What a request served, for the completion callback: only their addresses
 * are used (as a request's req_cls), never their values. */
static int final_page_tag, page_tag;

int pb_metrics_parse_addr(const char *text, pb_metrics_addr *out, pb_err *err)
{
    memset(out, 0, sizeof(*out));
    const char *port_text = text;
    const char *colon = strrchr(text, ':');
    snprintf(out->host, sizeof(out->host), "127.0.0.1");
    if (colon != NULL) {
        size_t n = (size_t)(colon - text);
        const char *host = text;
        if (n >= 2 && text[0] == '[' && text[n - 1] == ']') {
            host++;
            n -= 2;
            out->ipv6 = true;
        }
        if (n == 0 || n >= sizeof(out->host))
            goto bad;
        memcpy(out->host, host, n);
        out->host[n] = '\0';
        if (!out->ipv6 && strcmp(out->host, "localhost") == 0)
            snprintf(out->host, sizeof(out->host), "127.0.0.1");
        unsigned char a[sizeof(struct in6_addr)];
        if (inet_pton(out->ipv6 ? AF_INET6 : AF_INET, out->host, a) != 1)
            goto bad;
        port_text = colon + 1;
    }
    uint64_t port;
    pb_err perr;
    if (pb_parse_u64(port_text, "--metrics", 0, 65535, &port, &perr) != 0)
        goto bad;
    out->port = (uint16_t)port;
    return 0;
bad:
    return pb_err_set(err, PB_EPARSE,
                      "--metrics: expected [ADDR:]PORT, a port from 0 to 65535 with an optional "
                      "numeric address (9464, 127.0.0.1:9464, [::1]:9464), got "
                      "\"%s\"",
                      text);
}

static enum MHD_Result respond(struct MHD_Connection *c, unsigned status, const char *type,
                               char *body, size_t len)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    if (r == NULL) {
        free(body);
        return MHD_NO;
    }
    enum MHD_Result ok = MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    if (ok == MHD_YES)
        ok = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ok;
}

static enum MHD_Result respond_text(struct MHD_Connection *c, unsigned status, const char *text)
{
    char *body = strdup(text);
    if (body == NULL)
        return MHD_NO;
    return respond(c, status, "text/plain; charset=utf-8", body, strlen(body));
}

/* A copy of the runs on the page, taken under the lock; *final when every
 * run is over. false when out of memory. */
static bool copy_runs(pb_metrics *m, pb_metrics_run **copy, size_t *n, bool *final)
{
    pthread_mutex_lock(&m->mu);
    *n = m->n_runs;
    *final = *n > 0 && !m->open;
    *copy = *n > 0 ? malloc(*n * sizeof(**copy)) : NULL;
    if (*copy != NULL)
        memcpy(*copy, m->runs, *n * sizeof(**copy));
    pthread_mutex_unlock(&m->mu);
    return *n == 0 || *copy != NULL;
}

/* /metrics of mock --metrics: the server's counters as last published, the
 * text its own port serves at /metrics. */
static enum MHD_Result answer_mock_page(pb_metrics *m, struct MHD_Connection *c)
{
    pb_mock_stats *copy = malloc(sizeof(*copy));
    if (copy == NULL)
        return MHD_NO;
    pthread_mutex_lock(&m->mu);
    *copy = m->mock;
    pthread_mutex_unlock(&m->mu);
    char *page = pb_mock_stats_to_prometheus(copy);
    free(copy);
    if (page == NULL)
        return MHD_NO;
    return respond(c, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", page, strlen(page));
}

static enum MHD_Result answer_page(pb_metrics *m, struct MHD_Connection *c, void **req_cls)
{
    pthread_mutex_lock(&m->mu);
    bool mock = m->source == &pb_live_mock_source;
    pthread_mutex_unlock(&m->mu);
    if (mock)
        return answer_mock_page(m, c);
    pb_metrics_process proc;
    pb_metrics_process_read(&proc);
    pb_metrics_run *copy;
    size_t n;
    bool final;
    if (!copy_runs(m, &copy, &n, &final))
        return MHD_NO;
    size_t len = 0;
    char *page = pb_metrics_page(copy, n, &proc, &len);
    free(copy);
    if (page == NULL)
        return MHD_NO;
    *req_cls = final ? &final_page_tag : &page_tag;
    return respond(c, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", page, len);
}

/* The live page's figures; not a scrape (linger waits for /metrics). */
static enum MHD_Result answer_live_json(pb_metrics *m, struct MHD_Connection *c)
{
    pb_metrics_process proc;
    pb_metrics_process_read(&proc);
    pb_metrics_run *copy;
    size_t n;
    bool final;
    if (!copy_runs(m, &copy, &n, &final))
        return MHD_NO;
    size_t len = 0;
    char *json = pb_live_json(copy, n, &proc, &len);
    free(copy);
    if (json == NULL)
        return MHD_NO;
    return respond(c, MHD_HTTP_OK, "application/json", json, len);
}

/* The point after which the page has every recent point: ?since=SECONDS,
 * as the page read it from the last point it got; 0 (everything) without. */
static pb_usec since_of(struct MHD_Connection *c)
{
    const char *text = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "since");
    if (text == NULL)
        return 0;
    char *end;
    double s = strtod(text, &end);
    if (*end != '\0' || !(s > 0) || s > 1e12)
        return 0;
    return (pb_usec)llround(s * 1e6);
}

/* /page.json: the live page's head, charts and points (the whole run too
 * with ?whole=1). The points are copied under the lock, written outside. */
static enum MHD_Result answer_page_json(pb_metrics *m, struct MHD_Connection *c)
{
    pb_usec since = since_of(c);
    bool want_whole = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "whole") != NULL;
    pb_live_point *recent = malloc(PB_LIVE_RECENT * sizeof(*recent));
    pb_live_point *whole = want_whole ? malloc((PB_LIVE_WHOLE + 1) * sizeof(*whole)) : NULL;
    pb_metrics_run *run = malloc(sizeof(*run));
    pb_mock_stats *mock = malloc(sizeof(*mock));
    char *head = NULL, *json = NULL;
    size_t n_recent = 0, n_whole = 0, len = 0;
    unsigned stride = 1;
    if (recent == NULL || (want_whole && whole == NULL) || run == NULL || mock == NULL)
        goto done;
    pthread_mutex_lock(&m->mu);
    const pb_live_source *source = m->source;
    bool has_run = m->n_runs > 0;
    if (has_run)
        *run = m->runs[m->n_runs - 1];
    *mock = m->mock;
    pb_usec mock_at = m->mock_at;
    char url[sizeof(m->mock_url)];
    memcpy(url, m->mock_url, sizeof(url));
    n_recent = pb_live_history_recent(m->history, since, recent);
    /* the figures of the last second, whatever the page already has */
    pb_live_point last;
    bool has_last = pb_live_history_last(m->history, &last);
    if (want_whole)
        n_whole = pb_live_history_whole(m->history, whole, &stride);
    pthread_mutex_unlock(&m->mu);
    if (source == &pb_live_mock_source)
        head = pb_live_mock_head(url, mock, mock_at, has_last ? &last : NULL);
    else
        head = pb_live_run_head(has_run ? run : NULL, has_last ? &last : NULL);
    if (head != NULL)
        json = pb_live_feed(source, head, recent, n_recent, whole, n_whole, stride, &len);
done:
    free(recent);
    free(whole);
    free(run);
    free(mock);
    free(head);
    if (json == NULL)
        return MHD_NO;
    return respond(c, MHD_HTTP_OK, "application/json", json, len);
}

static enum MHD_Result answer_live_page(struct MHD_Connection *c)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(pb_live_html_len, (void *)pb_live_html,
                                                             MHD_RESPMEM_PERSISTENT);
    if (r == NULL)
        return MHD_NO;
    enum MHD_Result ok =
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/html; charset=utf-8");
    if (ok == MHD_YES)
        ok = MHD_queue_response(c, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return ok;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **req_cls)
{
    pb_metrics *m = cls;
    if (*upload_size != 0) {
        *upload_size = 0; /* a body is read and ignored; the answer comes after it */
        return MHD_YES;
    }
    if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
        return respond_text(c, MHD_HTTP_METHOD_NOT_ALLOWED,
                            "only GET /metrics, /, /page.json and /live.json are served here\n");
    if (strcmp(url, "/metrics") == 0)
        return answer_page(m, c, req_cls);
    if (strcmp(url, "/page.json") == 0)
        return answer_page_json(m, c);
    if (strcmp(url, "/") == 0)
        return answer_live_page(c);
    if (strcmp(url, "/live.json") == 0)
        return answer_live_json(m, c);
    return respond_text(c, MHD_HTTP_NOT_FOUND,
                        "patternbench serves its live metrics at /metrics and a live page at /\n");
}

static void on_completed(void *cls, struct MHD_Connection *c, void **req_cls,
                         enum MHD_RequestTerminationCode toe)
{
    pb_metrics *m = cls;
    if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK || *req_cls == NULL)
        return;
    pthread_mutex_lock(&m->mu);
    m->scrapes++;
    /* a final page sent while a new run began is no longer final */
    if (*req_cls == &final_page_tag && !m->open) {
        m->final_served = true;
        pthread_cond_broadcast(&m->served_cv);
    }
    pthread_mutex_unlock(&m->mu);
}

/* Bind and listen ourselves, so that a port in use is told with its errno
 * before libmicrohttpd is involved; MHD closes the socket when it stops. */
static int listen_on(const pb_metrics_addr *a, int *fd_out, uint16_t *port, pb_err *err)
{
    struct sockaddr_storage ss;
    socklen_t len;
    memset(&ss, 0, sizeof(ss));
    if (a->ipv6) {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons(a->port);
        if (inet_pton(AF_INET6, a->host, &s6->sin6_addr) != 1)
            return pb_err_set(err, PB_EINVAL, "--metrics: bad address \"%s\"", a->host);
        len = sizeof(*s6);
    } else {
        struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
        s4->sin_family = AF_INET;
        s4->sin_port = htons(a->port);
        if (inet_pton(AF_INET, a->host, &s4->sin_addr) != 1)
            return pb_err_set(err, PB_EINVAL, "--metrics: bad address \"%s\"", a->host);
        len = sizeof(*s4);
    }
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return pb_err_set(err, PB_ENET, "--metrics: cannot create a socket: %s", strerror(errno));
    int on = 1;
    /* lets a restarted run take the port back from connections in TIME_WAIT;
     * a port someone listens on stays refused */
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) != 0 ||
        bind(fd, (struct sockaddr *)&ss, len) != 0 || listen(fd, SOMAXCONN) != 0) {
        int e = errno;
        close(fd);
        return pb_err_set(err, PB_ENET, "--metrics: cannot listen on %s%s%s:%u: %s",
                          a->ipv6 ? "[" : "", a->host, a->ipv6 ? "]" : "", (unsigned)a->port,
                          strerror(e));
    }
    len = sizeof(ss);
    if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0) {
        int e = errno;
        close(fd);
        return pb_err_set(err, PB_ENET, "--metrics: cannot read the bound port: %s", strerror(e));
    }
    *port = ntohs(a->ipv6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                          : ((struct sockaddr_in *)&ss)->sin_port);
    *fd_out = fd;
    return 0;
}

/* CONNECTION_LIMIT, or a quarter of the descriptors the process may open
 * when that is less: the run's own connections and database need the rest.
 * The soft descriptor limit is raised to the hard one first (1024 by default
 * on Linux, for a hard limit of many thousands). */
static unsigned connection_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return 16;
    if (rl.rlim_cur < rl.rlim_max) {
        rlim_t was = rl.rlim_cur;
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
            rl.rlim_cur = was;
    }
    if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur / 4 >= CONNECTION_LIMIT)
        return CONNECTION_LIMIT;
    return rl.rlim_cur / 4 > 16 ? (unsigned)(rl.rlim_cur / 4) : 16;
}

int pb_metrics_start(const pb_metrics_addr *addr, pb_metrics **out, pb_err *err)
{
    *out = NULL;
    pb_metrics *m = calloc(1, sizeof(*m));
    if (m == NULL)
        return pb_err_set(err, PB_ENOMEM, "--metrics: out of memory");
    m->runs = calloc(PB_METRICS_MAX_RUNS, sizeof(*m->runs));
    m->source = &pb_live_run_source;
    pthread_condattr_t ca;
    int rc = PB_ENOMEM;
    if (m->runs == NULL ||
        pb_live_history_create(pb_live_run_source.rules, pb_live_run_source.n_values,
                               &m->history) != 0 ||
        pthread_condattr_init(&ca) != 0) {
        pb_live_history_destroy(m->history);
        free(m->runs);
        free(m);
        return pb_err_set(err, rc, "--metrics: out of memory");
    }
    /* linger's deadline is monotonic, like every duration here */
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&m->served_cv, &ca);
    pthread_condattr_destroy(&ca);
    pthread_mutex_init(&m->mu, NULL);
    pb_metrics_process proc;
    pb_metrics_process_read(&proc);
    m->cpu_previous = proc.cpu_seconds;

    int fd = -1;
    uint16_t port = 0;
    if ((rc = listen_on(addr, &fd, &port, err)) != 0)
        goto fail;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL;
    if (addr->ipv6)
        flags |= MHD_USE_IPv6;
    unsigned limit = connection_limit();
    m->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, m, MHD_OPTION_LISTEN_SOCKET, fd,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, m, MHD_OPTION_CONNECTION_LIMIT, limit,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, limit / 2, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned)CONNECTION_TIMEOUT_S, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        (size_t)CONNECTION_MEMORY, MHD_OPTION_END);
    if (m->daemon == NULL) {
        close(fd);
        rc = pb_err_set(err, PB_ENET, "--metrics: libmicrohttpd could not start on %s:%u",
                        addr->host, (unsigned)port);
        goto fail;
    }
    const char *host = addr->host;
    if (strcmp(host, "0.0.0.0") == 0)
        host = "127.0.0.1";
    else if (strcmp(host, "::") == 0)
        host = "::1";
    snprintf(m->url, sizeof(m->url), addr->ipv6 ? "http://[%s]:%u/metrics" : "http://%s:%u/metrics",
             host, (unsigned)port);
    *out = m;
    return 0;
fail:
    pb_metrics_stop(m);
    return rc;
}

const char *pb_metrics_url(const pb_metrics *m)
{
    return m->url;
}

void pb_metrics_publish(pb_metrics *m, const pb_run_view *v)
{
    /* the histogram walk happens here, on the engine's thread, outside the lock */
    pb_metrics_run_from_view(v, &m->staging);
    pb_metrics_process proc;
    pb_metrics_process_read(&proc);
    pthread_mutex_lock(&m->mu);
    bool starts = !m->open;
    bool seeded = starts && m->seeded;
    pthread_mutex_unlock(&m->mu);
    /* a run's first second is taken from its start, where it had counted
     * nothing; a resumed run's counters hold its earlier rows, so its first
     * view is only the baseline of the next */
    if (starts)
        memset(&m->previous, 0, sizeof(m->previous));
    if (starts && !seeded)
        m->shift = 0;
    pb_live_point point;
    pb_live_run_point(&m->previous, m->cpu_previous, &m->staging, proc.cpu_seconds, &point);
    point.end += m->shift;
    if (seeded)
        point.span = 0;
    m->previous = m->staging;
    m->cpu_previous = proc.cpu_seconds;

    pthread_mutex_lock(&m->mu);
    if (starts && !seeded)
        pb_live_history_reset(m->history, pb_live_run_source.rules, pb_live_run_source.n_values);
    if (starts)
        m->seeded = false;
    /* a view with no time gone by (the final one, right after a second's)
     * changes the figures but adds no second */
    if (point.span > 0)
        pb_live_history_add(m->history, &point);
    if (!m->open) {
        if (m->n_runs == PB_METRICS_MAX_RUNS) {
            memmove(&m->runs[0], &m->runs[1], (PB_METRICS_MAX_RUNS - 1) * sizeof(m->runs[0]));
            m->n_runs--;
        }
        m->n_runs++;
        m->open = true;
        m->final_served = false;
    }
    m->runs[m->n_runs - 1] = m->staging;
    if (v->final)
        m->open = false;
    pthread_mutex_unlock(&m->mu);
}

void pb_metrics_publish_mock(pb_metrics *m, const char *url, const pb_mock_stats *s, pb_usec at)
{
    pthread_mutex_lock(&m->mu);
    if (m->source != &pb_live_mock_source) {
        /* its points carry the mock's values: the same room, read otherwise */
        m->source = &pb_live_mock_source;
        pb_live_history_reset(m->history, pb_live_mock_source.rules, pb_live_mock_source.n_values);
        memset(&m->mock, 0, sizeof(m->mock));
        m->mock_at = 0;
    }
    pb_live_point point;
    pb_live_mock_point(&m->mock, m->mock_at, s, at, &point);
    if (point.span > 0)
        pb_live_history_add(m->history, &point);
    m->mock = *s;
    m->mock_at = at;
    snprintf(m->mock_url, sizeof(m->mock_url), "%s", url);
    pthread_mutex_unlock(&m->mu);
}

struct seed {
    pb_metrics *m;
    pb_hist *scratch;
    pb_err *err;
    const char *path;
};

static int seed_second(void *data, const pb_second_row *row)
{
    struct seed *sd = data;
    pb_live_point point;
    if (pb_live_run_stored_point(row, sd->scratch, &point) != 0)
        return pb_err_set(sd->err, PB_EPARSE,
                          "%s: second %" PRIu64 " of run %" PRId64
                          " holds a latency histogram that does not decode",
                          sd->path, row->sec, row->run_id);
    /* one second at a time, so that a scrape meanwhile waits for one add only */
    pthread_mutex_lock(&sd->m->mu);
    pb_live_history_add(sd->m->history, &point);
    pthread_mutex_unlock(&sd->m->mu);
    return 0;
}

int pb_metrics_resume(pb_metrics *m, const pb_run_config *cfg, pb_err *err)
{
    const pb_run_resume *r = &cfg->resume;
    assert(r->run_id != 0 && r->run_at >= r->schedule_at);
    pb_reader *rd = NULL;
    uint64_t tail_rows;
    struct seed sd = {.m = m, .err = err, .path = cfg->db_path};
    int rc = pb_hist_create_latency(&sd.scratch);
    if (rc != 0)
        return pb_err_set(err, rc, "--metrics: out of memory");
    pthread_mutex_lock(&m->mu);
    pb_live_history_reset(m->history, pb_live_run_source.rules, pb_live_run_source.n_values);
    pthread_mutex_unlock(&m->mu);
    if ((rc = pb_reader_open(cfg->db_path, &rd, err)) == 0 &&
        (rc = pb_reader_complete_tail(rd, r->run_id, &tail_rows, err)) == 0)
        rc = pb_reader_seconds(rd, r->run_id, seed_second, &sd, err);
    pb_reader_close(rd);
    pb_hist_destroy(sd.scratch);
    pthread_mutex_lock(&m->mu);
    m->seeded = rc == 0;
    if (rc != 0)
        pb_live_history_reset(m->history, pb_live_run_source.rules, pb_live_run_source.n_values);
    pthread_mutex_unlock(&m->mu);
    m->shift = r->run_at - r->schedule_at;
    return rc;
}

static void monitor_second(void *data, const pb_run_view *v)
{
    pb_metrics_publish(data, v);
}

pb_run_observer pb_metrics_monitor(pb_metrics *m)
{
    return (pb_run_observer){.second = monitor_second, .data = m};
}

bool pb_metrics_linger(pb_metrics *m, pb_usec max)
{
    struct timespec deadline;
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_sec += (time_t)(max / PB_USEC_PER_SEC);
    deadline.tv_nsec += (long)(max % PB_USEC_PER_SEC) * 1000;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&m->mu);
    while (!m->final_served)
        if (pthread_cond_timedwait(&m->served_cv, &m->mu, &deadline) == ETIMEDOUT)
            break;
    bool served = m->final_served;
    pthread_mutex_unlock(&m->mu);
    return served;
}

uint64_t pb_metrics_scrapes(pb_metrics *m)
{
    pthread_mutex_lock(&m->mu);
    uint64_t n = m->scrapes;
    pthread_mutex_unlock(&m->mu);
    return n;
}

void pb_metrics_stop(pb_metrics *m)
{
    if (m == NULL)
        return;
    if (m->daemon != NULL)
        MHD_stop_daemon(m->daemon);
    pthread_mutex_destroy(&m->mu);
    pthread_cond_destroy(&m->served_cv);
    pb_live_history_destroy(m->history);
    free(m->runs);
    free(m);
}
