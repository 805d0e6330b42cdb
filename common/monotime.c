#include "monotime.h"

#include <assert.h>
#include <time.h>

pb_usec pb_monotime_now(void)
{
    struct timespec ts;
    int rc = clock_gettime(CLOCK_MONOTONIC, &ts);
    assert(rc == 0);
    (void)rc;
    return (pb_usec)ts.tv_sec * PB_USEC_PER_SEC + (pb_usec)ts.tv_nsec / 1000;
}

int64_t pb_walltime_now(void)
{
    struct timespec ts;
    int rc = clock_gettime(CLOCK_REALTIME, &ts);
    assert(rc == 0);
    (void)rc;
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}
