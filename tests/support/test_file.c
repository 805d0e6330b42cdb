#include "test_file.h"

#include <errno.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

char *test_slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        fail_msg("cannot read %s: %s", path, strerror(errno));
    size_t cap = 4096, n = 0, got;
    char *buf = malloc(cap);
    assert_non_null(buf);
    /* read until end of file rather than trust the size: a file being written grows */
    while ((got = fread(buf + n, 1, cap - 1 - n, f)) > 0) {
        n += got;
        if (cap - 1 - n == 0) {
            char *grown = realloc(buf, cap * 2);
            assert_non_null(grown);
            buf = grown;
            cap *= 2;
        }
    }
    if (ferror(f))
        fail_msg("cannot read %s", path);
    fclose(f);
    buf[n] = '\0';
    if (len != NULL)
        *len = n;
    return buf;
}

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)ftw;
    return flag == FTW_DP ? rmdir(path) : unlink(path);
}

void test_rmtree(const char *path)
{
    assert_int_equal(nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS), 0);
}

void test_write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (f == NULL)
        fail_msg("cannot write %s: %s", path, strerror(errno));
    assert_true(fputs(text, f) >= 0);
    assert_int_equal(fclose(f), 0);
}

int test_scratch_setup(void **state)
{
    test_scratch *s = calloc(1, sizeof(*s));
    assert_non_null(s);
    const char *tmp = getenv("TMPDIR");
    snprintf(s->dir, sizeof(s->dir), "%s/pb_%s_XXXXXX", tmp != NULL ? tmp : "/tmp",
             program_invocation_short_name);
    assert_non_null(mkdtemp(s->dir));
    *state = s;
    return 0;
}

int test_scratch_teardown(void **state)
{
    test_scratch *s = *state;
    test_rmtree(s->dir);
    free(s);
    return 0;
}
