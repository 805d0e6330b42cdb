/* The admin token file (`mock --admin-token-file F`, pb_mock_config_set): the
 * input is the file's bytes. Either the token is refused with a message and
 * the configuration keeps no token, or the token is exactly the file's first
 * line (up to CR or LF), 1 to PB_MOCK_TOKEN_MAX visible ASCII characters:
 * nothing in the file is dropped or cut off without a word. */
#include <unistd.h>

#include "fuzz.h"
#include "mock.h"
#include "mock_config.h"

/* the file each input is written to, removed at exit */
static char path[] = "/tmp/pb_fuzz_token_XXXXXX";

static void remove_file(void)
{
    unlink(path);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    int fd = mkstemp(path);
    FUZZ_CHECK(fd >= 0);
    FUZZ_CHECK(close(fd) == 0);
    FUZZ_CHECK(atexit(remove_file) == 0);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    FUZZ_CHECK(f != NULL);
    FUZZ_CHECK(fwrite(data, 1, len, f) == len);
    FUZZ_CHECK(fclose(f) == 0);

    pb_mock_config *cfg = NULL;
    FUZZ_CHECK(pb_mock_config_create(&cfg) == 0);
    pb_err err = {0};
    int rc = pb_mock_config_set(cfg, "admin-token-file", path, &err);
    size_t line = 0;
    while (line < len && data[line] != '\r' && data[line] != '\n')
        line++;
    if (rc != 0) {
        FUZZ_CHECK_ERR(rc, err);
        FUZZ_CHECK(cfg->admin_token[0] == '\0');
    } else {
        size_t n = strlen(cfg->admin_token);
        FUZZ_CHECK(n >= 1 && n <= PB_MOCK_TOKEN_MAX);
        if (n != line)
            fprintf(stderr, "the file's first line has %zu bytes, the token %zu\n", line, n);
        FUZZ_CHECK(n == line && memcmp(cfg->admin_token, data, n) == 0);
        for (size_t i = 0; i < n; i++)
            FUZZ_CHECK(cfg->admin_token[i] > ' ' && cfg->admin_token[i] <= '~');
    }
    pb_mock_config_destroy(cfg);
    return 0;
}
