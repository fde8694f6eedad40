/* The text from V8 to the scanner's bytes, and where other-script anchors may start (units.c). */
#ifndef AOSIQ_UNITS_H
#define AOSIQ_UNITS_H
#include <stddef.h>
#include <stdint.h>
#include "list.h"

#define MAX_STARTS 4096

typedef struct {
  /* By UTF-16 unit: whether an other-script anchor can start there (or one unit before). */
  uint8_t starts[65536 / 8];
  /* The one such unit within Latin-1, if any (else -1). */
  int low;
} Starts;

/* Null when `units` (at most one of them within Latin-1) are set as the starts, else what is wrong. */
const char *starts_set(Starts *s, const uint16_t *units, size_t n);
/* The units as bytes (beyond Latin-1 saturating to 0xff); where start units are into `found`. */
void units_narrow(const Starts *s, const uint16_t *units, size_t n, uint8_t *bytes, int avx2, List *found);
/* Where start units are in text of one byte a character. */
void bytes_starts(const Starts *s, const uint8_t *bytes, size_t n, List *found);

#endif
