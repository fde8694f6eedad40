/*
 * A text comes out of V8 as Latin-1 bytes, or as UTF-16 units when it holds characters beyond
 * Latin-1; the scanner reads one byte a character, a unit beyond Latin-1 becoming 0xff (no word,
 * base64 or hex character). On the way, the places where an other-script anchor can start are
 * noted: a few units, looked up in a bitmap only where a unit is beyond Latin-1 (16 units at
 * once with AVX2), so text with the odd curly quote or emoji costs no more than the copy.
 */
#include "units.h"
#include <string.h>
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define HAVE_AVX2_PATH 1
#endif

const char *starts_set(Starts *s, const uint16_t *units, size_t n) {
  memset(s->starts, 0, sizeof s->starts);
  s->low = -1;
  for (size_t i = 0; i < n; i++) {
    uint16_t u = units[i];
    if (u <= 0xff) {
      if (s->low >= 0 && s->low != u) return "configure: starts may hold one character within Latin-1, no more";
      s->low = u;
    }
    s->starts[u >> 3] |= (uint8_t)(1u << (u & 7));
  }
  return NULL;
}

static inline int starts_at(const Starts *s, uint16_t u) { return (s->starts[u >> 3] >> (u & 7)) & 1; }

void bytes_starts(const Starts *s, const uint8_t *bytes, size_t n, List *found) {
  if (s->low < 0) return;
  for (const uint8_t *p = bytes; (p = memchr(p, s->low, n - (size_t)(p - bytes))) != NULL; p++) push(found, (int32_t)(p - bytes));
}

static size_t narrow_scalar(const Starts *s, const uint16_t *units, size_t from, size_t n, uint8_t *bytes, List *found) {
  for (size_t i = from; i < n; i++) {
    uint16_t u = units[i];
    bytes[i] = u > 0xff ? 0xff : (uint8_t)u;
    if ((u > 0xff || u == s->low) && starts_at(s, u)) push(found, (int32_t)i);
  }
  return n;
}

#ifdef HAVE_AVX2_PATH
__attribute__((target("avx2"))) static size_t narrow_avx2(const Starts *s, const uint16_t *units, size_t n, uint8_t *bytes, List *found) {
  const __m256i top = _mm256_set1_epi16(0xff), low = _mm256_set1_epi16((short)(s->low < 0 ? 0xffff : s->low));
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    __m256i v = _mm256_loadu_si256((const __m256i *)(units + i));
    __m256i narrow = _mm256_min_epu16(v, top);
    /* packus works within each 128-bit lane: the permute puts the two halves' bytes side by side. */
    __m256i packed = _mm256_permute4x64_epi64(_mm256_packus_epi16(narrow, narrow), 0x08);
    _mm_storeu_si128((__m128i *)(bytes + i), _mm256_castsi256_si128(packed));
    /* Two mask bits a unit: beyond Latin-1, or the one start unit within it. */
    uint32_t look = ~(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi16(narrow, v)) | (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi16(v, low));
    for (look &= 0x55555555u; look; look &= look - 1) {
      size_t at = i + (size_t)__builtin_ctz(look) / 2;
      if (starts_at(s, units[at])) push(found, (int32_t)at);
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
