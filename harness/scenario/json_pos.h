/* Where each value of a JSON text starts, by path ("patterns[2].concurrency"),
 * so that errors found after parsing can name a line and column: jansson 2.14
 * gives positions for syntax errors only. The index is built by a second,
 * small scan of the same text that jansson accepted. */
#ifndef PB_JSON_POS_H
#define PB_JSON_POS_H

#include <stdbool.h>
#include <stddef.h>

#include "errors.h"

/* Longest path indexed; deeper or longer paths are simply not found. */
#define PB_JSON_PATH_MAX 256

typedef struct pb_json_pos pb_json_pos;

/* A position: 1-based line and 1-based column counted in characters (UTF-8
 * sequences count once), as jansson counts them in its syntax errors. */
typedef struct pb_json_loc {
    int line, column;
} pb_json_loc;

/* Index every value of text[0..len). PB_EPARSE if the text is not valid JSON
 * (callers parse it with jansson first, which gives the better message). */
int pb_json_pos_build(const char *text, size_t len, pb_json_pos **out, pb_err *err) PB_MUST_CHECK;

/* Free (NULL-safe). */
void pb_json_pos_destroy(pb_json_pos *idx);

/* Where the value at path starts; for an object member, key_at is where its
 * key starts. False if the path is not in the index. */
bool pb_json_pos_find(const pb_json_pos *idx, const char *path, pb_json_loc *value_at,
                      pb_json_loc *key_at);

/* The path of member `key` of the value at `parent` ("" is the root): parent.key,
 * or parent["a key"] when the key is not made of letters, digits, '_' and '-'.
 * False when it does not fit in len; buf then holds the start of the path
 * followed by "...", for a message (len is at least 8). */
bool pb_json_path_key(char *buf, size_t len, const char *parent, const char *key);

/* The path of element `index` of the array at `parent`: parent[index].
 * False when it does not fit in len. */
bool pb_json_path_index(char *buf, size_t len, const char *parent, size_t index);

#endif
