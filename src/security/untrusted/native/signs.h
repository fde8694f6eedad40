/* Counting what an obfuscated instruction needs, per block of text (signs.c). */
#ifndef AOSIQ_SIGNS_H
#define AOSIQ_SIGNS_H
#include <stddef.h>
#include <stdint.h>
#include "list.h"

/* How many numbers signs_count writes for `n` characters in blocks of `block`. */
size_t signs_size(size_t n, size_t block);
/*
 * Into `out` (signs_size numbers, zeroed): for each block of `block` characters and one more, the
 * words of three or more ASCII letters and digits (no capital, no "_") by the block of their
 * last character; then those of them mixing digits into letters; then the characters an
 * escape starts with ("%", "&", "\\") by block; last 1 if a hint to read text backwards is there,
 * else 0. `b` must be readable to b[n + 63], zeros after the text.
 */
void signs_count(const uint8_t *b, size_t n, size_t block, int avx2, int32_t *out);

/*
 * Into `stretches` (start, end pairs, in text order): the maximal stretches of 13 characters or
 * more where lowercase ASCII letters alternate with separators (" .-_|*"), where the rule for
 * letters spelled out with separators can match (../rules.ts, alternating). `b[n]` must be readable.
 */
void spaced_find(const uint8_t *b, size_t n, List *stretches);

#endif
