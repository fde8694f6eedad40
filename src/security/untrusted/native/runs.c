/*
 * Runs of characters from one set, at least so long: base64 characters (24 or more) and hex
 * digits with separators (40 or more), the places an encoded instruction can hide. Each set is
 * looked up by nibble, 64 characters at a time (32 at once with AVX2), into a mask; a run is
 * then read off the masks, whole blocks at a time where they are all in or all out.
 */
#include "runs.h"
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define HAVE_AVX2_PATH 1
#endif

/* Runs of at least `least` accepted characters, from 64-bit masks of 64 characters each. */
typedef struct {
  int64_t open;
  List *out;
} Runs;

/* Whether `x` has `least` (24 or 40) set bits in a row. */
static inline __attribute__((always_inline)) int has_run(uint64_t x, const unsigned least) {
  x &= x >> 1;
  x &= x >> 2;
  x &= x >> 4;
  x &= x >> 8;
  if (least == 40) x &= x >> 16;
  return (x & (x >> 8)) != 0;
}

static inline __attribute__((always_inline)) void emit(Runs *r, size_t start, size_t end, const unsigned least) {
  if (end - start < least) return;
  push(r->out, (int32_t)start);
  push(r->out, (int32_t)end);
}

/* The runs a block of 64 characters ends or holds, `m` saying which are in the set. */
static inline __attribute__((always_inline)) void block(Runs *r, uint64_t m, size_t base, const unsigned least) {
  if (m == ~0ull) {
    if (r->open < 0) r->open = (int64_t)base;
    return;
  }
  /* A run open from the blocks before ends at this block's first character not in the set. */
  uint64_t inner = m;
  if (r->open >= 0) {
    unsigned first = (unsigned)__builtin_ctzll(~m);
    emit(r, (size_t)r->open, base + first, least);
    inner &= ~0ull << first;
  }
  /* A run reaching the block's end stays open. */
  unsigned last = (unsigned)__builtin_clzll(~m);
  inner &= ~0ull >> last;
  while (inner && has_run(inner, least)) {
    unsigned start = (unsigned)__builtin_ctzll(inner);
    uint64_t rest = ~(inner >> start);
    unsigned length = rest ? (unsigned)__builtin_ctzll(rest) : 64 - start;
    emit(r, base + start, base + start + length, least);
    inner &= length + start >= 64 ? 0 : ~0ull << (start + length);
  }
  r->open = last ? (int64_t)(base + 64 - last) : -1;
}

/*
 * By nibble: base64 characters (bits 0-3: A-O a-o, P-Z p-z, digits, "+" and "/") and hex digits
 * with separators (bits 4-7: digits and ":", A-F a-f, space, tab newline and return).
 */
static const uint8_t class_lo[16] = {86, 55, 55, 55, 55, 55, 55, 23, 23, 151, 147, 9, 1, 129, 1, 9};
static const uint8_t class_hi[16] = {128, 0, 8 | 64, 4 | 16, 1 | 32, 2, 1 | 32, 2, 0, 0, 0, 0, 0, 0, 0, 0};

static uint8_t class_of(uint8_t c) { return class_lo[c & 15] & class_hi[c >> 4]; }

/* Both classes of 64 characters as two masks (the bytes after the text are zero: no class). */
static void masks_scalar(const uint8_t *b, size_t at, uint64_t *base64, uint64_t *hex) {
  uint64_t m64 = 0, mhex = 0;
  for (int i = 0; i < 64; i++) {
    uint8_t c = class_of(b[at + i]);
    if (c & 0x0f) m64 |= 1ull << i;
    if (c & 0xf0) mhex |= 1ull << i;
  }
  *base64 = m64;
  *hex = mhex;
}

#ifdef HAVE_AVX2_PATH
__attribute__((target("avx2"))) static void masks_avx2(const uint8_t *b, size_t at, uint64_t *base64, uint64_t *hex) {
  const __m256i lo = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)class_lo));
  const __m256i hi = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)class_hi));
  const __m256i nibble = _mm256_set1_epi8(0x0f), zero = _mm256_setzero_si256();
  uint64_t m[2][2];
  for (int half = 0; half < 2; half++) {
    __m256i v = _mm256_loadu_si256((const __m256i *)(b + at + half * 32));
    __m256i c = _mm256_and_si256(_mm256_shuffle_epi8(lo, _mm256_and_si256(v, nibble)), _mm256_shuffle_epi8(hi, _mm256_and_si256(_mm256_srli_epi16(v, 4), nibble)));
    m[0][half] = (uint32_t)~_mm256_movemask_epi8(_mm256_cmpeq_epi8(_mm256_and_si256(c, _mm256_set1_epi8(0x0f)), zero));
    m[1][half] = (uint32_t)~_mm256_movemask_epi8(_mm256_cmpeq_epi8(_mm256_and_si256(c, _mm256_set1_epi8((char)0xf0)), zero));
  }
  *base64 = m[0][0] | (m[0][1] << 32);
  *hex = m[1][0] | (m[1][1] << 32);
}
#endif

void runs_find(const uint8_t *b, size_t n, int avx2, List *base64, List *hex) {
  Runs r64 = {-1, base64}, rhex = {-1, hex};
  for (size_t at = 0; at < n; at += 64) {
    uint64_t m64, mhex;
#ifdef HAVE_AVX2_PATH
    if (avx2) masks_avx2(b, at, &m64, &mhex);
    else
#endif
      masks_scalar(b, at, &m64, &mhex);
    block(&r64, m64, at, 24);
    block(&rhex, mhex, at, 40);
  }
  (void)avx2;
  if (r64.open >= 0) emit(&r64, (size_t)r64.open, n, 24);
  if (rhex.open >= 0) emit(&rhex, (size_t)rhex.open, n, 40);
}

/* Base64 characters' values, 16 a row (any other character is 0: a run holds none). */
static const uint8_t SEXTET[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 62, 0, 0, 0, 63,
    52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 0, 0, 0, 0, 0, 0,
    0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
    15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 0, 0, 0, 0, 0,
    0, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,
    41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 0, 0, 0, 0, 0,
};

/* What run_unreadable sees in a character (0x80 and up: NOT_LETTER), 16 a row. */
enum { UPPER = 1, LOWER = 2, NOT_LETTER = 4, HEX = 8 };
static const uint8_t KIND[128] = {
    4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
    4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
    4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
    12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 4, 4, 4, 4, 4, 4,
    4, 9, 9, 9, 9, 9, 9, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 4, 4, 4, 4, 4,
    4, 10, 10, 10, 10, 10, 10, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 4, 4, 4, 4, 4,
};

static inline unsigned kind_of(uint8_t c) { return c < 0x80 ? KIND[c] : NOT_LETTER; }

static uint8_t hex_value(uint8_t c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; }

/* Longer runs (an inlined module, say) are left to JavaScript, which stops early on binary. */
#define SCREENED 2048

/*
 * A lower bound on the characters of the bytes' UTF-8 decoding that ../decode.ts counts as
 * unreadable: control characters (but newline) and each place the decoder puts U+FFFD (a byte
 * that starts nothing, a continuation byte alone, a sequence cut short). Sequences are not
 * checked for overlong forms or surrogates, which only makes the count lower; one cut short by
 * the end of `bytes` is not counted (the bytes after it were not decoded). Past `enough` it stops
 * counting: random bytes, most runs in documentation, get there in a few bytes.
 */
static size_t unreadable_bytes(const uint8_t *bytes, size_t count, size_t enough) {
  size_t bad = 0;
  for (size_t i = 0; i < count;) {
    uint8_t c = bytes[i];
    if (c < 0x80) {
      if ((bad += (c < 0x20 && c != '\n') || c == 0x7f) > enough) return bad;
      i++;
      continue;
    }
    size_t need = c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 : c >= 0xf0 && c <= 0xf4 ? 3 : 0;
    if (need == 0) {
      if (++bad > enough) return bad;
      i++;
      continue;
    }
    size_t j = 0;
    while (j < need && i + 1 + j < count && (bytes[i + 1 + j] & 0xc0) == 0x80) j++;
    if (j < need && i + 1 + j == count) break;
    if ((bad += j < need) > enough) return bad;
    i += 1 + j;
  }
  return bad;
}

int run_unreadable(const uint8_t *b, size_t n, size_t start, size_t end) {
  /* As decode.ts's base64Runs: a run with no digit, "+" or "/" that is all one case is passed over, not decoded. */
  unsigned any = 0, all = 0xff;
  for (size_t i = start; i < end; i++) any |= kind_of(b[i]), all &= kind_of(b[i]);
  if (!(any & NOT_LETTER) && (any & (UPPER | LOWER)) != (UPPER | LOWER)) return 1;
  int hex = (all & HEX) != 0;
  /* Its padding joins it; a run of hex digits of even length without padding is read as hex. */
  size_t padded = end;
  while (padded < n && b[padded] == '=' && padded - end < 2) padded++;
  size_t length = end - start;
  if (length > SCREENED) return 0;
  uint8_t bytes[SCREENED];
  size_t count = 0, most;
  if (hex && padded == end && length % 2 == 0) {
    for (size_t i = start; i < end; i += 2) bytes[count++] = (uint8_t)(hex_value(b[i]) << 4 | hex_value(b[i + 1]));
    most = count;
  } else {
    size_t i = start;
    for (; i + 4 <= end; i += 4) {
      uint32_t v = (uint32_t)SEXTET[b[i]] << 18 | (uint32_t)SEXTET[b[i + 1]] << 12 | (uint32_t)SEXTET[b[i + 2]] << 6 | SEXTET[b[i + 3]];
      bytes[count++] = (uint8_t)(v >> 16);
      bytes[count++] = (uint8_t)(v >> 8);
      bytes[count++] = (uint8_t)v;
    }
    /* The characters after the last four give a byte or two more, which are not read here. */
    most = count + (end - i);
  }
  /* Fewer than 12 characters, or more than a tenth unreadable: decode.ts's printable() says no. */
  return most < 12 || unreadable_bytes(bytes, count, most / 10) * 10 > most;
}
