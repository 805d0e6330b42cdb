/* The mock's command-line options (pb_mock_config_set, mockserver/mock.h):
 * the input is lines of NAME=VALUE (a line without '=' passes no value),
 * applied in order to one configuration, as `patternbench mock` applies its
 * argv. NAME "profile" loads VALUE as profile JSON text rather than reading
 * a file, so that later options meet phases. A refused option must leave the
 * configuration as it was, and the result must read back from its JSON. */
#include "fuzz.h"
#include "mock.h"

/* The configuration's JSON; aborts when out of memory. */
static char *snapshot(const pb_mock_config *cfg)
{
    char *json = pb_mock_config_to_json(cfg);
    FUZZ_CHECK(json != NULL);
    return json;
}

static void apply(pb_mock_config *cfg, char *line)
{
    char *value = strchr(line, '=');
    if (value != NULL)
        *value++ = '\0';
    char *before = snapshot(cfg);
    pb_err err = {0};
    int rc;
    if (strcmp(line, "profile") == 0)
        rc = value != NULL ? pb_mock_config_load_json(cfg, value, "--profile", &err) : 0;
    else
        rc = pb_mock_config_set(cfg, line, value, &err);
    if (rc != 0) {
        FUZZ_CHECK_ERR(rc, err);
        char *after = snapshot(cfg);
        if (strcmp(before, after) != 0)
            fprintf(stderr, "refused --%s changed the configuration:\n%s\n%s\n", line, before,
                    after);
        FUZZ_CHECK(strcmp(before, after) == 0);
        free(after);
    }
    free(before);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    char *text = fuzz_cstr(data, len);
    pb_mock_config *cfg = NULL, *back = NULL;
    FUZZ_CHECK(pb_mock_config_create(&cfg) == 0);
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save))
        apply(cfg, line);

    /* what to_json writes, load_json reads back to the same configuration */
    char *json = snapshot(cfg);
    FUZZ_CHECK(pb_mock_config_create(&back) == 0);
    pb_err err = {0};
    int rc = pb_mock_config_load_json(back, json, "round trip", &err);
    if (rc != 0)
        fprintf(stderr, "%s\ndoes not read back: %s\n", json, err.msg);
    FUZZ_CHECK(rc == 0);
    char *again = snapshot(back);
    if (strcmp(json, again) != 0)
        fprintf(stderr, "%s\nreads back as\n%s\n", json, again);
    FUZZ_CHECK(strcmp(json, again) == 0);
    free(again);
    free(json);
    pb_mock_config_destroy(back);
    pb_mock_config_destroy(cfg);
    free(text);
    return 0;
}
