/* A ramp of the arrival rate, k6's ramping-arrival-rate: `--stages
 * 2m:1000,1h:1000,2m:0` goes linearly from the run's --rate (0 unless given)
 * to 1000/s over 2 minutes, holds it an hour, and falls to 0 over 2 minutes.
 * With --ramp concurrency the targets are closed-loop workers instead, k6's
 * ramping-vus: linear from --concurrency (0 unless given), the number of
 * workers the target rounded to the nearest whole one.
 * Pure logic: the engine asks for the target at a time. */
#ifndef PB_STAGES_H
#define PB_STAGES_H

#include <stdint.h>

#include "errors.h"
#include "monotime.h"

/* Most stages a ramp holds. */
/* Most workers a ramp of concurrency may aim for (--concurrency's bound). */
#define PB_STAGES_MAX_WORKERS 100000

#define PB_STAGES_MAX 32

/* One stage: over `duration`, from the previous stage's target to `target`. */
typedef struct pb_stage {
    pb_usec duration;
    double target; /* arrivals per second at the stage's end */
} pb_stage;

/* A ramp; n = 0 is none. The caller owns the storage. */
typedef struct pb_stages {
    pb_stage stage[PB_STAGES_MAX];
    int n;
} pb_stages;

/* Parse "D:R,D:R,..." (durations above 0, rates 0 to 1e7 with an optional
 * k). PB_EPARSE / PB_ERANGE naming `what`. */
int pb_stages_parse(const char *text, const char *what, pb_stages *out, pb_err *err) PB_MUST_CHECK;

/* Refuse a stage that goes from 0 to 0 per second, starting from `start`
 * (the run's --rate): it would send nothing. PB_EINVAL naming `what`. */
int pb_stages_check(const pb_stages *s, double start, const char *what, pb_err *err) PB_MUST_CHECK;

/* Refuse a ramp of workers whose targets are not whole numbers of workers
 * from 0 to PB_STAGES_MAX_WORKERS. PB_ERANGE naming `what` and the stage. */
int pb_stages_check_workers(const pb_stages *s, const char *what, pb_err *err) PB_MUST_CHECK;

/* The stages' total length. */
pb_usec pb_stages_length(const pb_stages *s);

/* The target at t from the ramp's start: linear within a stage; the last
 * stage's target after the end. */
double pb_stages_target(const pb_stages *s, double start, pb_usec t);

/* The mean target over [a, b) (a < b): what a second's arrivals should number. */
double pb_stages_mean(const pb_stages *s, double start, pb_usec a, pb_usec b);

/* The highest target (stages are linear, so one of their ends, or start). */
double pb_stages_max(const pb_stages *s, double start);

/* The workers at t: the target rounded to the nearest whole number (half up). */
uint32_t pb_stages_workers(const pb_stages *s, double start, pb_usec t);

/* The first time after t at which pb_stages_workers differs from its value
 * at t; PB_USEC_NEVER when it never changes again. */
pb_usec pb_stages_next_change(const pb_stages *s, double start, pb_usec t);

#endif
