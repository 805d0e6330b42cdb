/* The options `run` and `compare` take (pb_run_config_set, harness/engine/
 * run_config.h, among them --segment, --start-at, --record sample:N), and
 * --metrics [ADDR:]PORT (pb_metrics_parse_addr): lines NAME=VALUE (a line
 * without '=' passes no value), applied in order to one configuration as
 * `run` applies its argv. A refused option leaves a message and the
 * configuration as it was; what --segment, --start-at and --metrics accept
 * is in range and reads back the same; the configuration is then checked
 * and described in JSON without a crash. */
#include <arpa/inet.h>
#include <inttypes.h>

#include "fuzz.h"
#include "metrics_server.h"
#include "run_config.h"
#include "segment.h"

static char *snapshot(const pb_run_config *cfg)
{
    char *json = pb_run_config_to_json(cfg);
    FUZZ_CHECK(json != NULL);
    return json;
}

/* What the parsers behind three options accept, checked on their own. */
static void parse_alone(const char *name, const char *value)
{
    pb_err err = {0};
    if (strcmp(name, "segment") == 0) {
        pb_segment s;
        int rc = pb_segment_parse(value, &s, &err);
        if (rc != 0) {
            FUZZ_CHECK_ERR(rc, err);
            return;
        }
        FUZZ_CHECK(s.index < s.count && s.count <= PB_SEGMENT_MAX);
        char text[32];
        snprintf(text, sizeof(text), "%" PRIu32 "/%" PRIu32, s.index, s.count);
        pb_segment back;
        FUZZ_CHECK(pb_segment_parse(text, &back, NULL) == 0);
        FUZZ_CHECK(back.index == s.index && back.count == s.count);
    } else if (strcmp(name, "start-at") == 0) {
        int64_t us;
        int rc = pb_segment_parse_start(value, &us, &err);
        if (rc != 0) {
            FUZZ_CHECK_ERR(rc, err);
            return;
        }
        if (us >= 0) {
            char text[48];
            snprintf(text, sizeof(text), "%" PRId64 ".%06" PRId64, us / 1000000, us % 1000000);
            int64_t back;
            FUZZ_CHECK(pb_segment_parse_start(text, &back, NULL) == 0 && back == us);
        }
    } else if (strcmp(name, "metrics") == 0) {
        pb_metrics_addr a;
        int rc = pb_metrics_parse_addr(value, &a, &err);
        if (rc != 0) {
            FUZZ_CHECK_ERR(rc, err);
            return;
        }
        unsigned char bin[16];
        FUZZ_CHECK(inet_pton(a.ipv6 ? AF_INET6 : AF_INET, a.host, bin) == 1);
        char text[96];
        snprintf(text, sizeof(text), a.ipv6 ? "[%s]:%u" : "%s:%u", a.host, (unsigned)a.port);
        pb_metrics_addr back;
        FUZZ_CHECK(pb_metrics_parse_addr(text, &back, NULL) == 0);
        FUZZ_CHECK(back.port == a.port && back.ipv6 == a.ipv6 && strcmp(back.host, a.host) == 0);
    }
}

static void apply(pb_run_config *cfg, char *line)
{
    char *value = strchr(line, '=');
    if (value != NULL)
        *value++ = '\0';
    if (value != NULL)
        parse_alone(line, value);
    if (strcmp(line, "metrics") == 0)
        return; /* run's own option, not the configuration's */
    char *before = snapshot(cfg);
    pb_err err = {0};
    int rc = pb_run_config_set(cfg, line, value, &err);
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
    pb_run_config cfg;
    FUZZ_CHECK(pb_run_config_init(&cfg) == 0);
    char *save = NULL;
    int lines = 0;
    for (char *line = strtok_r(text, "\n", &save); line != NULL && lines < 64;
         line = strtok_r(NULL, "\n", &save), lines++)
        apply(&cfg, line);
    pb_err err = {0};
    int rc = pb_run_config_check(&cfg, &err);
    if (rc != 0)
        FUZZ_CHECK_ERR(rc, err);
    free(snapshot(&cfg));
    pb_run_config_cleanup(&cfg);
    free(text);
    return 0;
}
