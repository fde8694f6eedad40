/* The text from V8 to the scanner's bytes, and where other-script anchors may start (units.c). */
#ifndef AOSIQ_UNITS_H
#define AOSIQ_UNITS_H
#include <stddef.h>
#include <stdint.h>
#include "list.h"

#define MAX_STARTS 4096
#define MAX_OTHER_WORDS 128
#define OTHER_LENGTH 32

/* A word beyond Latin-1, looked up by its key: its rarest unit beyond Latin-1 (not its last), `key` units in. */
typedef struct {
  uint16_t units[OTHER_LENGTH];
  uint8_t length, key;
  /* 1 + the index of the next word with a key of the same low byte, else 0. */
  uint8_t next;
} OtherWord;

/* What a UTF-16 unit is: an anchor in itself, one where it touches an ASCII letter, a word's key. */
#define START 1
#define TOUCH 2
#define KEY 4

typedef struct {
  /* By UTF-16 unit, what it is (START, TOUCH, KEY); three more, zero, so that a gather of four bytes at any unit stays inside. */
  uint8_t kind[65536 + 3];
  /* The one START unit within Latin-1, if any (else -1). */
  int low;
  /* By a hash of a key and the unit after it: whether some word has them; by a key's low byte: 1 + the index of the first word. */
  uint8_t pairs[65536 / 8];
  uint8_t first_word[256];
  OtherWord words[MAX_OTHER_WORDS];
} Starts;

/*
 * Null when `units` (at most one of them within Latin-1), `touches` (none within Latin-1) and the
 * words (each 2 to 32 units, one of its first two beyond Latin-1, a unit after it) are set, else
 * what is wrong.
 */
const char *starts_set(Starts *s, const uint16_t *units, size_t n, const uint16_t *touches, size_t touch_count, const OtherWord *words, int word_count);
/*
 * The units as bytes (beyond Latin-1 saturating to 0xff); where other-script anchors may start
 * into `found`, in order. `units` must be readable at units[n] (V8 writes a terminating zero).
 */
void units_narrow(const Starts *s, const uint16_t *units, size_t n, uint8_t *bytes, int avx2, List *found);
/* Where start units are in text of one byte a character. */
void bytes_starts(const Starts *s, const uint8_t *bytes, size_t n, List *found);

#endif
