/* Finding many short words in a text at once (words.c). */
#ifndef AOSIQ_WORDS_H
#define AOSIQ_WORDS_H
#include <stddef.h>
#include <stdint.h>
#include "follow.h"
#include "list.h"

#define MAX_WORDS 1024
#define MAX_LENGTH 48
#define MAX_SINGLES 8
/* Bytes readable before and after the text: zeros, which are no word character. */
#define WORDS_PAD 64
#define PREFIX_BITS 12
#define PREFIX_SLOTS (1 << PREFIX_BITS)
#define WORD_START 1
#define WORD_END 2
/* A word only reported where no other word starts (one-character words are such). */
#define CANDIDATE 4
/* A candidate of a character, spaces, and words ("| sh bash zsh"): found by follow.c, not the filter. */
#define FOLLOWED 8
/* A word ("http") found only where the URL it starts holds one of ?&{[%$< before it ends (words.c, url_may_hold). */
#define URL_GATE 16
/*
 * A candidate for a name ("assistant", "claude") that is no anchor as a JSON string's whole value:
 * dropped where its rest ("s" for VALUE_S, up to 40 of [\w.-] for VALUE_NAME), a quote, spaces,
 * then "," or "}" follow it (words.c, closes_value; ../prefilter.ts NAMES_NOT_VALUES).
 */
#define VALUE_S 32
#define VALUE_NAME 64

typedef struct {
  uint8_t text[MAX_LENGTH + 1];
  uint8_t length, flags;
  /* The first (up to) four characters with 0x20 set, and which of them there are. */
  uint32_t head, head_mask;
  /*
   * For comparing eight characters at a time: 0x20 where the word has a letter (either case
   * matches), and the text; both 0xff past its end, so that any character there compares equal.
   */
  uint8_t fold[MAX_LENGTH], padded[MAX_LENGTH];
} Word;

typedef struct {
  Word words[MAX_WORDS];
  int count;
  /* Buckets whose words need no word boundary before them. */
  uint8_t unbounded;
  /* The characters of one-character words, compared directly rather than by fingerprint (which they would loosen). */
  uint8_t single[MAX_SINGLES];
  int singles;
  /* By character: 1 + the index of the one-character word it is (either case), else 0. */
  uint16_t single_of[256];
  uint8_t lo[4][16], hi[4][16];
  /*
   * The words by a hash of their first two, three or four characters (0x20 set; four where
   * they have them): 1 + the index of the first, chained through `next`.
   */
  uint16_t first[3][PREFIX_SLOTS];
  uint16_t next[MAX_WORDS];
  /* By set of buckets: which of those three prefix lengths their words have (bits 0-2). */
  uint8_t sizes_of[256];
  Followed followed[MAX_FOLLOWED];
  int followed_count;
} Words;

/* Null when the words are set, else what is wrong with them. */
const char *words_set(Words *words, const char *const *texts, const size_t *lengths, const int32_t *flags, int count);
/* Every position a word starts at, as (offset, word index) pairs, at most one word a position; stops when `hits` is full. */
void words_find(const Words *words, const uint8_t *b, size_t n, int avx2, List *hits);

#endif
