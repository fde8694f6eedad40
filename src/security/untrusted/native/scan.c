/*
 * The injection detector's prefilter (../prefilter.ts) in native code: where a tool result's
 * anchor words are (words.c), where its runs of base64 or hex characters are (runs.c), and
 * whether it holds characters beyond Latin-1. The detector reads long text only around what
 * this finds, so a megabyte of ordinary output costs a fraction of a database commit.
 * Node-API only (node_api.h): one build loads in every Node.js from 20 on.
 */
#define NAPI_VERSION 8
#include <node_api.h>
#include <stdlib.h>
#include <string.h>
#include "runs.h"
#include "words.h"

#define FRONT 16
#define BEYOND_LATIN1 1
#define SOFT_HYPHEN 2
#define DENSE 4
/* Buffers grown past this are let go after the scan. */
#define KEEP (4u << 20)

typedef struct {
  Words words;
  /* The text, one byte a character, after FRONT zero bytes and before WORDS_PAD more. */
  uint8_t *buffer;
  uint16_t *units;
  size_t capacity, unit_capacity;
  int avx2;
} Scanner;

static napi_value fail(napi_env env, const char *message) {
  napi_throw_error(env, "ERR_AOSIQ_SCAN", message);
  return NULL;
}

/*
 * configure(words: string[], flags: number[]): the words to find (lowercase ASCII), each needing
 * a word boundary before it (1) or after it (2), or a candidate (4: found only where no other
 * word starts).
 */
static napi_value configure(napi_env env, napi_callback_info info) {
  Scanner *s;
  size_t argc = 2;
  napi_value argv[2];
  uint32_t count, flag_count;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, (void **)&s) != napi_ok || argc != 2) return fail(env, "configure(words, flags) takes two arrays");
  if (napi_get_array_length(env, argv[0], &count) != napi_ok || count > MAX_WORDS) return fail(env, "configure: words must be an array of at most 512");
  if (napi_get_array_length(env, argv[1], &flag_count) != napi_ok || flag_count != count) return fail(env, "configure: flags must be an array as long as words");
  char texts[MAX_WORDS][MAX_LENGTH + 2];
  const char *pointers[MAX_WORDS];
  size_t lengths[MAX_WORDS];
  int32_t flags[MAX_WORDS];
  for (uint32_t i = 0; i < count; i++) {
    napi_value item, flag;
    if (napi_get_element(env, argv[0], i, &item) != napi_ok || napi_get_value_string_latin1(env, item, texts[i], sizeof texts[i], &lengths[i]) != napi_ok) return fail(env, "configure: every word must be a string");
    if (napi_get_element(env, argv[1], i, &flag) != napi_ok || napi_get_value_int32(env, flag, &flags[i]) != napi_ok) return fail(env, "configure: every flag must be a number");
    pointers[i] = texts[i];
  }
  /* Set aside and copied in whole, so that words found wrong leave the scanner as it was. */
  Words *words = malloc(sizeof(Words));
  if (!words) return fail(env, "configure: out of memory");
  const char *wrong = words_set(words, pointers, lengths, flags, (int)count);
  if (!wrong) memcpy(&s->words, words, sizeof(Words));
  free(words);
  return wrong ? fail(env, wrong) : NULL;
}

static int reserve(Scanner *s, size_t n, int wide) {
  if (FRONT + n + WORDS_PAD > s->capacity) {
    size_t capacity = FRONT + n + WORDS_PAD + n / 2;
    uint8_t *buffer = realloc(s->buffer, capacity);
    if (!buffer) return 0;
    s->buffer = buffer;
    s->capacity = capacity;
    memset(s->buffer, 0, FRONT);
  }
  if (wide && n + 1 > s->unit_capacity) {
    size_t capacity = n + 1 + n / 2;
    uint16_t *units = realloc(s->units, capacity * sizeof(uint16_t));
    if (!units) return 0;
    s->units = units;
    s->unit_capacity = capacity;
  }
  return 1;
}

/* Lets a large buffer go, so one long text does not hold its memory for the life of the process. */
static void release(Scanner *s) {
  if (s->capacity > KEEP) {
    free(s->buffer);
    s->buffer = NULL;
    s->capacity = 0;
  }
  if (s->unit_capacity > KEEP / 2) {
    free(s->units);
    s->units = NULL;
    s->unit_capacity = 0;
  }
}

/* The text into the buffer, one byte a character (beyond Latin-1 saturates to 0xff); its flags. */
static int load(napi_env env, Scanner *s, napi_value text, size_t n, int wide) {
  uint8_t *bytes = s->buffer + FRONT;
  size_t copied;
  if (!wide) {
    if (napi_get_value_string_latin1(env, text, (char *)bytes, n + 1, &copied) != napi_ok || copied != n) return -1;
    return memchr(bytes, 0xad, n) ? SOFT_HYPHEN : 0;
  }
  if (napi_get_value_string_utf16(env, text, (char16_t *)s->units, n + 1, &copied) != napi_ok || copied != n) return -1;
  uint16_t any = 0;
  uint8_t soft = 0;
  for (size_t i = 0; i < n; i++) {
    uint16_t u = s->units[i];
    any |= u;
    soft |= u == 0xad;
    bytes[i] = u > 0xff ? 0xff : (uint8_t)u;
  }
  return ((any & 0xff00) ? BEYOND_LATIN1 : 0) | (soft ? SOFT_HYPHEN : 0);
}

static int32_t *put(int32_t *out, const List *list, size_t per) {
  *out++ = (int32_t)(list->count / per);
  if (list->count) memcpy(out, list->items, list->count * sizeof(int32_t));
  return out + list->count;
}

/*
 * scan(text, wide, maxHits): an Int32Array [flags, hit count, offset, word index, ...,
 * base64 run count, start, end, ..., hex run count, start, end, ...], at most one word a
 * position, in text order. `wide` says the text may hold characters beyond Latin-1 (read as
 * UTF-16, else as Latin-1). Past `maxHits` words the scan stops and flags the text DENSE (4):
 * text that thick with anchors is read faster by the regex than hit by hit.
 */
static napi_value scan(napi_env env, napi_callback_info info) {
  Scanner *s;
  size_t argc = 3, n;
  napi_value argv[3];
  bool wide;
  int64_t max_hits;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, (void **)&s) != napi_ok || argc != 3) return fail(env, "scan(text, wide, maxHits) takes a string, a boolean and a number");
  if (napi_get_value_string_utf16(env, argv[0], NULL, 0, &n) != napi_ok) return fail(env, "scan: text must be a string");
  if (napi_get_value_bool(env, argv[1], &wide) != napi_ok) return fail(env, "scan: wide must be a boolean");
  if (napi_get_value_int64(env, argv[2], &max_hits) != napi_ok || max_hits < 1) return fail(env, "scan: maxHits must be a positive number");
  if (n > INT32_MAX / 2 - FRONT - WORDS_PAD) return fail(env, "scan: text too long");
  if (!reserve(s, n, wide)) return fail(env, "scan: out of memory");
  int flags = load(env, s, argv[0], n, wide);
  if (flags < 0) return fail(env, "scan: could not read the text");
  uint8_t *bytes = s->buffer + FRONT;
  memset(bytes + n, 0, WORDS_PAD);
  List hits = {0}, base64 = {0}, hex = {0};
  hits.limit = (size_t)max_hits * 2;
  words_find(&s->words, bytes, n, s->avx2, &hits);
  if (hits.full) {
    flags |= DENSE;
    hits.count = 0;
  } else {
    runs_find(bytes, n, s->avx2, &base64, &hex);
  }
  release(s);
  napi_value result = NULL, buffer;
  void *data;
  size_t total = 4 + hits.count + base64.count + hex.count;
  if (!hits.failed && !base64.failed && !hex.failed && napi_create_arraybuffer(env, total * sizeof(int32_t), &data, &buffer) == napi_ok &&
      napi_create_typedarray(env, napi_int32_array, total, buffer, 0, &result) == napi_ok) {
    int32_t *out = data;
    *out++ = flags;
    put(put(put(out, &hits, 2), &base64, 2), &hex, 2);
  }
  free(hits.items);
  free(base64.items);
  free(hex.items);
  return result ? result : fail(env, "scan: out of memory");
}

static void finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  Scanner *s = data;
  free(s->buffer);
  free(s->units);
  free(s);
}

NAPI_MODULE_INIT() {
  Scanner *s = calloc(1, sizeof(Scanner));
  if (!s) return NULL;
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  __builtin_cpu_init();
  const char *no_avx2 = getenv("AOS_SCAN_NO_AVX2");
  s->avx2 = __builtin_cpu_supports("avx2") && !(no_avx2 && strcmp(no_avx2, "1") == 0);
#endif
  napi_set_instance_data(env, s, finalize, NULL);
  napi_value fn, simd;
  napi_create_function(env, "configure", NAPI_AUTO_LENGTH, configure, s, &fn);
  napi_set_named_property(env, exports, "configure", fn);
  napi_create_function(env, "scan", NAPI_AUTO_LENGTH, scan, s, &fn);
  napi_set_named_property(env, exports, "scan", fn);
  napi_get_boolean(env, s->avx2, &simd);
  napi_set_named_property(env, exports, "avx2", simd);
  return exports;
}
