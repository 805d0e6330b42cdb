/* Lists of ids from the command line: `reproduce --claims C1,C4`
 * (pb_claims_parse), report's `DB:ID,ID` and `--runs ID,ID` (through
 * pb_cmd_report, on a database that does not exist) and one run id
 * (pb_usage_parse_id). The input is the --claims list, LF, the id list. A
 * claims list read back from what it selected selects the same claims; an id
 * reads back to itself; report refuses a bad list as a usage error (2)
 * before it opens anything, and a good one fails only on the database (1). */
#include <inttypes.h>

#include "claims.h"
#include "commands.h"
#include "fuzz.h"
#include "usage.h"

#define NOWHERE "/nonexistent-pb-fuzz"

static void claims(const char *list)
{
    bool selected[PB_CLAIM_COUNT];
    pb_err err = {0};
    int rc = pb_claims_parse(list, selected, &err);
    if (rc != 0) {
        FUZZ_CHECK_ERR(rc, err);
        return;
    }
    char text[64] = "";
    for (int c = 0; c < PB_CLAIM_COUNT; c++)
        if (selected[c])
            snprintf(text + strlen(text), sizeof(text) - strlen(text), "%s%s",
                     text[0] != '\0' ? "," : "", pb_claims_get((pb_claim_id)c)->id);
    FUZZ_CHECK(text[0] != '\0');
    bool back[PB_CLAIM_COUNT];
    FUZZ_CHECK(pb_claims_parse(text, back, NULL) == 0);
    FUZZ_CHECK(memcmp(selected, back, sizeof(back)) == 0);
}

static void one_id(const char *value)
{
    int64_t id;
    if (pb_usage_parse_id("report", "--run", value, &id) != 0)
        return;
    FUZZ_CHECK(id >= 1);
    char text[32];
    snprintf(text, sizeof(text), "%" PRId64, id);
    int64_t back;
    FUZZ_CHECK(pb_usage_parse_id("report", "--run", text, &back) == 0 && back == id);
}

static int report(const char *const *args, int argc)
{
    char *argv[8];
    FUZZ_CHECK(argc < 8);
    for (int i = 0; i < argc; i++) {
        argv[i] = strdup(args[i]);
        FUZZ_CHECK(argv[i] != NULL);
    }
    argv[argc] = NULL;
    int rc = pb_cmd_report(argc, argv);
    for (int i = 0; i < argc; i++)
        free(argv[i]);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    char *text = fuzz_cstr(data, len);
    char *ids = strchr(text, '\n');
    if (ids != NULL)
        *ids++ = '\0';
    claims(text);
    if (ids != NULL) {
        one_id(ids);
        char *db = malloc(strlen(ids) + sizeof(NOWHERE "/x.db:"));
        FUZZ_CHECK(db != NULL);
        sprintf(db, NOWHERE "/x.db:%s", ids);
        int rc = report((const char *const[]){"report", db, "-o", NOWHERE "/out"}, 4);
        FUZZ_CHECK(rc == 1 || rc == 2);
        rc = report(
            (const char *const[]){"report", NOWHERE "/x.db", "--runs", ids, "-o", NOWHERE "/out"},
            6);
        FUZZ_CHECK(rc == 1 || rc == 2);
        free(db);
    }
    free(text);
    return 0;
}
