/*
 * A text comes out of V8 as Latin-1 bytes, or as UTF-16 units when it holds characters beyond
 * Latin-1; the scanner reads one byte a character, a unit beyond Latin-1 becoming 0xff (no word,
 * base64 or hex character). On the way, the places where an other-script anchor can start are
 * noted: characters that are anchors in themselves, look-alike letters touching an ASCII letter,
 * and words (compared whole, found by a key unit), looked up in bitmaps only where a unit is
 * beyond Latin-1 (16 units at once with AVX2, by gather): text with the odd curly quote or emoji
 * costs no more than the copy, and a page in Russian or Chinese only its words' keys, each word
 * keyed by its rarest letter.
 */
#include "units.h"
#include "chars.h"
#include <string.h>
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define HAVE_AVX2_PATH 1
#endif

static inline uint16_t pair_of(uint16_t key, uint16_t after) { return (uint16_t)(key * 31u + after); }

/*
 * The Cyrillic small letters from the commonest in running Russian text to the rarest: a word is
 * keyed by the unit that comes latest here (one not here, a capital or another script's, first),
 * so that a page in Russian looks few of its letters up ("игнорир" by "г", not "и").
 */
static const uint16_t COMMON[] = {0x43e, 0x435, 0x430, 0x438, 0x43d, 0x442, 0x441, 0x440, 0x432, 0x43b, 0x43a, 0x43c, 0x434, 0x43f, 0x443, 0x44f, 0x44b,
                                  0x44c, 0x433, 0x437, 0x431, 0x447, 0x439, 0x445, 0x436, 0x448, 0x44e, 0x446, 0x449, 0x44d, 0x444, 0x44a, 0x451};
#define COMMONS (sizeof COMMON / sizeof COMMON[0])

static size_t commonness(uint16_t u) {
  for (size_t i = 0; i < COMMONS; i++)
    if (COMMON[i] == u) return COMMONS - i;
  return 0;
}

/* The rarest unit beyond Latin-1 with a unit after it (the first of the rarest). */
static uint8_t key_of(const OtherWord *w) {
  uint8_t key = w->units[0] <= 0xff;
  for (uint8_t i = key + 1; i + 1 < w->length; i++)
    if (w->units[i] > 0xff && commonness(w->units[i]) < commonness(w->units[key])) key = i;
  return key;
}

const char *starts_set(Starts *s, const uint16_t *units, size_t n, const uint16_t *touches, size_t touch_count, const OtherWord *words, int word_count) {
  memset(s, 0, sizeof *s);
  s->low = -1;
  if (word_count > MAX_OTHER_WORDS) return "at most 128 other-script words";
  for (int i = 0; i < word_count; i++) {
    OtherWord *w = &s->words[i];
    *w = words[i];
    if (w->length == 0 || w->length > OTHER_LENGTH) return "an other-script word must be 1 to 32 characters";
    int late = w->units[0] <= 0xff;
    if (late && (w->length < 2 || w->units[1] <= 0xff)) return "an other-script word must have a character beyond Latin-1 first or second";
    if (w->length < late + 2) return "an other-script word must have a character after its first beyond Latin-1";
    w->key = key_of(w);
    uint16_t key = w->units[w->key], pair = pair_of(key, w->units[w->key + 1]);
    s->kind[key] |= KEY;
    s->pairs[pair >> 3] |= (uint8_t)(1u << (pair & 7));
    w->next = s->first_word[key & 0xff];
    s->first_word[key & 0xff] = (uint8_t)(i + 1);
  }
  for (size_t i = 0; i < touch_count; i++) {
    if (touches[i] <= 0xff) return "touches must all be beyond Latin-1";
    s->kind[touches[i]] |= TOUCH;
  }
  for (size_t i = 0; i < n; i++) {
    uint16_t u = units[i];
    if (u <= 0xff) {
      if (s->low >= 0 && s->low != u) return "starts may hold one character within Latin-1, no more";
      s->low = u;
    }
    s->kind[u] |= START;
  }
  return NULL;
}

static inline int bit(const uint8_t *set, uint16_t u) { return (set[u >> 3] >> (u & 7)) & 1; }

static inline int ascii_letter(uint16_t u) { return u < 0x80 && letter((uint8_t)u); }

/* A word's start, which a word keyed further in puts before places already noted: kept in order, once. */
static void push_in_order(List *found, int32_t start) {
  size_t i = found->count;
  while (i > 0 && found->items[i - 1] > start) i--;
  if (i > 0 && found->items[i - 1] == start) return;
  push(found, start);
  if (found->failed || found->full || found->items[found->count - 1] != start) return;
  memmove(found->items + i + 1, found->items + i, (found->count - 1 - i) * sizeof(int32_t));
  found->items[i] = start;
}

/* Where each word keyed by the unit at `at` starts (at or before it), into `found`. */
static inline void words_at(const Starts *s, const uint16_t *units, size_t n, size_t at, List *found) {
  uint16_t u = units[at];
  for (int i = s->first_word[u & 0xff]; i; i = s->words[i - 1].next) {
    const OtherWord *w = &s->words[i - 1];
    if (w->units[w->key] != u || at < w->key) continue;
    size_t start = at - w->key;
    if (start + w->length <= n && memcmp(units + start, w->units, w->length * sizeof(uint16_t)) == 0) push_in_order(found, (int32_t)start);
  }
}

/* The places an anchor can start at the unit at `at`, of kind `k`, in order. */
static inline void note(const Starts *s, const uint16_t *units, size_t n, size_t at, unsigned k, List *found) {
  int touch = (k & TOUCH) != 0;
  if (touch && at > 0 && ascii_letter(units[at - 1])) push(found, (int32_t)(at - 1));
  if ((k & KEY) && bit(s->pairs, pair_of(units[at], units[at + 1]))) words_at(s, units, n, at, found);
  if ((k & START) || (touch && at + 1 < n && ascii_letter(units[at + 1]))) push_in_order(found, (int32_t)at);
}

void bytes_starts(const Starts *s, const uint8_t *bytes, size_t n, List *found) {
  if (s->low < 0) return;
  for (const uint8_t *p = bytes; (p = memchr(p, s->low, n - (size_t)(p - bytes))) != NULL; p++) push(found, (int32_t)(p - bytes));
}

static void narrow_scalar(const Starts *s, const uint16_t *units, size_t from, size_t n, uint8_t *bytes, List *found) {
  for (size_t i = from; i < n; i++) {
    uint16_t u = units[i];
    bytes[i] = u > 0xff ? 0xff : (uint8_t)u;
    if ((u > 0xff || u == s->low) && s->kind[u]) note(s, units, n, i, s->kind[u], found);
  }
}

#ifdef HAVE_AVX2_PATH
/* The even bits of `x` (one a unit of a 16-bit-lane byte mask), packed into 16. */
static inline uint32_t even_bits(uint32_t x) {
  x &= 0x55555555u;
  x = (x | x >> 1) & 0x33333333u;
  x = (x | x >> 2) & 0x0f0f0f0fu;
  x = (x | x >> 4) & 0x00ff00ffu;
  return (x | x >> 8) & 0xffffu;
}

/* Eight units' kinds (by gather, a byte each), as three 8-bit masks: START (bits 0-7), TOUCH (8-15), KEY (16-23). */
static inline __attribute__((target("avx2"))) uint32_t kinds8(const Starts *s, __m128i units) {
  __m256i bits = _mm256_i32gather_epi32((const int *)s->kind, _mm256_cvtepu16_epi32(units), 1);
  uint32_t masks = 0;
  for (int k = 0; k < 3; k++) masks |= (uint32_t)_mm256_movemask_ps(_mm256_castsi256_ps(_mm256_sllv_epi32(bits, _mm256_set1_epi32(31 - k)))) << (8 * k);
  return masks;
}

/* Of eight units, those that start a pair some word's key starts (the `pairs` bitmap, by gather). */
static inline __attribute__((target("avx2"))) uint32_t pairs8(const Starts *s, __m128i units, __m128i after) {
  __m256i pair = _mm256_cvtepu16_epi32(_mm_add_epi16(_mm_mullo_epi16(units, _mm_set1_epi16(31)), after));
  __m256i word = _mm256_i32gather_epi32((const int *)s->pairs, _mm256_srli_epi32(pair, 5), 4);
  __m256i bit = _mm256_sllv_epi32(_mm256_set1_epi32(1), _mm256_and_si256(pair, _mm256_set1_epi32(31)));
  return (uint32_t)_mm256_movemask_ps(_mm256_castsi256_ps(_mm256_cmpeq_epi32(_mm256_and_si256(word, bit), bit)));
}

/* Up to this many units beyond Latin-1 in sixteen (curly quotes and dashes in English) are looked up one by one; more (a page in Russian or Chinese), by gather. */
#define FEW 4

__attribute__((target("avx2"))) static size_t narrow_avx2(const Starts *s, const uint16_t *units, size_t n, uint8_t *bytes, List *found) {
  const __m256i top = _mm256_set1_epi16(0xff), low = _mm256_set1_epi16((short)(s->low < 0 ? 0xffff : s->low));
  const __m256i fold = _mm256_set1_epi16(0x20), before_a = _mm256_set1_epi16('a' - 1), after_z = _mm256_set1_epi16('z' + 1);
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    __m256i v = _mm256_loadu_si256((const __m256i *)(units + i));
    __m256i narrow = _mm256_min_epu16(v, top);
    /* packus works within each 128-bit lane: the permute puts the two halves' bytes side by side. */
    __m256i packed = _mm256_permute4x64_epi64(_mm256_packus_epi16(narrow, narrow), 0x08);
    _mm_storeu_si128((__m128i *)(bytes + i), _mm256_castsi256_si128(packed));
    /* The units beyond Latin-1, and the one start unit within it. */
    uint32_t look = even_bits(~(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi16(narrow, v)) | (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi16(v, low)));
    if (!look) continue;
    __m256i folded = _mm256_or_si256(v, fold);
    uint32_t letters = even_bits((uint32_t)_mm256_movemask_epi8(_mm256_and_si256(_mm256_cmpgt_epi16(folded, before_a), _mm256_cmpgt_epi16(after_z, folded))));
    uint32_t near = letters << 1 | letters >> 1 | (i > 0 && ascii_letter(units[i - 1])) | (uint32_t)ascii_letter(units[i + 16]) << 15;
    /* Starts are noted, keys where the unit after makes a key's pair, look-alikes where an ASCII letter is next to them. */
    uint32_t want = 0;
    if (__builtin_popcount(look) <= FEW) {
      for (; look; look &= look - 1) {
        unsigned slot = (unsigned)__builtin_ctz(look), k = s->kind[units[i + slot]];
        if (k & (START | KEY) || (k & TOUCH && near >> slot & 1)) want |= 1u << slot;
      }
    } else {
      __m128i first = _mm256_castsi256_si128(v), second = _mm256_extracti128_si256(v, 1);
      uint32_t lo = kinds8(s, first), hi = kinds8(s, second);
      uint32_t starts = (lo & 0xff) | (hi & 0xff) << 8, touches = (lo >> 8 & 0xff) | (hi >> 8 & 0xff) << 8, keys = (lo >> 16) | (hi >> 16) << 8;
      if (keys) keys &= pairs8(s, first, _mm_loadu_si128((const __m128i *)(units + i + 1))) | pairs8(s, second, _mm_loadu_si128((const __m128i *)(units + i + 9))) << 8;
      want = starts | keys | (touches & near);
    }
    for (; want; want &= want - 1) {
      unsigned slot = (unsigned)__builtin_ctz(want);
      note(s, units, n, i + slot, s->kind[units[i + slot]], found);
    }
  }
  return i;
}
#endif

void units_narrow(const Starts *s, const uint16_t *units, size_t n, uint8_t *bytes, int avx2, List *found) {
  size_t from = 0;
#ifdef HAVE_AVX2_PATH
  if (avx2) from = narrow_avx2(s, units, n, bytes, found);
#endif
  (void)avx2;
  narrow_scalar(s, units, from, n, bytes, found);
}
