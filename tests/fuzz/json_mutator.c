#include "json_mutator.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "fuzz.h"

/* Most nodes considered in one document; later ones are not picked. */
#define MAX_NODES 512
/* Longest string value mutated byte-wise. */
#define MAX_STRING 256

/* A node and where it hangs: parent NULL for the root. */
typedef struct node {
    json_t *value;
    json_t *parent;
    const char *key; /* in an object parent */
    size_t index;    /* in an array parent */
} node;

typedef struct walk {
    node nodes[MAX_NODES];
    size_t n;
} walk;

static uint32_t next(uint64_t *state)
{
    /* splitmix64: a seed in, a well-mixed stream out */
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return (uint32_t)((z ^ (z >> 31)) >> 32);
}

static size_t below(uint64_t *state, size_t n)
{
    return n == 0 ? 0 : next(state) % n;
}

static size_t count(const char *const *list)
{
    size_t n = 0;
    while (list[n] != NULL)
        n++;
    return n;
}

static void collect(walk *w, json_t *v, json_t *parent, const char *key, size_t index)
{
    if (w->n == MAX_NODES)
        return;
    w->nodes[w->n++] = (node){v, parent, key, index};
    if (json_is_object(v)) {
        const char *k;
        json_t *child;
        json_object_foreach(v, k, child) collect(w, child, v, k, 0);
    } else if (json_is_array(v)) {
        for (size_t i = 0; i < json_array_size(v); i++)
            collect(w, json_array_get(v, i), v, NULL, i);
    }
}

/* Put `fresh` (a new reference, stolen) where n is; returns the root, which
 * is fresh itself when n was the root. */
static json_t *replace(json_t *root, const node *n, json_t *fresh)
{
    if (fresh == NULL)
        return root;
    if (n->parent == NULL) {
        json_decref(root);
        return fresh;
    }
    if (json_is_object(n->parent))
        json_object_set_new(n->parent, n->key, fresh);
    else
        json_array_set_new(n->parent, n->index, fresh);
    return root;
}

static json_t *vocab_value(uint64_t *st, const fuzz_json_vocab *vocab)
{
    size_t n = count(vocab->values);
    if (n == 0)
        return json_null();
    return json_loads(vocab->values[below(st, n)], JSON_DECODE_ANY, NULL);
}

static json_t *mutate_string(const char *s)
{
    uint8_t buf[MAX_STRING];
    size_t len = strlen(s);
    if (len > MAX_STRING / 2)
        len = MAX_STRING / 2;
    memcpy(buf, s, len);
    len = LLVMFuzzerMutate(buf, len, sizeof(buf) - 1);
    /* the parsers read C strings: a NUL ends the text, as it would on the
     * command line; invalid UTF-8 cannot be serialised, so it leaves the
     * value as it was */
    json_t *v = json_stringn((const char *)buf, strnlen((const char *)buf, len));
    return v != NULL ? v : json_string(s);
}

static json_t *mutate_number(uint64_t *st, const json_t *v)
{
    static const json_int_t ints[] = {
        0,     1,     -1,        2,         10,        255,       256,       1000,
        65535, 65536, 1LL << 31, 1LL << 32, 1LL << 53, 1LL << 56, INT64_MAX, INT64_MIN};
    static const double reals[] = {0.0, 0.5, 1.0, 1.0000001, -0.5, 1e-9, 1e9, 1e18, 1e19, 1e308};
    if (json_is_integer(v)) {
        json_int_t x = json_integer_value(v);
        switch (below(st, 4)) {
        case 0:
            return json_integer(ints[below(st, sizeof(ints) / sizeof(ints[0]))]);
        case 1:
            return json_integer(x == INT64_MAX ? x : x + 1);
        case 2:
            return json_integer(x == INT64_MIN ? x : x - 1);
        default:
            return json_real((double)x + 0.5);
        }
    }
    double x = json_real_value(v);
    switch (below(st, 4)) {
    case 0:
        return json_real(reals[below(st, sizeof(reals) / sizeof(reals[0]))]);
    case 1:
        return json_real(x * 2);
    case 2:
        return json_real(-x);
    default:
        return json_integer((json_int_t)(x > 1e18 || x < -1e18 ? 0 : x));
    }
}

/* The same scalar in another JSON type: 10 <-> "10", "x" -> true. */
static json_t *retype(uint64_t *st, const json_t *v)
{
    char buf[64];
    if (json_is_integer(v)) {
        snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return json_string(buf);
    }
    if (json_is_real(v)) {
        snprintf(buf, sizeof(buf), "%.17g", json_real_value(v));
        return json_string(buf);
    }
    if (json_is_string(v)) {
        json_t *parsed = json_loads(json_string_value(v), JSON_DECODE_ANY, NULL);
        if (parsed != NULL)
            return parsed;
    }
    switch (below(st, 5)) {
    case 0:
        return json_null();
    case 1:
        return json_true();
    case 2:
        return json_false();
    case 3:
        return json_array();
    default:
        return json_object();
    }
}

static void rename_key(uint64_t *st, const node *n, const fuzz_json_vocab *vocab)
{
    size_t nk = count(vocab->keys);
    char key[MAX_STRING];
    if (nk > 0 && below(st, 4) != 0) {
        snprintf(key, sizeof(key), "%s", vocab->keys[below(st, nk)]);
    } else {
        json_t *k = mutate_string(n->key);
        snprintf(key, sizeof(key), "%s", json_string_value(k));
        json_decref(k);
    }
    json_t *v = json_incref(n->value);
    json_t *parent = n->parent;
    json_object_del(parent, n->key); /* n->key dies here */
    json_object_set_new(parent, key, v);
}

/* Mutate root in place; returns the (possibly new) root. */
static json_t *mutate_tree(uint64_t *st, json_t *root, const fuzz_json_vocab *vocab)
{
    walk w;
    w.n = 0;
    collect(&w, root, NULL, NULL, 0);
    const node *n = &w.nodes[below(st, w.n)];
    json_t *fresh = NULL;
    switch (below(st, 8)) {
    case 0: /* a value the format knows */
        fresh = vocab_value(st, vocab);
        break;
    case 1: /* the value, changed a little */
        if (json_is_string(n->value))
            fresh = mutate_string(json_string_value(n->value));
        else if (json_is_number(n->value))
            fresh = mutate_number(st, n->value);
        else
            fresh = vocab_value(st, vocab);
        break;
    case 2:
        fresh = retype(st, n->value);
        break;
    case 3: /* another key */
        if (n->parent != NULL && json_is_object(n->parent)) {
            rename_key(st, n, vocab);
            return root;
        }
        fresh = vocab_value(st, vocab);
        break;
    case 4: /* gone */
        if (n->parent != NULL && json_is_object(n->parent))
            json_object_del(n->parent, n->key);
        else if (n->parent != NULL)
            json_array_remove(n->parent, n->index);
        return root;
    case 5: /* once more: an array grows, an object gets a known key */
        if (n->parent != NULL && json_is_array(n->parent)) {
            json_array_insert_new(n->parent, n->index, json_deep_copy(n->value));
            return root;
        }
        /* fall through */
    case 6: { /* a new member */
        json_t *target = json_is_object(n->value) ? n->value : n->parent;
        size_t nk = count(vocab->keys);
        if (target != NULL && json_is_object(target) && nk > 0) {
            json_object_set_new(target, vocab->keys[below(st, nk)], vocab_value(st, vocab));
            return root;
        }
        if (json_is_array(n->value)) {
            json_array_append_new(n->value, vocab_value(st, vocab));
            return root;
        }
        fresh = vocab_value(st, vocab);
        break;
    }
    default: /* a copy of another node, wherever it was */
        fresh = json_deep_copy(w.nodes[below(st, w.n)].value);
        break;
    }
    return replace(root, n, fresh);
}

size_t fuzz_json_mutate(uint8_t *data, size_t size, size_t max_size, unsigned int seed,
                        const fuzz_json_vocab *vocab)
{
    uint64_t st = seed;
    if (below(&st, 8) == 0)
        return LLVMFuzzerMutate(data, size, max_size);
    json_t *root = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);
    if (root == NULL)
        return LLVMFuzzerMutate(data, size, max_size);
    /* a few changes at once now and then, as libFuzzer stacks its own */
    for (size_t rounds = 1 + (below(&st, 4) == 0 ? below(&st, 4) : 0); rounds > 0; rounds--)
        root = mutate_tree(&st, root, vocab);
    char *text = json_dumps(root, JSON_COMPACT | JSON_ENCODE_ANY);
    json_decref(root);
    if (text == NULL)
        return LLVMFuzzerMutate(data, size, max_size);
    size_t len = strlen(text);
    if (len > max_size) {
        free(text);
        return LLVMFuzzerMutate(data, size, max_size);
    }
    memcpy(data, text, len);
    free(text);
    return len;
}
