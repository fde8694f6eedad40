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

/* Base64 characters' values (0xff: none). */
static uint8_t sextet(uint8_t c) {
  return c >= 'A' && c <= 'Z' ? c - 'A' : c >= 'a' && c <= 'z' ? c - 'a' + 26 : c >= '0' && c <= '9' ? c - '0' + 52 : c == '+' ? 62 : c == '/' ? 63 : 0xff;
}

static int hex_digit(uint8_t c) { return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f'); }
static uint8_t hex_value(uint8_t c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; }

/* Longer runs (an inlined module, say) are left to JavaScript, which stops early on binary. */
#define SCREENED 2048

/*
 * A lower bound on the characters of the bytes' UTF-8 decoding that ../decode.ts counts as
 * unreadable: control characters (but newline) and each place the decoder puts U+FFFD (a byte
 * that starts nothing, a continuation byte alone, a sequence cut short). Sequences are not
 * checked for overlong forms or surrogates, which only makes the count lower; one cut short by
 * the end of `bytes` is not counted (the bytes after it were not decoded).
 */
static size_t unreadable_bytes(const uint8_t *bytes, size_t count) {
  size_t bad = 0;
  for (size_t i = 0; i < count;) {
    uint8_t c = bytes[i];
    if (c < 0x80) {
      bad += (c < 0x20 && c != '\n') || c == 0x7f;
      i++;
      continue;
    }
    size_t need = c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 : c >= 0xf0 && c <= 0xf4 ? 3 : 0;
    if (need == 0) {
      bad++;
      i++;
      continue;
    }
    size_t j = 0;
    while (j < need && i + 1 + j < count && (bytes[i + 1 + j] & 0xc0) == 0x80) j++;
    if (j < need && i + 1 + j == count) break;
    bad += j < need;
    i += 1 + j;
  }
  return bad;
}

int run_unreadable(const uint8_t *b, size_t n, size_t start, size_t end) {
  /* As decode.ts's base64Runs: a run with no digit, "+" or "/" that is all one case is passed over, not decoded. */
  int upper = 0, lower = 0, other = 0, hex = 1;
  for (size_t i = start; i < end; i++) {
    uint8_t c = b[i];
    upper |= c >= 'A' && c <= 'Z';
    lower |= c >= 'a' && c <= 'z';
    other |= !((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
    hex &= hex_digit(c);
  }
  if (!other && !(upper && lower)) return 1;
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
      uint32_t v = (uint32_t)sextet(b[i]) << 18 | (uint32_t)sextet(b[i + 1]) << 12 | (uint32_t)sextet(b[i + 2]) << 6 | sextet(b[i + 3]);
      bytes[count++] = (uint8_t)(v >> 16);
      bytes[count++] = (uint8_t)(v >> 8);
      bytes[count++] = (uint8_t)v;
    }
    /* The characters after the last four give a byte or two more, which are not read here. */
    most = count + (end - i);
  }
  /* Fewer than 12 characters, or more than a tenth unreadable: decode.ts's printable() says no. */
  return most < 12 || unreadable_bytes(bytes, count) * 10 > most;
}
