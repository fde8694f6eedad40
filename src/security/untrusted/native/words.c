/*
 * Many short words found in one pass, ASCII case-insensitively, with the word boundaries a
 * JavaScript regex's \b would apply. A Teddy-style filter (as in Hyperscan) narrows the text
 * to candidate positions: each word sits in one of eight buckets, and a position is a candidate
 * for a bucket when its first four characters could start one of the bucket's words, judged a
 * nibble at a time by table lookups, 32 positions at once with AVX2. A bucket of words that
 * must start a word only counts where the character before is not a word character. Each
 * candidate is then checked against its buckets' words.
 */
#include "words.h"
#include "chars.h"
#include <string.h>
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define HAVE_AVX2_PATH 1
#endif


/* Whether the word is at `p` (case aside), eight characters at a time; `p` must be readable to p[MAX_LENGTH - 1]. */
static inline int same(const Word *w, const uint8_t *p) {
  for (int j = 0; j < w->length; j += 8) {
    uint64_t text, fold, word;
    memcpy(&text, p + j, 8);
    memcpy(&fold, w->fold + j, 8);
    memcpy(&word, w->padded + j, 8);
    if ((text | fold) != word) return 0;
  }
  return 1;
}

/* A regex \b at `at`: a word character on one side only (outside the text counts as none). */
static int boundary(const uint8_t *b, size_t n, size_t at) {
  int before = at > 0 && word_char(b[at - 1]);
  int after = at < n && word_char(b[at]);
  return before != after;
}

/*
 * The bucket a word goes in, chosen so that few characters pass each bucket's first position:
 * words that start a word by their first letter (a-e, f-o, p-s, t-z: letters in one range share
 * a high nibble, so a bucket passes its own letters only), two-character ones together (7), those
 * starting with "=" or "_" (the query-string secrets, "=key", "_token": 0), the rest by their first
 * character's high nibble ("<", "[": 5; "!", "%": 6). With "<", "[" and "\\" (which reads as "|"
 * once 0x20 is set), the letters after "=" and "_" let every "| " of a markdown table through.
 */
static int bucket_of(const Word *w) {
  uint8_t c = w->text[0] | 0x20;
  if (!letter(c) || !(w->flags & WORD_START)) return c == ('=' | 0x20) || c == ('_' | 0x20) ? 0 : (c >> 4) == 2 ? 6 : 5;
  if (w->length == 2) return 7;
  return c <= 'e' ? 1 : c <= 'o' ? 2 : c <= 's' ? 3 : 4;
}

static const uint32_t HEAD_MASKS[3] = {0xffffu, 0xffffffu, 0xffffffffu};

/* Into PREFIX_SLOTS slots: 4096, so that few of the prefixes in ordinary text share a slot with a word's (1024 let "_id=" and "api/" through to verify). */
static uint32_t prefix_hash(uint32_t head) { return (head * 0x9e3779b1u) >> (32 - PREFIX_BITS); }

static void add(Words *words, int k, int index) {
  const Word *w = &words->words[index];
  int size = w->length < 4 ? w->length - 2 : 2;
  uint32_t h = prefix_hash(w->head & HEAD_MASKS[size]);
  for (unsigned bits = 0; bits < 256; bits++)
    if (bits & (1u << k)) words->sizes_of[bits] |= (uint8_t)(1 << size);
  words->next[index] = words->first[size][h];
  words->first[size][h] = (uint16_t)(index + 1);
  if (!(w->flags & WORD_START)) words->unbounded |= (uint8_t)(1 << k);
  for (int j = 0; j < 4; j++) {
    for (int v = 0; v < 16; v++) {
      if (j < w->length && (v != ((w->text[j] | 0x20) & 15))) continue;
      words->lo[j][v] |= (uint8_t)(1 << k);
    }
    for (int v = 0; v < 16; v++) {
      if (j < w->length && (v != ((w->text[j] | 0x20) >> 4))) continue;
      words->hi[j][v] |= (uint8_t)(1 << k);
    }
  }
}

const char *words_set(Words *words, const char *const *texts, const size_t *lengths, const int32_t *flags, int count) {
  if (count > MAX_WORDS) return "words must be an array of at most 1024";
  memset(words, 0, sizeof *words);
  for (int i = 0; i < count; i++) {
    if (lengths[i] == 0 || lengths[i] > MAX_LENGTH) return "a word must be 1 to 48 characters";
    Word *w = &words->words[words->count++];
    memcpy(w->text, texts[i], lengths[i]);
    w->length = (uint8_t)lengths[i];
    w->flags = (uint8_t)flags[i];
    if (w->flags & FOLLOWED) {
      if (!(w->flags & CANDIDATE) || words->followed_count == MAX_FOLLOWED) return "at most 4 followed words (8), each a candidate (4)";
      const char *wrong = follow_set(&words->followed[words->followed_count++], w->text, w->length, (w->flags & WORD_END) != 0, i);
      if (wrong) return wrong;
      continue;
    }
    for (int j = 0; j < MAX_LENGTH; j++) {
      w->fold[j] = j >= w->length ? 0xff : letter(w->text[j]) ? 0x20 : 0;
      w->padded[j] = j >= w->length ? 0xff : w->text[j];
    }
    for (int j = 0; j < 4 && j < w->length; j++) {
      w->head |= (uint32_t)(w->text[j] | 0x20) << (8 * j);
      w->head_mask |= 0xffu << (8 * j);
    }
    if (w->length == 1) {
      /* Tried only where no longer word starts: right for a candidate, not for a word the regex would prefer. */
      if (!(w->flags & CANDIDATE)) return "a one-character word must be a candidate (4)";
      /* Compared as they are: a letter in both cases. */
      int cases = letter(w->text[0]) ? 2 : 1;
      if (words->singles + cases > MAX_SINGLES) return "at most 8 one-character words (a letter counts twice)";
      for (int c = 0; c < cases; c++) {
        uint8_t character = c ? w->text[0] ^ 0x20 : w->text[0];
        words->single[words->singles++] = character;
        words->single_of[character] = (uint16_t)(i + 1);
      }
      continue;
    }
    add(words, bucket_of(w), i);
  }
  return NULL;
}

/*
 * Whether a word may start at `p`: one of two or more characters in a bucket of `bits` that
 * starts with these characters (by hash), or one of one character. Without branches: most
 * candidates the filter passes end here, at places no branch predictor could guess.
 */
static inline int maybe(const Words *words, const uint8_t *p, unsigned bits) {
  uint32_t head;
  memcpy(&head, p, 4);
  head |= 0x20202020u;
  uint32_t sizes = words->sizes_of[bits], any = words->single_of[p[0]];
  for (int size = 0; size < 3; size++) any |= words->first[size][prefix_hash(head & HEAD_MASKS[size])] & -((sizes >> size) & 1u);
  return any != 0;
}

/* Where the last URL read stopped, and whether it may hold a query or a placeholder: an "http" before that stop inside it reads the same. */
typedef struct {
  size_t stop;
  int holds;
} UrlMemo;

/*
 * Whether the URL from `at` ("s://" or "://" after "http") may hold a query or a placeholder: one
 * of ?&{[%$< comes before its end (a space or control character, ")", a quote or ">"), as every
 * gate of ../rules.ts URL_GATES needs. Where it cannot tell, it says it may: a space after a
 * backslash does not end it (the trigger pass reads "\\n" as "\\ "), nor does a character beyond
 * ASCII, and the gates decide. A URL inside the last one read (1 MB of "http://x/", say) is not
 * read again: `memo`.
 */
static int url_may_hold(const uint8_t *b, size_t n, size_t at, UrlMemo *memo) {
  if (at < n && b[at] == 's') at++;
  if (at + 3 > n || memcmp(b + at, "://", 3) != 0) return 0;
  if (at < memo->stop) return memo->holds;
  size_t i = at + 3;
  int holds = 0;
  for (; i < n; i++) {
    uint8_t c = b[i];
    if (c == '?' || c == '&' || c == '{' || c == '[' || c == '%' || c == '$' || c == '<') {
      holds = 1;
      break;
    }
    if (c == ' ' ? b[i - 1] != '\\' : c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r' || c == 0xa0 || c == ')' || c == '"' || c == '\'' || c == '>') break;
  }
  memo->stop = i;
  memo->holds = holds;
  return holds;
}

/*
 * Whether what follows a name at `at` closes a JSON string that is all of it: the name's rest (an
 * "s", or up to 40 word characters, dots and dashes with `any_rest`), a quote, spaces, then "," or
 * "}", where ../prefilter.ts's pattern for the name is no anchor. Where it cannot tell (a "]" after
 * the quote, a character beyond ASCII that may be a space), it says no, and the pattern decides.
 */
static int closes_value(const uint8_t *b, size_t n, size_t at, int any_rest) {
  if (!any_rest) at += at < n && (b[at] | 0x20) == 's';
  else {
    size_t rest = 0;
    while (at + rest < n && rest <= 40 && (word_char(b[at + rest]) || b[at + rest] == '.' || b[at + rest] == '-')) rest++;
    if (rest > 40) return 0;
    at += rest;
  }
  if (at >= n || b[at] != '"') return 0;
  for (at++; at < n; at++) {
    switch (b[at]) {
      case ' ': case '\t': case '\n': case '\v': case '\f': case '\r': case 0xa0:
        continue;
      case ',': case '}':
        return 1;
    }
    return 0;
  }
  return 0;
}

/*
 * The word of two or more characters, or else of one, that starts at `at` (the filter found that
 * a word in a bucket of `bits` may), if any: looked up by its first characters.
 */
static void verify(const Words *words, const uint8_t *b, size_t n, size_t at, unsigned bits, UrlMemo *memo, List *hits) {
  uint32_t head;
  memcpy(&head, b + at, 4);
  head |= 0x20202020u;
  unsigned sizes = words->sizes_of[bits];
  /* A candidate word only where no other word starts: the first one there is kept until all are looked at. */
  int candidate = -1;
  for (int size = 0; size < 3; size++) {
    if (!(sizes & (1u << size))) continue;
    for (int i = words->first[size][prefix_hash(head & HEAD_MASKS[size])]; i; i = words->next[i - 1]) {
      const Word *w = &words->words[i - 1];
      if ((head & w->head_mask) != w->head || at + w->length > n || ((w->flags & CANDIDATE) && candidate >= 0)) continue;
      if (!same(w, b + at) || ((w->flags & WORD_START) && !boundary(b, n, at)) || ((w->flags & WORD_END) && !boundary(b, n, at + w->length))) continue;
      if (w->flags & CANDIDATE) {
        candidate = i - 1;
        continue;
      }
      if (!(w->flags & URL_GATE) || url_may_hold(b, n, at + w->length, memo)) {
        push(hits, (int32_t)at);
        push(hits, i - 1);
      }
      return;
    }
  }
  if (candidate < 0) candidate = words->single_of[b[at]] - 1;
  if (candidate < 0) return;
  const Word *w = &words->words[candidate];
  if (w->length == 1 && (((w->flags & WORD_START) && !boundary(b, n, at)) || ((w->flags & WORD_END) && !boundary(b, n, at + 1)))) return;
  if ((w->flags & (VALUE_S | VALUE_NAME)) && closes_value(b, n, at + w->length, (w->flags & VALUE_NAME) != 0)) return;
  push(hits, (int32_t)at);
  push(hits, candidate);
}

static void find_scalar(const Words *words, const uint8_t *b, size_t from, size_t n, UrlMemo *memo, List *hits) {
  for (size_t at = from; at < n && !hits->full; at++) {
    unsigned r = at > 0 && word_char(b[at - 1]) ? words->unbounded : 0xff;
    for (int j = 0; j < 4 && r; j++) {
      uint8_t c = b[at + j] | 0x20;
      r &= words->lo[j][c & 15] & words->hi[j][c >> 4];
    }
    if (maybe(words, b + at, r)) verify(words, b, n, at, r, memo, hits);
  }
}

#ifdef HAVE_AVX2_PATH
/* Word characters by nibble: A-O and a-o (1), P-Z and p-z (2), digits (4), "_" (8). */
static const uint8_t WORD_LO[16] = {6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 3, 1, 1, 1, 1, 9};
static const uint8_t WORD_HI[16] = {0, 0, 0, 4, 1, 2 | 8, 1, 2, 0, 0, 0, 0, 0, 0, 0, 0};

static inline __attribute__((target("avx2"))) __m256i lookup(__m256i lo, __m256i hi, __m256i v) {
  const __m256i nibble = _mm256_set1_epi8(0x0f);
  return _mm256_and_si256(_mm256_shuffle_epi8(lo, _mm256_and_si256(v, nibble)), _mm256_shuffle_epi8(hi, _mm256_and_si256(_mm256_srli_epi16(v, 4), nibble)));
}

static inline __attribute__((target("avx2"))) __m256i table(const uint8_t *t) { return _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)t)); }

/* `b` must be readable from b[-1] to b[n + 3]. */
__attribute__((target("avx2"))) static void find_avx2(const Words *words, const uint8_t *b, size_t n, UrlMemo *memo, List *hits) {
  const __m256i fold = _mm256_set1_epi8(0x20), zero = _mm256_setzero_si256(), unbounded = _mm256_set1_epi8((char)words->unbounded);
  const __m256i word_lo = table(WORD_LO), word_hi = table(WORD_HI);
  __m256i lo[4], hi[4], single[MAX_SINGLES];
  for (int j = 0; j < 4; j++) lo[j] = table(words->lo[j]), hi[j] = table(words->hi[j]);
  for (int i = 0; i < words->singles; i++) single[i] = _mm256_set1_epi8((char)words->single[i]);
  size_t at = 0;
  for (; at + 32 <= n && !hits->full; at += 32) {
    /* Where the character before is a word character, only the unbounded buckets count. */
    __m256i word_start = _mm256_cmpeq_epi8(lookup(word_lo, word_hi, _mm256_loadu_si256((const __m256i *)(b + at - 1))), zero);
    __m256i r = _mm256_or_si256(word_start, unbounded);
    for (int j = 0; j < 4; j++) r = _mm256_and_si256(r, lookup(lo[j], hi[j], _mm256_or_si256(_mm256_loadu_si256((const __m256i *)(b + at + j)), fold)));
    uint32_t found = ~(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(r, zero));
    if (words->singles) {
      __m256i v = _mm256_loadu_si256((const __m256i *)(b + at)), any = zero;
      for (int i = 0; i < words->singles; i++) any = _mm256_or_si256(any, _mm256_cmpeq_epi8(v, single[i]));
      found |= (uint32_t)_mm256_movemask_epi8(any);
    }
    if (!found) continue;
    uint8_t lanes[32], kept[32];
    _mm256_storeu_si256((__m256i *)lanes, r);
    /* Candidates the prefix hashes keep, gathered without a branch on each: they are unpredictable. */
    int count = 0;
    while (found) {
      int i = __builtin_ctz(found);
      found &= found - 1;
      kept[count] = (uint8_t)i;
      count += maybe(words, b + at + i, lanes[i]);
    }
    for (int k = 0; k < count; k++) verify(words, b, n, at + kept[k], lanes[kept[k]], memo, hits);
  }
  find_scalar(words, b, at, n, memo, hits);
}
#endif

/* `more` merged into `hits` (both in text order); where both have an offset, the word, not the candidate, is kept. */
static void merge(List *hits, List *more) {
  List merged = {0};
  merged.limit = hits->limit;
  size_t i = 0, j = 0;
  while (i < hits->count || j < more->count) {
    int from_more = j < more->count && (i == hits->count || more->items[j] < hits->items[i]);
    if (!from_more && j < more->count && more->items[j] == hits->items[i]) j += 2;
    const int32_t *pair = from_more ? &more->items[j] : &hits->items[i];
    push(&merged, pair[0]);
    push(&merged, pair[1]);
    if (from_more) j += 2;
    else i += 2;
  }
  merged.failed |= hits->failed | more->failed;
  merged.full |= hits->full | more->full;
  free(hits->items);
  free(more->items);
  *hits = merged;
}

void words_find(const Words *words, const uint8_t *b, size_t n, int avx2, List *hits) {
  UrlMemo memo = {0, 0};
#ifdef HAVE_AVX2_PATH
  if (avx2) find_avx2(words, b, n, &memo, hits);
  else
#endif
    find_scalar(words, b, 0, n, &memo, hits);
  (void)avx2;
  for (int i = 0; i < words->followed_count && !hits->full; i++) {
    List more = {0};
    more.limit = hits->limit;
    follow_find(&words->followed[i], b, n, avx2, &more);
    merge(hits, &more);
  }
}
