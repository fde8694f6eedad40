/* Runs of base64 and of hex characters (runs.c). */
#ifndef AOSIQ_RUNS_H
#define AOSIQ_RUNS_H
#include <stddef.h>
#include <stdint.h>
#include "list.h"

/*
 * The maximal runs of 24 or more base64 characters and of 40 or more hex digits and separators,
 * as (start, end) pairs. `b` must be readable to b[n + 63], zeros after the text.
 */
void runs_find(const uint8_t *b, size_t n, int avx2, List *base64, List *hex);
/*
 * Whether the base64 run [start, end) of `b` (n characters) surely does not decode to readable
 * text as ../decode.ts judges it (its encodedInstructions would pass it over): 0 when it may, or
 * when the run is too long to tell cheaply.
 */
int run_unreadable(const uint8_t *b, size_t n, size_t start, size_t end);

#endif
