#include "json_pos.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Deeper documents are refused; jansson's own limit is 2048. */
#define MAX_DEPTH 1024

typedef struct entry {
    char *path;
    pb_json_loc value_at, key_at;
} entry;

struct pb_json_pos {
    entry *entries;
    size_t n, cap;
};

/* The scan: a cursor over the text with its line and column, and the path of
 * the value being scanned, grown and cut back as the scan descends. */
typedef struct scan {
    const char *text;
    size_t len, i;
    int line, col; /* col: characters consumed on the current line */
    char path[PB_JSON_PATH_MAX];
    bool path_ok; /* false while below a path too long to index */
    pb_json_pos *idx;
    pb_err *err;
} scan;

static int peek(const scan *s)
{
    return s->i < s->len ? (unsigned char)s->text[s->i] : -1;
}

static void advance(scan *s)
{
    unsigned char c = (unsigned char)s->text[s->i++];
    if (c == '\n') {
        s->line++;
        s->col = 0;
    } else if ((c & 0xC0) != 0x80) {
        s->col++; /* count a UTF-8 sequence once, at its first byte */
    }
}

static pb_json_loc here(const scan *s)
{
    return (pb_json_loc){s->line, s->col + 1};
}

static void skip_ws(scan *s)
{
    for (int c = peek(s); c == ' ' || c == '\t' || c == '\n' || c == '\r'; c = peek(s))
        advance(s);
}

static int bad(scan *s, const char *what)
{
    pb_json_loc at = here(s);
    return pb_err_set(s->err, PB_EPARSE, "expected %s (line %d, column %d)", what, at.line,
                      at.column);
}

static int record(scan *s, pb_json_loc value_at, pb_json_loc key_at)
{
    if (!s->path_ok)
        return 0;
    pb_json_pos *idx = s->idx;
    if (idx->n == idx->cap) {
        size_t cap = idx->cap ? idx->cap * 2 : 64;
        entry *e = realloc(idx->entries, cap * sizeof(*e));
        if (e == NULL)
            return pb_err_set(s->err, PB_ENOMEM, "out of memory indexing JSON positions");
        idx->entries = e;
        idx->cap = cap;
    }
    char *p = strdup(s->path);
    if (p == NULL)
        return pb_err_set(s->err, PB_ENOMEM, "out of memory indexing JSON positions");
    idx->entries[idx->n++] = (entry){p, value_at, key_at};
    return 0;
}

static int hex4(scan *s, uint32_t *out)
{
    uint32_t v = 0;
    for (int k = 0; k < 4; k++) {
        int c = peek(s);
        int d = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
        if (d < 0)
            return bad(s, "four hex digits after \\u");
        v = v * 16 + (uint32_t)d;
        advance(s);
    }
    *out = v;
    return 0;
}

static size_t put_utf8(char *dst, uint32_t cp)
{
    if (cp < 0x80) {
        dst[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        dst[0] = (char)(0xC0 | (cp >> 6));
        dst[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        dst[0] = (char)(0xE0 | (cp >> 12));
        dst[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        dst[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    dst[0] = (char)(0xF0 | (cp >> 18));
    dst[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    dst[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    dst[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Scan a string; when out is not NULL, decode it there (out has room for at
 * least the raw length + 1: escapes never decode longer than they are written). */
static int scan_string(scan *s, char *out)
{
    size_t n = 0;
    if (peek(s) != '"')
        return bad(s, "a string");
    advance(s);
    for (;;) {
        int c = peek(s);
        if (c < 0)
            return bad(s, "a closing quote");
        if (c == '"') {
            advance(s);
            break;
        }
        advance(s);
        if (c != '\\') {
            if (out)
                out[n++] = (char)c;
            continue;
        }
        int e = peek(s);
        if (e < 0)
            return bad(s, "an escape");
        advance(s);
        char simple = e == '"'    ? '"'
                      : e == '\\' ? '\\'
                      : e == '/'  ? '/'
                      : e == 'b'  ? '\b'
                      : e == 'f'  ? '\f'
                      : e == 'n'  ? '\n'
                      : e == 'r'  ? '\r'
                      : e == 't'  ? '\t'
                                  : 0;
        if (simple) {
            if (out)
                out[n++] = simple;
            continue;
        }
        if (e != 'u')
            return bad(s, "a valid escape");
        uint32_t cp;
        int rc = hex4(s, &cp);
        if (rc != 0)
            return rc;
        if (cp >= 0xD800 && cp <= 0xDBFF && peek(s) == '\\') {
            advance(s);
            if (peek(s) != 'u')
                return bad(s, "a low surrogate");
            advance(s);
            uint32_t lo;
            rc = hex4(s, &lo);
            if (rc != 0)
                return rc;
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        }
        if (out)
            n += put_utf8(out + n, cp);
    }
    if (out)
        out[n] = '\0';
    return 0;
}

static void scan_scalar(scan *s)
{
    for (int c = peek(s); c >= 0; c = peek(s)) {
        if (c == ',' || c == '}' || c == ']' || c == ' ' || c == '\t' || c == '\n' || c == '\r')
            break;
        advance(s);
    }
}

/* Append a child component to the path; returns the old length to cut back to. */
static size_t push_path(scan *s, const char *key, size_t index, bool is_key)
{
    size_t old = strlen(s->path);
    if (!s->path_ok)
        return old;
    char child[PB_JSON_PATH_MAX];
    bool fits = is_key ? pb_json_path_key(child, sizeof(child), s->path, key)
                       : pb_json_path_index(child, sizeof(child), s->path, index);
    if (fits)
        memcpy(s->path, child, strlen(child) + 1);
    else
        s->path_ok = false; /* neither this path nor those below are indexed */
    return old;
}

static void pop_path(scan *s, size_t old, bool was_ok)
{
    s->path[old] = '\0';
    s->path_ok = was_ok;
}

static int scan_value(scan *s, pb_json_loc key_at, int depth);

static int scan_object(scan *s, int depth)
{
    advance(s); /* '{' */
    skip_ws(s);
    if (peek(s) == '}') {
        advance(s);
        return 0;
    }
    for (;;) {
        skip_ws(s);
        pb_json_loc key_at = here(s);
        size_t start = s->i;
        int rc = scan_string(s, NULL);
        if (rc != 0)
            return rc;
        /* decode the key from its raw text, now that its length is known */
        char *key = malloc(s->i - start + 1);
        if (key == NULL)
            return pb_err_set(s->err, PB_ENOMEM, "out of memory indexing JSON positions");
        scan sub = *s;
        sub.i = start;
        rc = scan_string(&sub, key);
        if (rc != 0) {
            free(key);
            return rc;
        }
        bool was_ok = s->path_ok;
        size_t old = push_path(s, key, 0, true);
        free(key);
        skip_ws(s);
        if (peek(s) != ':')
            return bad(s, "':' after an object key");
        advance(s);
        rc = scan_value(s, key_at, depth + 1);
        pop_path(s, old, was_ok);
        if (rc != 0)
            return rc;
        skip_ws(s);
        int c = peek(s);
        if (c == ',') {
            advance(s);
            continue;
        }
        if (c == '}') {
            advance(s);
            return 0;
        }
        return bad(s, "',' or '}' in an object");
    }
}

static int scan_array(scan *s, int depth)
{
    advance(s); /* '[' */
    skip_ws(s);
    if (peek(s) == ']') {
        advance(s);
        return 0;
    }
    for (size_t index = 0;; index++) {
        bool was_ok = s->path_ok;
        size_t old = push_path(s, NULL, index, false);
        int rc = scan_value(s, (pb_json_loc){0, 0}, depth + 1);
        pop_path(s, old, was_ok);
        if (rc != 0)
            return rc;
        skip_ws(s);
        int c = peek(s);
        if (c == ',') {
            advance(s);
            continue;
        }
        if (c == ']') {
            advance(s);
            return 0;
        }
        return bad(s, "',' or ']' in an array");
    }
}

static int scan_value(scan *s, pb_json_loc key_at, int depth)
{
    if (depth > MAX_DEPTH)
        return bad(s, "a document nested less deeply");
    skip_ws(s);
    pb_json_loc at = here(s);
    int rc = record(s, at, key_at);
    if (rc != 0)
        return rc;
    switch (peek(s)) {
    case '{':
        return scan_object(s, depth);
    case '[':
        return scan_array(s, depth);
    case '"':
        return scan_string(s, NULL);
    case -1:
        return bad(s, "a value");
    default:
        scan_scalar(s);
        return 0;
    }
}

int pb_json_pos_build(const char *text, size_t len, pb_json_pos **out, pb_err *err)
{
    pb_json_pos *idx = calloc(1, sizeof(*idx));
    scan *s = malloc(sizeof(*s));
    int rc = PB_ENOMEM;
    if (idx == NULL || s == NULL) {
        pb_err_set(err, PB_ENOMEM, "out of memory indexing JSON positions");
        goto fail;
    }
    *s = (scan){.text = text, .len = len, .line = 1, .path_ok = true, .idx = idx, .err = err};
    rc = scan_value(s, (pb_json_loc){0, 0}, 0);
    if (rc != 0)
        goto fail;
    free(s);
    *out = idx;
    return 0;
fail:
    free(s);
    pb_json_pos_destroy(idx);
    return rc;
}

void pb_json_pos_destroy(pb_json_pos *idx)
{
    if (idx == NULL)
        return;
    for (size_t i = 0; i < idx->n; i++)
        free(idx->entries[i].path);
    free(idx->entries);
    free(idx);
}

bool pb_json_pos_find(const pb_json_pos *idx, const char *path, pb_json_loc *value_at,
                      pb_json_loc *key_at)
{
    if (idx == NULL || path == NULL)
        return false;
    for (size_t i = 0; i < idx->n; i++) {
        if (strcmp(idx->entries[i].path, path) == 0) {
            if (value_at)
                *value_at = idx->entries[i].value_at;
            if (key_at)
                *key_at = idx->entries[i].key_at;
            return true;
        }
    }
    return false;
}

static bool plain_key(const char *key)
{
    if (*key == '\0')
        return false;
    for (const char *p = key; *p; p++) {
        char c = *p;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-'))
            return false;
    }
    return true;
}

bool pb_json_path_key(char *buf, size_t len, const char *parent, const char *key)
{
    if (len < 8) {
        if (len > 0)
            buf[0] = '\0';
        return false;
    }
    if (plain_key(key)) {
        int n = snprintf(buf, len, "%s%s%s", parent, *parent ? "." : "", key);
        if (n >= 0 && (size_t)n < len)
            return true;
        memcpy(buf + len - 4, "...", 4); /* snprintf kept the start */
        return false;
    }
    /* quote the key as a JSON string would, so that the path stays readable
     * and unambiguous */
    int n = snprintf(buf, len, "%s[\"", parent);
    if (n < 0 || (size_t)n + 8 >= len) {
        memcpy(buf + len - 4, "...", 4);
        return false;
    }
    size_t o = (size_t)n;
    for (const char *p = key; *p; p++) {
        unsigned char c = (unsigned char)*p;
        /* room for the longest escape (6), or the "..." that ends a path
         * too long to keep, and the terminator */
        if (o + 8 >= len) {
            /* an escape just written may have left fewer than 4 bytes */
            memcpy(buf + (o + 4 <= len ? o : len - 4), "...", 4);
            return false;
        }
        if (c == '"' || c == '\\')
            o += (size_t)snprintf(buf + o, len - o, "\\%c", c);
        else if (c < 0x20)
            o += (size_t)snprintf(buf + o, len - o, "\\u%04x", c);
        else
            buf[o++] = (char)c;
    }
    memcpy(buf + o, "\"]", 3);
    return true;
}

bool pb_json_path_index(char *buf, size_t len, const char *parent, size_t index)
{
    int n = snprintf(buf, len, "%s[%zu]", parent, index);
    return n >= 0 && (size_t)n < len;
}
