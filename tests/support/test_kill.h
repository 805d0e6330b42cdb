/* Kill a run with SIGKILL once its database holds what a test needs, as a
 * crash or a reboot would: the killed-and-resumed tests share it. */
#ifndef PB_TEST_KILL_H
#define PB_TEST_KILL_H

#include <stdint.h>

#include "pb_child.h"

/* The largest requests.t_us committed in the database at path, 0 when it has
 * no rows, -1 when it cannot be read yet (not created, locked). */
int64_t test_db_committed_us(const char *path);

/* Wait (at most 30 s, pumping ch's output) until the database at path holds
 * rows up to t_us, then SIGKILL ch and reap it; fails the test otherwise.
 * ch is finished, not cleaned up: its output stays readable. */
void test_kill_once_stored(pb_child *ch, const char *path, int64_t t_us);

#endif
