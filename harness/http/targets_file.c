/* pb_targets: reading a targets file in Vegeta's plain format or as JSONL. */
#include "targets_file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

int pb_targets_parse_format(const char *text, pb_targets_format *out, pb_err *err)
{
    if (strcmp(text, "vegeta") == 0)
        *out = PB_TARGETS_VEGETA;
    else if (strcmp(text, "jsonl") == 0)
        *out = PB_TARGETS_JSONL;
    else
        return pb_err_set(err, PB_EINVAL, "--targets-format: expected vegeta or jsonl, got \"%s\"",
                          text);
    return 0;
}

static pb_targets_format resolve(pb_targets_format f, const char *path)
{
    if (f != PB_TARGETS_BY_EXTENSION)
        return f;
    const char *dot = path != NULL ? strrchr(path, '.') : NULL;
    if (dot != NULL && (strcmp(dot, ".jsonl") == 0 || strcmp(dot, ".json") == 0))
        return PB_TARGETS_JSONL;
    return PB_TARGETS_VEGETA;
}

const char *pb_targets_format_name(pb_targets_format f, const char *path)
{
    return resolve(f, path) == PB_TARGETS_JSONL ? "jsonl" : "vegeta";
}

void pb_targets_cleanup(pb_targets *t)
{
    for (uint32_t i = 0; t->items != NULL && i < t->n; i++)
        pb_target_cleanup(&t->items[i]);
    free(t->items);
    memset(t, 0, sizeof(*t));
}

/* A new target at the end of t; NULL when full or out of memory (err says which). */
static pb_target *append(pb_targets *t, uint32_t *cap, const char *source, int line, pb_err *err)
{
    if (t->n == PB_TARGETS_MAX) {
        pb_err_set(err, PB_ERANGE, "--targets %s:%d: more than %u targets", source, line,
                   PB_TARGETS_MAX);
        return NULL;
    }
    if (t->n == *cap) {
        uint32_t grown = *cap != 0 ? *cap * 2 : 16;
        pb_target *items = realloc(t->items, grown * sizeof(*items));
        if (items == NULL) {
            pb_err_set(err, PB_ENOMEM, "--targets %s: out of memory", source);
            return NULL;
        }
        t->items = items;
        *cap = grown;
    }
    pb_target *tg = &t->items[t->n++];
    pb_target_init(tg);
    return tg;
}

/* A URL as a target takes it: absolute, or a path for the run's base URL. */
static int set_url(pb_target *tg, const char *url, pb_err *err)
{
    if (url[0] == '/') {
        char *copy = strdup(url);
        if (copy == NULL)
            return pb_err_set(err, PB_ENOMEM, "out of memory");
        free(tg->url);
        tg->url = copy;
        return 0;
    }
    return pb_target_set_url(tg, url, err);
}

/* Vegeta's plain format, line by line. `text` is NUL-terminated and changed in place. */
static int parse_vegeta(char *text, const char *source, pb_targets *out, pb_err *err)
{
    uint32_t cap = 0;
    pb_target *cur = NULL; /* the target being read: its request line was seen */
    bool has_body = false;
    int line = 0;
    for (char *p = text, *next; p != NULL; p = next) {
        line++;
        char *end = strchr(p, '\n');
        next = end != NULL ? end + 1 : NULL;
        if (end != NULL)
            *end = '\0';
        size_t len = strlen(p);
        if (len > 0 && p[len - 1] == '\r')
            p[--len] = '\0';
        if (len == 0) {
            cur = NULL; /* a blank line ends a target */
            continue;
        }
        if (p[0] == '#')
            continue;
        int rc = 0;
        if (cur == NULL) {
            char *space = strchr(p, ' ');
            if (space == NULL || space == p || space[1] == '\0' || strchr(space + 1, ' ') != NULL)
                return pb_err_set(err, PB_EPARSE,
                                  "--targets %s:%d: expected a request line 'METHOD URL' "
                                  "(a blank line between targets), got \"%.60s\"",
                                  source, line, p);
            *space = '\0';
            if ((cur = append(out, &cap, source, line, err)) == NULL)
                return err != NULL ? err->code : PB_ENOMEM;
            has_body = false;
            if ((rc = pb_target_set_method(cur, p, err)) == 0)
                rc = set_url(cur, space + 1, err);
        } else if (p[0] == '@') {
            if (has_body)
                return pb_err_set(err, PB_EPARSE,
                                  "--targets %s:%d: a second body; expected one @PATH line per "
                                  "target, after its headers",
                                  source, line);
            has_body = true;
            rc = pb_target_set_body(cur, p, err);
        } else if (has_body) {
            return pb_err_set(err, PB_EPARSE,
                              "--targets %s:%d: expected a blank line after a target's @PATH "
                              "body line, got more",
                              source, line);
        } else {
            rc = pb_target_add_header(cur, p, err);
        }
        if (rc != 0) {
            pb_err_prefix(err, "--targets %s:%d", source, line);
            return rc;
        }
    }
    return 0;
}

/* One JSONL object into tg; messages without the file and line, which the caller adds. */
static int jsonl_target(json_t *o, pb_target *tg, pb_err *err)
{
    static const char *const keys[] = {"method", "url", "header", "body", "body_file", NULL};
    const char *key;
    json_t *v;
    json_object_foreach(o, key, v)
    {
        size_t i = 0;
        while (keys[i] != NULL && strcmp(keys[i], key) != 0)
            i++;
        if (keys[i] == NULL)
            return pb_err_set(err, PB_EPARSE,
                              "unknown key \"%s\"; expected method, url, header, body or "
                              "body_file",
                              key);
    }
    json_t *method = json_object_get(o, "method"), *url = json_object_get(o, "url");
    json_t *header = json_object_get(o, "header"), *body = json_object_get(o, "body");
    json_t *body_file = json_object_get(o, "body_file");
    int rc;
    if (method != NULL && !json_is_string(method))
        return pb_err_set(err, PB_EPARSE, "\"method\": expected a string such as \"POST\"");
    if (method != NULL && (rc = pb_target_set_method(tg, json_string_value(method), err)) != 0)
        return rc;
    if (!json_is_string(url))
        return pb_err_set(err, PB_EPARSE, "\"url\": expected a URL or a path (a string)");
    if ((rc = set_url(tg, json_string_value(url), err)) != 0)
        return rc;
    if (header != NULL && !json_is_object(header))
        return pb_err_set(err, PB_EPARSE,
                          "\"header\": expected an object such as {\"Name\": \"value\"}");
    json_object_foreach(header, key, v)
    {
        size_t n = json_is_array(v) ? json_array_size(v) : 1;
        for (size_t i = 0; i < n; i++) {
            json_t *item = json_is_array(v) ? json_array_get(v, i) : v;
            if (!json_is_string(item))
                return pb_err_set(err, PB_EPARSE,
                                  "\"header\".\"%s\": expected a string or an array of strings",
                                  key);
            size_t len = strlen(key) + json_string_length(item) + 3;
            char *line = malloc(len);
            if (line == NULL)
                return pb_err_set(err, PB_ENOMEM, "out of memory");
            snprintf(line, len, "%s: %s", key, json_string_value(item));
            rc = pb_target_add_header(tg, line, err);
            free(line);
            if (rc != 0)
                return rc;
        }
    }
    if (body != NULL && body_file != NULL)
        return pb_err_set(err, PB_EPARSE, "expected \"body\" or \"body_file\", not both");
    if (body != NULL) {
        if (!json_is_string(body))
            return pb_err_set(err, PB_EPARSE, "\"body\": expected a string");
        /* the text itself, even when it starts with @ */
        size_t len = json_string_length(body);
        char *copy = malloc(len + 1);
        if (copy == NULL)
            return pb_err_set(err, PB_ENOMEM, "out of memory");
        memcpy(copy, json_string_value(body), len + 1);
        free(tg->body);
        tg->body = copy;
        tg->body_len = len;
    }
    if (body_file != NULL) {
        if (!json_is_string(body_file) || json_string_length(body_file) == 0)
            return pb_err_set(err, PB_EPARSE, "\"body_file\": expected a file name");
        size_t len = json_string_length(body_file) + 2;
        char *at = malloc(len);
        if (at == NULL)
            return pb_err_set(err, PB_ENOMEM, "out of memory");
        snprintf(at, len, "@%s", json_string_value(body_file));
        rc = pb_target_set_body(tg, at, err);
        free(at);
        if (rc != 0)
            return rc;
    }
    return 0;
}

static int parse_jsonl(char *text, const char *source, pb_targets *out, pb_err *err)
{
    uint32_t cap = 0;
    int line = 0;
    for (char *p = text, *next; p != NULL; p = next) {
        line++;
        char *end = strchr(p, '\n');
        next = end != NULL ? end + 1 : NULL;
        if (end != NULL)
            *end = '\0';
        if (p[strspn(p, " \t\r")] == '\0')
            continue;
        json_error_t jerr;
        json_t *o = json_loads(p, JSON_REJECT_DUPLICATES, &jerr);
        if (!json_is_object(o)) {
            json_decref(o);
            return pb_err_set(err, PB_EPARSE,
                              "--targets %s:%d: expected a JSON object such as {\"method\": "
                              "\"GET\", \"url\": \"/\"}%s%s",
                              source, line, o == NULL ? ": " : "", o == NULL ? jerr.text : "");
        }
        pb_target *tg = append(out, &cap, source, line, err);
        int rc = tg != NULL ? jsonl_target(o, tg, err) : err != NULL ? err->code : PB_ENOMEM;
        json_decref(o);
        if (rc != 0) {
            if (tg != NULL)
                pb_err_prefix(err, "--targets %s:%d", source, line);
            return rc;
        }
    }
    return 0;
}

int pb_targets_parse(const char *text, size_t len, const char *source, pb_targets_format f,
                     pb_targets *out, pb_err *err)
{
    memset(out, 0, sizeof(*out));
    if (memchr(text, '\0', len) != NULL)
        return pb_err_set(err, PB_EPARSE, "--targets %s: expected text, got a NUL byte", source);
    char *copy = malloc(len + 1);
    if (copy == NULL)
        return pb_err_set(err, PB_ENOMEM, "--targets %s: out of memory", source);
    memcpy(copy, text, len);
    copy[len] = '\0';
    int rc = resolve(f, source) == PB_TARGETS_JSONL ? parse_jsonl(copy, source, out, err)
                                                    : parse_vegeta(copy, source, out, err);
    free(copy);
    if (rc == 0 && out->n == 0)
        rc = pb_err_set(err, PB_EINVAL, "--targets %s: expected at least one target, got none",
                        source);
    if (rc != 0)
        pb_targets_cleanup(out);
    return rc;
}

int pb_targets_load(const char *path, pb_targets_format f, pb_targets *out, pb_err *err)
{
    memset(out, 0, sizeof(*out));
    FILE *file = fopen(path, "rb");
    if (file == NULL)
        return pb_err_set(err, PB_EIO, "--targets %s: cannot read the file: %s", path,
                          strerror(errno));
    /* room for the whole file when its size is known, else for the most read */
    struct stat st;
    size_t room = fstat(fileno(file), &st) == 0 && S_ISREG(st.st_mode) &&
                          (uint64_t)st.st_size <= PB_TARGETS_FILE_MAX
                      ? (size_t)st.st_size
                      : PB_TARGETS_FILE_MAX;
    char *text = malloc(room + 1);
    int rc = 0;
    if (text == NULL) {
        rc = pb_err_set(err, PB_ENOMEM, "--targets %s: out of memory", path);
        goto done;
    }
    size_t n = fread(text, 1, room + 1, file);
    if (ferror(file))
        rc = pb_err_set(err, PB_EIO, "--targets %s: cannot read the file", path);
    else if (n > PB_TARGETS_FILE_MAX)
        rc = pb_err_set(err, PB_ERANGE, "--targets %s: larger than %u MiB", path,
                        PB_TARGETS_FILE_MAX >> 20);
    else
        rc = pb_targets_parse(text, n, path, f, out, err);
done:
    free(text);
    fclose(file);
    return rc;
}
