/*
 * The signs of obfuscation ../decode.ts's obfuscationSigns counts, in one pass over the text as
 * the scanner holds it (one byte a character, beyond Latin-1 as 0xff, no word character).
 */
#include "signs.h"
#include <string.h>

/* What the count sees in a character: a digit, a lowercase ASCII letter, another word character (a capital, "_"), an escape's start. */
enum { DIGIT = 1, LOWER = 2, OTHER = 4, ESCAPE = 8 };

/* Those kinds by character, 16 a row (0x80 and up: none). */
static const uint8_t KIND[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 8, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0,
    0, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
    4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 0, 8, 0, 0, 4,
    0, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 0, 0, 0, 0, 0,
};

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

void signs_count(const uint8_t *b, size_t n, size_t block, int32_t *out) {
  size_t blocks = (n + block - 1) / block + 1;
  int32_t *words = out, *mixed = words + blocks, *escapes = mixed + blocks;
  /* The block is counted on, not divided out: a division at every character was most of the time. */
  size_t length = 0, at = 0, word_at = 0, edge = block;
  unsigned kinds = 0;
  /* One past the end reads b[n]: no word character, which ends the last word. */
  for (size_t i = 0; i <= n; i++) {
    if (i == edge) {
      at++;
      edge += block;
    }
    unsigned k = KIND[b[i]];
    if (k & (DIGIT | LOWER | OTHER)) {
      if (length++ == 0) word_at = at;
      kinds |= k;
      continue;
    }
    /* (Added only where there is one: an add to the same count at every character waits on the last.) */
    if (k == ESCAPE) escapes[at]++;
    if (length >= 3 && !(kinds & OTHER)) {
      words[word_at]++;
      mixed[word_at] += (kinds & (DIGIT | LOWER)) == (DIGIT | LOWER);
    }
    length = 0;
    kinds = 0;
  }
  /* Every hint holds one of these. */
  escapes[blocks] = holds(b, n, "revers", 2) || holds(b, n, "backwards", 2) || holds(b, n, "right to left", 11);
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
