/*
 * The injection detector's prefilter (../prefilter.ts) in native code: where a tool result's
 * anchor words are (words.c, follow.c), where its runs of base64 or hex characters are (runs.c),
 * and where other-script anchors may start (units.c). The detector reads long text only around what
 * this finds. Then, in the text it reads, where the rules' trigger words are (../match.ts), by
 * the same word finder, and the signs of obfuscation it holds (signs.c, ../decode.ts).
 * Node-API only (node_api.h): one build loads in every Node.js from 20 on.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "args.h"
#include "runs.h"
#include "signs.h"

#define FRONT 16
#define DENSE 4
/* Buffers grown past this are let go after the scan. */
#define KEEP (4u << 20)

typedef struct {
  Words words;
  Starts starts;
  /* The rules' trigger words and where other-script ones start (null until configured), and no start units at all. */
  Words *triggers;
  Starts *trigger_starts, *no_starts;
  /* The text, one byte a character, after FRONT zero bytes and before WORDS_PAD more. */
  uint8_t *buffer;
  uint16_t *units;
  size_t capacity, unit_capacity;
  int avx2;
} Scanner;

/*
 * configure(words: string[], flags: number[], starts = '', touches = '', others = []): the words
 * to find (lowercase, Latin-1), each needing a word boundary before it (1) or after it (2), or a
 * candidate (4: found only where no other word starts; 8: followed, see follow.h); the UTF-16
 * units that are other-script anchors in themselves; the units that are one where they touch an
 * ASCII letter; and the other-script words (see units.h).
 */
static napi_value configure(napi_env env, napi_callback_info info) {
  Scanner *s;
  size_t argc = 5, start_count = 0, touch_count = 0;
  napi_value argv[5];
  uint32_t other_count = 0;
  uint16_t units[MAX_STARTS + 1], touches[MAX_STARTS + 1];
  OtherWord others[MAX_OTHER_WORDS];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, (void **)&s) != napi_ok || argc < 2 || argc > 5) return fail(env, "configure(words, flags, starts, touches, others) takes two arrays, two strings and an array");
  if (argc >= 3 && !units_of(env, argv[2], "configure", "starts", units, &start_count)) return NULL;
  if (argc >= 4 && !units_of(env, argv[3], "configure", "touches", touches, &touch_count)) return NULL;
  if (argc == 5 && !other_words_of(env, argv[4], "configure", others, &other_count)) return NULL;
  Starts *starts = malloc(sizeof(Starts));
  if (!starts) return fail(env, "configure: out of memory");
  /* The starts first: words found wrong leave both as they were. */
  const char *wrong = starts_set(starts, units, start_count, touches, touch_count, others, (int)other_count);
  if (!wrong && words_of(env, argv[0], argv[1], "configure", &s->words)) memcpy(&s->starts, starts, sizeof(Starts));
  free(starts);
  if (wrong) {
    char message[160];
    snprintf(message, sizeof message, "configure: %s", wrong);
    return fail(env, message);
  }
  return NULL;
}

/*
 * configureTriggers(words: string[], flags: number[], starts = '', others = []): the words
 * triggers() finds, as configure takes them, and where it notes other-script words and units
 * that start a trigger (as configure's starts and others).
 */
static napi_value configure_triggers(napi_env env, napi_callback_info info) {
  Scanner *s;
  size_t argc = 4, start_count = 0;
  napi_value argv[4];
  uint32_t other_count = 0;
  uint16_t units[MAX_STARTS + 1];
  OtherWord others[MAX_OTHER_WORDS];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, (void **)&s) != napi_ok || argc < 2 || argc > 4) return fail(env, "configureTriggers(words, flags, starts, others) takes two arrays, a string and an array");
  if (argc >= 3 && !units_of(env, argv[2], "configureTriggers", "starts", units, &start_count)) return NULL;
  if (argc == 4 && !other_words_of(env, argv[3], "configureTriggers", others, &other_count)) return NULL;
  /* Set aside until both are found right: a refused configuration leaves the scanner as it was (unconfigured, it still says so). */
  Words *words = s->triggers ? s->triggers : calloc(1, sizeof(Words));
  Starts *starts = malloc(sizeof(Starts)), *kept = s->trigger_starts ? s->trigger_starts : malloc(sizeof(Starts));
  const char *wrong = !words || !starts || !kept ? "out of memory" : starts_set(starts, units, start_count, NULL, 0, others, (int)other_count);
  int ok = !wrong && words_of(env, argv[0], argv[1], "configureTriggers", words);
  if (ok) {
    memcpy(kept, starts, sizeof(Starts));
    s->triggers = words;
    s->trigger_starts = kept;
  } else {
    if (words != s->triggers) free(words);
    if (kept != s->trigger_starts) free(kept);
  }
  free(starts);
  if (wrong) {
    char message[160];
    snprintf(message, sizeof message, "configureTriggers: %s", wrong);
    return fail(env, message);
  }
  return NULL;
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

/* The text into the buffer, one byte a character (beyond Latin-1 saturates to 0xff); where `starts` units are into `found`. */
static int load(napi_env env, Scanner *s, napi_value text, size_t n, int wide, const Starts *starts, List *found) {
  uint8_t *bytes = s->buffer + FRONT;
  size_t copied;
  if (!wide) {
    if (napi_get_value_string_latin1(env, text, (char *)bytes, n + 1, &copied) != napi_ok || copied != n) return 0;
    bytes_starts(starts, bytes, n, found);
  } else {
    if (napi_get_value_string_utf16(env, text, (char16_t *)s->units, n + 1, &copied) != napi_ok || copied != n) return 0;
    units_narrow(starts, s->units, n, bytes, s->avx2, found);
  }
  memset(bytes + n, 0, WORDS_PAD);
  return 1;
}

static int32_t *put(int32_t *out, const List *list, size_t per) {
  *out++ = (int32_t)(list->count / per);
  if (list->count) memcpy(out, list->items, list->count * sizeof(int32_t));
  return out + list->count;
}

/*
 * The text and `wide` arguments into the buffer, as load() reads them (its length into `n`);
 * false with an error thrown, naming `who`, if they cannot be. The buffer is let go by release().
 */
static int text_of(napi_env env, Scanner *s, napi_value text, napi_value wide_value, const char *who, const Starts *starts, List *found, size_t *n) {
  bool wide;
  const char *wrong = NULL;
  if (napi_get_value_string_utf16(env, text, NULL, 0, n) != napi_ok) wrong = "text must be a string";
  else if (napi_get_value_bool(env, wide_value, &wide) != napi_ok) wrong = "wide must be a boolean";
  else if (*n > INT32_MAX / 4 - FRONT - WORDS_PAD) wrong = "text too long";
  else if (!reserve(s, *n, wide)) wrong = "out of memory";
  else if (!load(env, s, text, *n, wide, starts, found)) wrong = "could not read the text";
  if (wrong) {
    char message[64];
    snprintf(message, sizeof message, "%s: %s", who, wrong);
    fail(env, message);
  }
  return !wrong;
}

/* A new Int32Array of `count` numbers (its memory into `data`), or NULL. */
static napi_value int32_array(napi_env env, size_t count, void **data) {
  napi_value buffer, array;
  if (napi_create_arraybuffer(env, count * sizeof(int32_t), data, &buffer) != napi_ok || napi_create_typedarray(env, napi_int32_array, count, buffer, 0, &array) != napi_ok) return NULL;
  return array;
}

/*
 * scan(text, wide, maxHits): an Int32Array [flags, hit count, offset, word index, ...,
 * base64 run count, start, end, ..., for each base64 run 1 if it surely does not decode to
 * readable text (runs.c) else 0, hex run count, start, end, ..., start count, offset, ...],
 * at most one word a position, in text order. `wide` says the text may hold characters beyond
 * Latin-1 (read as UTF-16, else as Latin-1). Past `maxHits` words the scan stops and flags the
 * text DENSE (4): text that thick with anchors is read faster by the regex than hit by hit. Past
 * `maxHits` start units (text in Greek, say) their count is -1 and none are listed.
 */
static napi_value scan(napi_env env, napi_callback_info info) {
  Scanner *s;
  size_t argc = 3, n;
  napi_value argv[3];
  int64_t max_hits;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, (void **)&s) != napi_ok || argc != 3) return fail(env, "scan(text, wide, maxHits) takes a string, a boolean and a number");
  if (napi_get_value_int64(env, argv[2], &max_hits) != napi_ok || max_hits < 1) return fail(env, "scan: maxHits must be a positive number");
  List hits = {0}, base64 = {0}, unreadable = {0}, hex = {0}, starts = {0};
  hits.limit = (size_t)max_hits * 2;
  starts.limit = (size_t)max_hits;
  if (!text_of(env, s, argv[0], argv[1], "scan", &s->starts, &starts, &n)) {
    free(starts.items);
    return NULL;
  }
  int flags = 0;
  uint8_t *bytes = s->buffer + FRONT;
  words_find(&s->words, bytes, n, s->avx2, &hits);
  if (hits.full) {
    flags |= DENSE;
    hits.count = 0;
  } else {
    runs_find(bytes, n, s->avx2, &base64, &hex);
    for (size_t i = 0; i < base64.count; i += 2) push(&unreadable, run_unreadable(bytes, n, (size_t)base64.items[i], (size_t)base64.items[i + 1]));
  }
  release(s);
  napi_value result = NULL;
  void *data;
  if (starts.full) starts.count = 0;
  if (!hits.failed && !base64.failed && !unreadable.failed && !hex.failed && !starts.failed && (result = int32_array(env, 5 + hits.count + base64.count + unreadable.count + hex.count + starts.count, &data)) != NULL) {
    int32_t *out = data;
    *out++ = flags;
    out = put(put(out, &hits, 2), &base64, 2);
    if (unreadable.count) memcpy(out, unreadable.items, unreadable.count * sizeof(int32_t));
    out = put(out + unreadable.count, &hex, 2);
    if (starts.full) *out = -1;
    else put(out, &starts, 1);
  }
  free(hits.items);
  free(base64.items);
  free(unreadable.items);
  free(hex.items);
  free(starts.items);
  return result ? result : fail(env, "scan: out of memory");
}

/*
 * triggers(text, wide): an Int32Array [hit count, offset, word index, ..., start count, offset,
 * ..., stretch count, start, end, ...]: the trigger words in the text (as configureTriggers set
 * them), at most one a position; where its other-script triggers may start (configureTriggers'
 * starts and others); and where lowercase letters alternate with separators for 13 characters or
 * more (signs.c, spaced_find): each in text order; `wide` as for scan. A word after an escaped
 * line break ("\\n", "\\r", "\\t") is found as if a space came before it.
 */
static napi_value triggers(napi_env env, napi_callback_info info) {
  Scanner *s;
  size_t argc = 2, n;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, (void **)&s) != napi_ok || argc != 2) return fail(env, "triggers(text, wide) takes a string and a boolean");
  if (!s->triggers || !s->trigger_starts) return fail(env, "triggers: configureTriggers first");
  List hits = {0}, starts = {0}, stretches = {0};
  if (!text_of(env, s, argv[0], argv[1], "triggers", s->trigger_starts, &starts, &n)) {
    free(starts.items);
    return NULL;
  }
  uint8_t *bytes = s->buffer + FRONT;
  spaced_find(bytes, n, &stretches);
  /* A word after an escaped line break ("\\nAssistant:" in JSON) starts a line, as the rules read it: found as if a space came before. */
  for (uint8_t *p = bytes; (p = memchr(p, '\\', (size_t)(bytes + n - p))) != NULL; p++)
    if (p[1] == 'n' || p[1] == 'r' || p[1] == 't') *++p = ' ';
  words_find(s->triggers, bytes, n, s->avx2, &hits);
  release(s);
  napi_value result = NULL;
  void *data;
  if (!hits.failed && !starts.failed && !stretches.failed && (result = int32_array(env, 3 + hits.count + starts.count + stretches.count, &data)) != NULL) put(put(put(data, &hits, 2), &starts, 1), &stretches, 2);
  free(hits.items);
  free(starts.items);
  free(stretches.items);
  return result ? result : fail(env, "triggers: out of memory");
}

/*
 * signs(text, wide, block): an Int32Array of three counts for each block of `block` characters
 * (and one more): the words of three or more ASCII letters and digits (no capital, no "_") by
 * the block of their last character, those of them mixing digits into letters, and the characters an
 * escape starts with ("%", "&", "\\") by block; then 1 if a hint to read text backwards is
 * there, else 0: what ../decode.ts's obfuscationSigns finds.
 */
static napi_value signs(napi_env env, napi_callback_info info) {
  Scanner *s;
  size_t argc = 3, n;
  napi_value argv[3];
  int32_t block;
  List none = {0};
  if (napi_get_cb_info(env, info, &argc, argv, NULL, (void **)&s) != napi_ok || argc != 3) return fail(env, "signs(text, wide, block) takes a string, a boolean and a number");
  if (napi_get_value_int32(env, argv[2], &block) != napi_ok || block < 1) return fail(env, "signs: block must be a positive number");
  if (!text_of(env, s, argv[0], argv[1], "signs", s->no_starts, &none, &n)) return NULL;
  size_t total = signs_size(n, (size_t)block);
  void *data;
  napi_value result = int32_array(env, total, &data);
  if (result) {
    memset(data, 0, total * sizeof(int32_t));
    signs_count(s->buffer + FRONT, n, (size_t)block, s->avx2, data);
  }
  release(s);
  return result ? result : fail(env, "signs: out of memory");
}

static void finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  Scanner *s = data;
  free(s->buffer);
  free(s->units);
  free(s->triggers);
  free(s->trigger_starts);
  free(s->no_starts);
  free(s);
}

NAPI_MODULE_INIT() {
  Scanner *s = calloc(1, sizeof(Scanner));
  if (!s) return NULL;
  s->no_starts = calloc(1, sizeof(Starts));
  if (!s->no_starts) {
    free(s);
    return NULL;
  }
  s->starts.low = s->no_starts->low = -1;
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
  napi_create_function(env, "configureTriggers", NAPI_AUTO_LENGTH, configure_triggers, s, &fn);
  napi_set_named_property(env, exports, "configureTriggers", fn);
  napi_create_function(env, "triggers", NAPI_AUTO_LENGTH, triggers, s, &fn);
  napi_set_named_property(env, exports, "triggers", fn);
  napi_create_function(env, "signs", NAPI_AUTO_LENGTH, signs, s, &fn);
  napi_set_named_property(env, exports, "signs", fn);
  napi_get_boolean(env, s->avx2, &simd);
  napi_set_named_property(env, exports, "avx2", simd);
  return exports;
}
