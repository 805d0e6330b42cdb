#include "fault_model.h"

#include "rng.h"

/* The HTTP status counted for each fault kind. */
static const uint16_t fault_status[PB_FAULT_COUNT] = {
#define FAULT_STATUS(e, name, counter, outcome, status) [PB_FAULT_##e] = status,
    PB_MOCK_FAULT_MAP(FAULT_STATUS)
#undef FAULT_STATUS
};

void pb_fault_decide(const pb_mock_settings *s, uint64_t seed, uint64_t seq, pb_fault_decision *out)
{
    pb_rng rng;
    pb_rng_seed_stream(&rng, seed, seq);
    /* The draw order is fixed (action first, then latency) and every request
     * makes both, so a request's latency does not depend on its action. */
    double u = pb_rng_double(&rng);
    out->latency = pb_latency_draw(&s->latency, s->latency_cap, &rng);
    out->action = PB_MOCK_OK;
    out->status = 200;
    double edge = 0;
    for (int k = 0; k < PB_FAULT_COUNT; k++) {
        edge += s->fault_fraction[k];
        if (u < edge) {
            out->action = PB_MOCK_FAULT_ACTION(k);
            out->status = fault_status[k];
            return;
        }
    }
    for (int i = 0; i < s->n_errors; i++) {
        edge += s->error_fraction[i];
        if (u < edge) {
            out->action = PB_MOCK_ERROR;
            out->status = s->error_status[i];
            return;
        }
    }
}
