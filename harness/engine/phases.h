/* How many phases a run has at most: its rate steps (scenarios' per-phase
 * load) and the mock phases it counts apart (phase_tally.h), so that the
 * configuration and the figures share the bound without the summary
 * depending on the configuration. */
#ifndef PB_PHASES_H
#define PB_PHASES_H

#define PB_MAX_PHASES 32

#endif
