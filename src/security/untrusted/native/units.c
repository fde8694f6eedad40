/*
 * A text comes out of V8 as Latin-1 bytes, or as UTF-16 units when it holds characters beyond
 * Latin-1; the scanner reads one byte a character, a unit beyond Latin-1 becoming 0xff (no word,
 * base64 or hex character). On the way, the places where an other-script anchor can start are
 * noted: characters that are anchors in themselves, look-alike letters touching an ASCII letter,
 * and words (compared whole, found by a key unit), looked up in bitmaps only where a unit is
 * beyond Latin-1 (16 units at once with AVX2): text with the odd curly quote or emoji costs no
 * more than the copy, and a page in Russian only its words' keys.
 */
#include "units.h"
#include "chars.h"
#include <string.h>
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define HAVE_AVX2_PATH 1
#endif

static inline uint16_t pair_of(uint16_t key, uint16_t after) { return (uint16_t)(key * 31u + after); }

const char *starts_set(Starts *s, const uint16_t *units, size_t n, const uint16_t *touches, size_t touch_count, const OtherWord *words, int word_count) {
  memset(s, 0, sizeof *s);
  s->low = -1;
  if (word_count > MAX_OTHER_WORDS) return "at most 128 other-script words";
  for (int i = 0; i < word_count; i++) {
    OtherWord *w = &s->words[i];
    *w = words[i];
    if (w->length == 0 || w->length > OTHER_LENGTH) return "an other-script word must be 1 to 32 characters";
    w->late = w->units[0] <= 0xff;
    if (w->late && (w->length < 2 || w->units[1] <= 0xff)) return "an other-script word must have a character beyond Latin-1 first or second";
    if (w->length < w->late + 2) return "an other-script word must have a character after its first beyond Latin-1";
    uint16_t key = w->units[w->late], pair = pair_of(key, w->units[w->late + 1]);
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

/* Where the word keyed by the unit at `at` starts there (or one unit before), else -1. */
static inline int64_t word_at(const Starts *s, const uint16_t *units, size_t n, size_t at) {
  uint16_t u = units[at];
  for (int i = s->first_word[u & 0xff]; i; i = s->words[i - 1].next) {
    const OtherWord *w = &s->words[i - 1];
    if (w->units[w->late] != u || at < w->late) continue;
    size_t start = at - w->late;
    if (start + w->length <= n && memcmp(units + start, w->units, w->length * sizeof(uint16_t)) == 0) return (int64_t)start;
  }
  return -1;
}

/* The places an anchor can start at the unit at `at`, of kind `k`, in order. */
static inline void note(const Starts *s, const uint16_t *units, size_t n, size_t at, unsigned k, List *found) {
  int touch = (k & TOUCH) != 0;
  if (touch && at > 0 && ascii_letter(units[at - 1])) push(found, (int32_t)(at - 1));
  int64_t word = (k & KEY) && bit(s->pairs, pair_of(units[at], units[at + 1])) ? word_at(s, units, n, at) : -1;
  if (word >= 0) push(found, (int32_t)word);
  if (word != (int64_t)at && ((k & START) || (touch && at + 1 < n && ascii_letter(units[at + 1])))) push(found, (int32_t)at);
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
    /* Two mask bits a unit: beyond Latin-1, or the one start unit within it; and next to an ASCII letter. */
    uint32_t look = ~(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi16(narrow, v)) | (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi16(v, low));
    __m256i folded = _mm256_or_si256(v, fold);
    uint32_t letters = (uint32_t)_mm256_movemask_epi8(_mm256_and_si256(_mm256_cmpgt_epi16(folded, before_a), _mm256_cmpgt_epi16(after_z, folded))) & 0x55555555u;
    uint32_t near = letters << 2 | letters >> 2 | (i > 0 && ascii_letter(units[i - 1])) | (uint32_t)ascii_letter(units[i + 16]) << 30;
    for (look &= 0x55555555u; look; look &= look - 1) {
      unsigned slot = (unsigned)__builtin_ctz(look), k = s->kind[units[i + slot / 2]];
      /* A look-alike touches nothing here (most letters of a page in Russian): passed over. */
      if (k && (k != TOUCH || (near >> slot & 1))) note(s, units, n, i + slot / 2, k, found);
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
