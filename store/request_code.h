/* The packed `requests.code` column (docs/schema.md): one integer holding a
 * request's outcome, breaker state, HTTP status and attempt number. Its bit
 * layout is written once, here, as
 *   XX(field, shift, bits)
 * and the packing, the unpacking and the requests_v view's expressions
 * (schema.c) are all built from it.
 * Status 200 is stored as 0 and "no response" as 200, so that the commonest
 * row, a first attempt answered 200, packs to 0, which SQLite stores in no
 * bytes at all. The layout is part of the file format: never move a field. */
#ifndef PB_REQUEST_CODE_H
#define PB_REQUEST_CODE_H

#include <stdint.h>

#include "rows.h"
#include "vocabulary.h"

/* The attempt takes the bits above status: 0 bits here means "the rest". */
#define PB_REQUEST_CODE_MAP(XX)                                                                    \
    XX(outcome, 0, 4)                                                                              \
    XX(breaker, 4, 2)                                                                              \
    XX(status, 6, 10)                                                                              \
    XX(attempt, 16, 0)

/* Shift and mask of each field: PB_CODE_SHIFT_outcome, PB_CODE_MASK_outcome (0 for the
 * attempt, which has no mask). */
enum {
#define PB_CODE_ENUM(field, shift, bits)                                                           \
    PB_CODE_SHIFT_##field = shift, PB_CODE_MASK_##field = (1 << (bits)) - 1,
    PB_REQUEST_CODE_MAP(PB_CODE_ENUM)
#undef PB_CODE_ENUM
};

/* The outcome the rollup counts a stored integer as: one out of range is other_error. */
static inline pb_outcome pb_code_outcome_of(uint64_t stored)
{
    return stored < PB_OUTCOME_COUNT ? (pb_outcome)stored : PB_OUTCOME_OTHER_ERROR;
}

/* A row's fields as stored: status 200 <-> 0, out-of-range clamped. */
static inline int64_t pb_request_code_pack(const pb_request_row *row)
{
    uint64_t status = row->status == 200 ? 0 : row->status == 0 ? 200 : row->status;
    if (status > (uint64_t)PB_CODE_MASK_status)
        status = PB_CODE_MASK_status;
    uint64_t outcome = row->outcome <= PB_CODE_MASK_outcome ? row->outcome : PB_OUTCOME_OTHER_ERROR;
    return (int64_t)(outcome << PB_CODE_SHIFT_outcome |
                     (uint64_t)(row->breaker & PB_CODE_MASK_breaker) << PB_CODE_SHIFT_breaker |
                     status << PB_CODE_SHIFT_status |
                     (uint64_t)row->attempt << PB_CODE_SHIFT_attempt);
}

/* The fields of a stored code into row (outcome as stored, up to 15). */
static inline void pb_request_code_unpack(int64_t code, pb_request_row *row)
{
    uint64_t c = (uint64_t)code;
    row->outcome = (uint8_t)(c >> PB_CODE_SHIFT_outcome & PB_CODE_MASK_outcome);
    row->breaker = (uint8_t)(c >> PB_CODE_SHIFT_breaker & PB_CODE_MASK_breaker);
    unsigned s = (unsigned)(c >> PB_CODE_SHIFT_status & PB_CODE_MASK_status);
    row->status = (uint16_t)(s == 0 ? 200 : s == 200 ? 0 : s);
    row->attempt = (uint16_t)(c >> PB_CODE_SHIFT_attempt);
}

#endif
