#include "run_host.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>
#include <microhttpd.h>
#include <uv.h>

#include "json_out.h"
#include "recorder.h"

char *pb_run_versions_json(void)
{
    json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "patternbench", PB_VERSION, "libcurl",
                          curl_version_info(CURLVERSION_NOW)->version, "libmicrohttpd",
                          MHD_get_version(), "sqlite", pb_recorder_sqlite_version(), "libuv",
                          uv_version_string(), "jansson", jansson_version_str());
    if (j == NULL)
        return NULL;
    char *text = pb_json_dumps(j, JSON_COMPACT);
    json_decref(j);
    return text;
}

char *pb_run_host_text(void)
{
    struct utsname u;
    if (uname(&u) != 0)
        return strdup("unknown");
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    char buf[512];
    snprintf(buf, sizeof(buf), "%s (%s %s %s, %ld CPUs)", u.nodename, u.sysname, u.release,
             u.machine, cpus);
    return strdup(buf);
}
