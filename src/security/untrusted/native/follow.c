/*
 * A word with spaces of any number inside it, as in "| sh" or "|   bash": its first character,
 * any spaces, then one of a few words. A table has a "|" every few characters, so reading on
 * from each one would cost more than the rest of the scan: instead, 64 characters at a time,
 * masks of the first character, of spaces and of the words' first letters are combined so that
 * one addition carries each first character's bit across the spaces after it (the technique
 * simdjson uses for strings). Only where that lands on a word's first letter is the word read.
 */
#include "follow.h"
#include "chars.h"
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define HAVE_AVX2_PATH 1
#endif

const char *follow_set(Followed *f, const uint8_t *text, size_t length, int word_end, int index) {
  if (length < 3 || text[0] == ' ' || letter(text[0]) || text[1] != ' ') return "a followed word is a character other than a letter or space, a space, then its words";
  f->first = text[0];
  f->word_end = word_end;
  f->index = index;
  f->thens = 0;
  for (size_t at = 2; at < length;) {
    size_t end = at;
    while (end < length && text[end] != ' ') end++;
    if (end == at || end - at > THEN_LENGTH || f->thens == MAX_THEN) return "a followed word has at most 8 words of 1 to 8 characters, one space apart";
    for (size_t i = at; i < end; i++) f->then[f->thens][i - at] = letter(text[i]) ? (text[i] | 0x20) : text[i];
    f->then_length[f->thens++] = (uint8_t)(end - at);
    at = end + 1;
  }
  return NULL;
}

/* Whether one of the words starts at `q` (and ends at a word boundary when it must). */
static int then_at(const Followed *f, const uint8_t *b, size_t n, size_t q) {
  for (int t = 0; t < f->thens; t++) {
    size_t length = f->then_length[t];
    if (q + length > n) continue;
    size_t i = 0;
    while (i < length && (letter(b[q + i]) ? (b[q + i] | 0x20) : b[q + i]) == f->then[t][i]) i++;
    /* The bytes after the text are zeros: no word character. */
    if (i == length && (!f->word_end || word_char(b[q + length - 1]) != word_char(b[q + length]))) return 1;
  }
  return 0;
}

/* A hit at the first character before `q` and the spaces before it. */
static void report(const Followed *f, const uint8_t *b, size_t q, List *out) {
  size_t p = q - 1;
  while (b[p] == ' ') p--;
  push(out, (int32_t)p);
  push(out, f->index);
}

static void find_scalar(const Followed *f, const uint8_t *b, size_t n, List *out) {
  for (size_t at = 0; at < n && !out->full; at++) {
    if (b[at] != f->first) continue;
    size_t q = at + 1;
    while (q < n && b[q] == ' ') q++;
    if (q < n && then_at(f, b, n, q)) report(f, b, q, out);
  }
}

#ifdef HAVE_AVX2_PATH
/* Where the 64 characters in `v` equal `c`, as a mask. */
static inline __attribute__((target("avx2"))) uint64_t equal(const __m256i v[2], uint8_t c) {
  const __m256i x = _mm256_set1_epi8((char)c);
  return (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(v[0], x)) | (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(v[1], x)) << 32;
}

__attribute__((target("avx2"))) static void find_avx2(const Followed *f, const uint8_t *b, size_t n, List *out) {
  const __m256i fold = _mm256_set1_epi8(0x20);
  /* Bit 0 of the next block: a first character ended this block, or its spaces run on past it. */
  uint64_t carry = 0;
  for (size_t at = 0; at < n && !out->full; at += 64) {
    __m256i v[2] = {_mm256_loadu_si256((const __m256i *)(b + at)), _mm256_loadu_si256((const __m256i *)(b + at + 32))};
    uint64_t first = equal(v, f->first);
    if (!(first | carry)) continue;
    /* With 0x20 set: the words' first letters in either case (and a few other characters, which then_at turns away). */
    __m256i folded[2] = {_mm256_or_si256(v[0], fold), _mm256_or_si256(v[1], fold)};
    uint64_t spaces = equal(v, ' '), starts = 0;
    for (int t = 0; t < f->thens; t++) starts |= equal(folded, f->then[t][0] | 0x20);
    uint64_t after = (first << 1) | carry, landed;
    /* Each bit of `after` on a space carries through the run of spaces to the character past it. */
    int over = __builtin_add_overflow(after, spaces, &landed);
    carry = (first >> 63) | (uint64_t)over;
    for (uint64_t hits = landed & ~spaces & starts; hits; hits &= hits - 1) {
      size_t q = at + (size_t)__builtin_ctzll(hits);
      if (q < n && then_at(f, b, n, q)) report(f, b, q, out);
    }
  }
}
#endif

void follow_find(const Followed *f, const uint8_t *b, size_t n, int avx2, List *out) {
#ifdef HAVE_AVX2_PATH
  if (avx2) {
    find_avx2(f, b, n, out);
    return;
  }
#endif
  (void)avx2;
  find_scalar(f, b, n, out);
}
