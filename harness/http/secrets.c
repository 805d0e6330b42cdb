/* pb_secrets: keeping header values and URL passwords out of every output. */
#include "secrets.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "target.h"

/* Headers that carry credentials whatever the user says. */
static const char *const always_secret[] = {"Authorization", "Cookie", "Proxy-Authorization"};

int pb_secrets_add(pb_secrets *s, const char *name, pb_err *err)
{
    size_t n = pb_target_header_name_len(name);
    if (n == 0 || name[n] != '\0')
        return pb_err_set(err, PB_EINVAL,
                          "--secret-header: expected a header name (letters, digits and "
                          "-_.!#$%%&'*+^`|~), got \"%s\"",
                          name);
    if (n > PB_SECRETS_NAME_MAX)
        return pb_err_set(err, PB_ERANGE, "--secret-header: expected at most %d characters",
                          PB_SECRETS_NAME_MAX);
    if (s->n == PB_SECRETS_MAX)
        return pb_err_set(err, PB_EFULL, "--secret-header: at most %d names", PB_SECRETS_MAX);
    memcpy(s->names[s->n++], name, n + 1);
    return 0;
}

bool pb_secrets_is_secret(const pb_secrets *s, const char *name, size_t len)
{
    for (size_t i = 0; i < sizeof(always_secret) / sizeof(always_secret[0]); i++)
        if (strlen(always_secret[i]) == len && strncasecmp(name, always_secret[i], len) == 0)
            return true;
    for (int i = 0; s != NULL && i < s->n; i++)
        if (strlen(s->names[i]) == len && strncasecmp(name, s->names[i], len) == 0)
            return true;
    return false;
}

const char *pb_secrets_header(const pb_secrets *s, const char *line, char *buf, size_t len)
{
    size_t n = pb_target_header_name_len(line);
    if (!pb_secrets_is_secret(s, line, n))
        return line;
    snprintf(buf, len, "%.*s: " PB_SECRETS_REDACTED, (int)n, line);
    return buf;
}

char *pb_secrets_url(const char *url)
{
    CURLU *u = curl_url();
    char *pass = NULL, *shown = NULL, *out = NULL;
    if (u == NULL)
        return NULL;
    if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_PASSWORD, &pass, 0) != CURLUE_OK) {
        out = strdup(url); /* nothing libcurl would send as a password */
        goto done;
    }
    if (curl_url_set(u, CURLUPART_PASSWORD, PB_SECRETS_REDACTED, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_URL, &shown, 0) == CURLUE_OK)
        out = strdup(shown);
done:
    curl_free(pass);
    curl_free(shown);
    curl_url_cleanup(u);
    return out;
}
