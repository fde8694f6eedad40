/*
 * The signs of obfuscation ../decode.ts's obfuscationSigns counts, in one pass over the text as
 * the scanner holds it (one byte a character, beyond Latin-1 as 0xff, no word character).
 */
#include "signs.h"
#include <string.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define HAVE_AVX2_PATH 1
#endif

/*
 * By nibble, what the count sees in a character: a digit (bit 0), a lowercase ASCII letter
 * (a-o: 1, p-z: 2), a capital or "_" (A-O: 3, P-Z and "_": 4), an escape's start ("%" and "&":
 * 5, "\\": 6). A character's class is its low nibble's entry and its high nibble's; 0x80 and up
 * have none.
 */
static const uint8_t CLASS_LO[16] = {1 | 4 | 16, 1 | 2 | 4 | 8 | 16, 1 | 2 | 4 | 8 | 16, 1 | 2 | 4 | 8 | 16, 1 | 2 | 4 | 8 | 16, 1 | 2 | 4 | 8 | 16 | 32, 1 | 2 | 4 | 8 | 16 | 32, 1 | 2 | 4 | 8 | 16, 1 | 2 | 4 | 8 | 16, 1 | 2 | 4 | 8 | 16, 2 | 4 | 8 | 16, 2 | 8, 2 | 8 | 64, 2 | 8, 2 | 8, 2 | 8 | 16};
static const uint8_t CLASS_HI[16] = {0, 0, 32, 1, 8, 16 | 64, 2, 4, 0, 0, 0, 0, 0, 0, 0, 0};
enum { DIGIT = 1, LOWER = 2 | 4, OTHER = 8 | 16, ESCAPE = 32 | 64 };

/* 64 characters as masks, bit i for b[i]: word characters, digits, lowercase letters, other word characters, escapes' starts. */
typedef struct {
  uint64_t word, digit, lower, other, escape;
} Masks;

static void masks_scalar(const uint8_t *b, Masks *m) {
  Masks out = {0, 0, 0, 0, 0};
  for (int i = 0; i < 64; i++) {
    unsigned c = CLASS_LO[b[i] & 15] & CLASS_HI[b[i] >> 4];
    uint64_t bit = 1ull << i;
    out.word |= (c & (DIGIT | LOWER | OTHER)) ? bit : 0;
    out.digit |= (c & DIGIT) ? bit : 0;
    out.lower |= (c & LOWER) ? bit : 0;
    out.other |= (c & OTHER) ? bit : 0;
    out.escape |= (c & ESCAPE) ? bit : 0;
  }
  *m = out;
}

#ifdef HAVE_AVX2_PATH
__attribute__((target("avx2"))) static uint64_t which(__m256i c0, __m256i c1, uint8_t bits) {
  const __m256i zero = _mm256_setzero_si256(), mask = _mm256_set1_epi8((char)bits);
  uint32_t lo = ~(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(_mm256_and_si256(c0, mask), zero));
  uint32_t hi = ~(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(_mm256_and_si256(c1, mask), zero));
  return lo | (uint64_t)hi << 32;
}

__attribute__((target("avx2"))) static void masks_avx2(const uint8_t *b, Masks *m) {
  const __m256i lo = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)CLASS_LO));
  const __m256i hi = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)CLASS_HI));
  const __m256i nibble = _mm256_set1_epi8(0x0f);
  __m256i c[2];
  for (int half = 0; half < 2; half++) {
    __m256i v = _mm256_loadu_si256((const __m256i *)(b + half * 32));
    c[half] = _mm256_and_si256(_mm256_shuffle_epi8(lo, _mm256_and_si256(v, nibble)), _mm256_shuffle_epi8(hi, _mm256_and_si256(_mm256_srli_epi16(v, 4), nibble)));
  }
  m->word = which(c[0], c[1], DIGIT | LOWER | OTHER);
  m->digit = which(c[0], c[1], DIGIT);
  m->lower = which(c[0], c[1], LOWER);
  m->other = which(c[0], c[1], OTHER);
  m->escape = which(c[0], c[1], ESCAPE);
}
#endif

/* a + b + *carry, the carry out of bit 63 into *carry. */
static inline uint64_t add(uint64_t a, uint64_t b, unsigned *carry) {
  uint64_t sum = a + b, total = sum + *carry;
  *carry = (sum < a) | (total < sum);
  return total;
}

/*
 * Where each run of word characters that holds none of `without` ends (the bit of the character
 * after it), by adding each run's first bit to the run less those characters: the carry goes
 * through the run to its end unless one of them stops it. A run going on from the last 64
 * characters is carried in by `carry`.
 */
static inline uint64_t ends_without(uint64_t word, uint64_t starts, uint64_t without, unsigned *carry) { return add(word & ~without, starts, carry) & ~word; }

/*
 * Adds each set bit of `m` (of the 64 characters from `at`, none past `end`) to its block's count:
 * `index` is the block of `at`, `edge` where the next one begins, `size` a block's length.
 */
static inline void by_block(int32_t *counts, uint64_t m, size_t at, size_t end, size_t edge, size_t size, size_t index) {
  for (; edge < at + 64 && edge <= end; edge += size, index++) {
    uint64_t below = edge == at ? 0 : ~0ull >> (64 - (edge - at));
    counts[index] += __builtin_popcountll(m & below);
    m &= ~below;
  }
  counts[index] += __builtin_popcountll(m);
}

/* Whether `b` holds `word` (as it is, byte for byte), looked for by its character at `key` (a rare one: "v" of "revers"). */
static int holds(const uint8_t *b, size_t n, const char *word, size_t key) {
  size_t length = strlen(word);
  if (n < length) return 0;
  const uint8_t *end = b + n - (length - key);
  for (const uint8_t *p = b + key; p <= end && (p = memchr(p, word[key], (size_t)(end - p) + 1)) != NULL; p++)
    if (memcmp(p - key, word, length) == 0) return 1;
  return 0;
}

size_t signs_size(size_t n, size_t block) { return 3 * ((n + block - 1) / block + 1) + 1; }

void signs_count(const uint8_t *b, size_t n, size_t block, int avx2, int32_t *out) {
  size_t blocks = (n + block - 1) / block + 1;
  int32_t *words = out, *mixed = words + blocks, *escapes = mixed + blocks;
  uint64_t before = 0;
  unsigned all = 0, other = 0, digit = 0, lower = 0, short_ = 0;
  size_t at_block = 0, edge = block;
  /* Up to the 64 characters that hold b[n]: no word character, which ends the last word. */
  for (size_t at = 0; at <= n; at += 64) {
    Masks m;
#ifdef HAVE_AVX2_PATH
    if (avx2) masks_avx2(b + at, &m);
    else
#endif
      masks_scalar(b + at, &m);
    uint64_t w = m.word, one_before = w << 1 | before >> 63, two_before = w << 2 | before >> 62;
    uint64_t starts = w & ~one_before, third = w & one_before & two_before;
    uint64_t ends = ends_without(w, starts, 0, &all);
    /* Words of three or more characters, none a capital or "_"; of those, the ones mixing digits and lowercase letters. */
    uint64_t counted = ends & ends_without(w, starts, m.other, &other) & ~ends_without(w, starts, third, &short_);
    uint64_t mixing = counted & ~ends_without(w, starts, m.digit, &digit) & ~ends_without(w, starts, m.lower, &lower);
    /* A word counts in the block of its last character, the one before where it ends. */
    if (counted & 1) {
      size_t last = (at - 1) / block;
      words[last]++;
      mixed[last] += (int32_t)(mixing & 1);
    }
    by_block(words, counted >> 1, at, n, edge, block, at_block);
    by_block(mixed, mixing >> 1, at, n, edge, block, at_block);
    by_block(escapes, m.escape, at, n, edge, block, at_block);
    for (; edge < at + 64 && edge <= n; edge += block) at_block++;
    before = w;
  }
  (void)avx2;
  /* Every hint holds one of these. */
  escapes[blocks] = holds(b, n, "revers", 2) || holds(b, n, "backwards", 3) || holds(b, n, "right to left", 11);
}

/* What spaced_find sees in a character: a lowercase ASCII letter (1), a separator (2), neither (0). */
static inline int spaced_kind(uint8_t c) { return c >= 'a' && c <= 'z' ? 1 : c == ' ' || c == '.' || c == '-' || c == '_' || c == '|' || c == '*' ? 2 : 0; }

/*
 * A stretch of 13 covers a whole aligned block of six, so only blocks are tested, and on text most
 * fail at their second character (a letter after a letter); from one that holds, the stretch is
 * followed out both ways.
 */
void spaced_find(const uint8_t *b, size_t n, List *stretches) {
  for (size_t at = 0; at + 6 <= n; at += 6) {
    int k = spaced_kind(b[at]);
    size_t i = at + 1;
    while (k && i < at + 6 && spaced_kind(b[i]) == 3 - k) k = 3 - k, i++;
    if (i < at + 6) continue;
    size_t start = at, end = at + 6;
    while (start > 0 && spaced_kind(b[start - 1]) == 3 - spaced_kind(b[start])) start--;
    while (end < n && spaced_kind(b[end]) == 3 - spaced_kind(b[end - 1])) end++;
    if (end - start >= 13) {
      push(stretches, (int32_t)start);
      push(stretches, (int32_t)end);
    }
    /* The next stretch starts at `end` or later: on from the block before the first that can hold it. */
    at = (end + 5) / 6 * 6 - 6;
  }
}
