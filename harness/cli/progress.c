#include "progress.h"

#include <inttypes.h>
#include <stdarg.h>

#include "disk_guard.h"
#include "units.h"

void pb_progress_init(pb_progress *p, FILE *out, bool tty)
{
    p->out = out;
    p->tty = tty;
    p->line_open = false;
    p->printed_slot = 0;
}

const char *pb_progress_format(const pb_run_view *v, char *buf, size_t len)
{
    char el[32], tot[32], eta[32], p50[32], p99[32], cp99[32];
    pb_format_duration(v->elapsed, el, sizeof(el));
    size_t n = 0;
    /* the ETA goes once nothing is left: "10s / 10s" says it */
    if (v->duration > 0) {
        pb_usec left = v->duration > v->elapsed ? v->duration - v->elapsed : 0;
        n = (size_t)snprintf(buf, len, "%s / %s", el,
                             pb_format_duration(v->duration, tot, sizeof(tot)));
        if (left > 0 && n < len)
            n += (size_t)snprintf(buf + n, len - n, "  ETA %s",
                                  pb_format_duration(left, eta, sizeof(eta)));
    } else {
        /* bound by a count: extrapolate from the average rate so far */
        const char *eta_text = "?";
        if (v->rows > 0 && v->total_requests > v->rows && v->elapsed > 0) {
            double per_row = (double)v->elapsed / (double)v->rows;
            pb_format_duration((pb_usec)(per_row * (double)(v->total_requests - v->rows)), eta,
                               sizeof(eta));
            eta_text = eta;
        } else if (v->total_requests > 0 && v->rows >= v->total_requests) {
            eta_text = NULL;
        }
        n = (size_t)snprintf(buf, len, "%s  %" PRIu64 " / %" PRIu64 " requests", el, v->rows,
                             v->total_requests);
        if (eta_text != NULL && n < len)
            n += (size_t)snprintf(buf + n, len - n, "  ETA %s", eta_text);
    }
    if (n >= len)
        return buf;
    double err = v->sec_network > 0 ? 100.0 * (double)v->sec_failed / (double)v->sec_network : 0;
    /* a second without an answer has no latency to show, not a latency of 0 */
    bool lat = v->sec_answered > 0;
    n += (size_t)snprintf(buf + n, len - n, "  %" PRIu64 " req/s", v->sec_network);
    if (n < len && v->ramp && !v->ramp_workers)
        n += (size_t)snprintf(buf + n, len - n, " (target %.0f/s)", v->rate_target);
    if (n < len)
        n += (size_t)snprintf(buf + n, len - n, "  err %.1f%%  p50 %s  p99 %s", err,
                              lat ? pb_format_duration(v->p50, p50, sizeof(p50)) : "-",
                              lat ? pb_format_duration(v->p99, p99, sizeof(p99)) : "-");
    /* in open loop the wait for a late worker counts too: the corrected p99 */
    if (n < len && v->open_loop)
        n += (size_t)snprintf(buf + n, len - n, "  cp99 %s",
                              lat ? pb_format_duration(v->cp99, cp99, sizeof(cp99)) : "-");
    /* what never reached the server says why the rate fell: an open breaker, a full queue */
    if (n < len && v->sec_rejected > 0)
        n += (size_t)snprintf(buf + n, len - n, "  rejected %" PRIu64 "/s", v->sec_rejected);
    if (n < len && v->sec_dropped > 0)
        n += (size_t)snprintf(buf + n, len - n, "  dropped %" PRIu64 "/s", v->sec_dropped);
    if (n < len)
        n += (size_t)snprintf(buf + n, len - n, "  in flight %u", v->in_flight);
    /* a ramp of workers: the limit is the workers it has reached */
    if (n < len && v->ramp_workers)
        n += (size_t)snprintf(buf + n, len - n, " (target %.1f)", v->rate_target);
    if (n < len)
        n += (size_t)snprintf(buf + n, len - n, "  limit %u  queue %u", v->pattern.limit,
                              v->pattern.queue_depth);
    if (n < len && v->pattern.breaker != PB_BREAKER_NONE)
        n += (size_t)snprintf(buf + n, len - n, "  breaker %s",
                              pb_breaker_state_name(v->pattern.breaker));
    if (n < len && v->recording && v->recorder.db_bytes > 0) {
        char now[32], end[32];
        snprintf(buf + n, len - n, "  db %s -> %s",
                 pb_format_size(v->recorder.db_bytes, now, sizeof(now)),
                 pb_format_size(v->db_projected_bytes, end, sizeof(end)));
    }
    return buf;
}

void pb_progress_update(pb_progress *p, const pb_run_view *v)
{
    pb_usec every = p->tty ? PB_USEC_PER_SEC : 10 * PB_USEC_PER_SEC;
    uint64_t slot = v->elapsed / every;
    if (slot == 0 || slot <= p->printed_slot)
        return;
    p->printed_slot = slot;
    char line[512];
    pb_progress_format(v, line, sizeof(line));
    if (p->tty) {
        /* carriage return, the line, clear to the end of the terminal line */
        fprintf(p->out, "\r%s\x1b[K", line);
        p->line_open = true;
    } else {
        fprintf(p->out, "%s\n", line);
    }
    fflush(p->out);
}

void pb_progress_note(pb_progress *p, const char *fmt, ...)
{
    pb_progress_finish(p);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(p->out, fmt, ap);
    va_end(ap);
    fputc('\n', p->out);
    fflush(p->out);
}

void pb_progress_finish(pb_progress *p)
{
    if (p->line_open) {
        fputc('\n', p->out);
        fflush(p->out);
        p->line_open = false;
    }
}

static void observe_second(void *data, const pb_run_view *v)
{
    pb_progress_update(data, v);
}

static void observe_note(void *data, const char *msg)
{
    pb_progress_note(data, "%s", msg);
}

static void observe_finish(void *data)
{
    pb_progress_finish(data);
}

pb_run_observer pb_progress_observer(pb_progress *p)
{
    return (pb_run_observer){
        .second = observe_second, .note = observe_note, .finish = observe_finish, .data = p};
}
