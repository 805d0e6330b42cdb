/* The gauges of the mock server's stats: values now, after the counters and
 * the per-status counts in pb_mock_stats and its JSON (a run's summary keeps
 * that JSON as "server"), not in `patternbench mock`'s lines. Written once as
 *   XX(gauge, type, METRIC, merge)
 * gauge   field name and JSON key
 * type    its C type in pb_mock_stats
 * METRIC  the mockserver/mock_vocab.h PB_MOCK_METRIC_MAP row it is exposed under
 * merge   how `patternbench merge` combines the segments' final values in the
 *         merged run's "server": PB_GAUGE_SUM adds them (what the segments'
 *         servers held together when each stopped), PB_GAUGE_OMIT leaves the
 *         gauge out (no sum gives it: it describes one server's moment)
 * The mock's counters are always summed. The table is here, in common/,
 * because two rooms read it: the mock, which fills the gauges, and the store,
 * whose merge combines them; neither includes the other.
 * Only macros here: no declarations, no includes. */
#ifndef PB_MOCK_GAUGES_H
#define PB_MOCK_GAUGES_H

#define PB_MOCK_GAUGE_MAP(XX)                                                                      \
    XX(in_flight, uint32_t, IN_FLIGHT, PB_GAUGE_OMIT)      /* received, not yet finished */        \
    XX(queued, uint32_t, QUEUED, PB_GAUGE_OMIT)            /* waiting for a capacity slot */       \
    XX(phase, int, PHASE, PB_GAUGE_OMIT)                   /* the phase active now */              \
    XX(connections, uint32_t, CONNECTIONS, PB_GAUGE_SUM)   /* open now, <= --connection-limit */   \
    XX(admin_body_bytes, uint64_t, ADMIN_BODY_BYTES, PB_GAUGE_SUM) /* held by unfinished admin     \
                                                                      bodies */

/* The merge rules of PB_MOCK_GAUGE_MAP's last column. */
#define PB_GAUGE_SUM 1
#define PB_GAUGE_OMIT 0

#endif
