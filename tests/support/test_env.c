#include "test_env.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

const char *test_env(const char *name)
{
    const char *v = getenv(name);
    if (v == NULL)
        fail_msg("%s is not set (run the test through ctest)", name);
    return v;
}
