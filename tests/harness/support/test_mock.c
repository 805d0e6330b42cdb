#include "test_mock.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

pb_mock *test_mock_start(const char *const *opts)
{
    pb_mock_config *cfg;
    pb_err err = {0};
    assert_int_equal(pb_mock_config_create(&cfg), 0);
    for (int i = 0; opts != NULL && opts[i] != NULL; i += 2)
        if (pb_mock_config_set(cfg, opts[i], opts[i + 1], &err) != 0)
            fail_msg("mock option %s: %s", opts[i], err.msg);
    pb_mock *m;
    if (pb_mock_start(cfg, NULL, NULL, &m, &err) != 0)
        fail_msg("mock: %s", err.msg);
    pb_mock_config_destroy(cfg);
    return m;
}
