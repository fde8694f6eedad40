/* Words that allow spaces inside: a character, any spaces, then one of a few words (follow.c). */
#ifndef AOSIQ_FOLLOW_H
#define AOSIQ_FOLLOW_H
#include <stddef.h>
#include <stdint.h>
#include "list.h"

#define MAX_FOLLOWED 4
#define MAX_THEN 8
#define THEN_LENGTH 8

typedef struct {
  uint8_t first;
  /* The words one of which comes after `first` and any spaces (lowercase ASCII, either case matches). */
  uint8_t then[MAX_THEN][THEN_LENGTH + 1];
  uint8_t then_length[MAX_THEN];
  int thens;
  /* Whether a word boundary must follow, and the index reported with a hit. */
  int word_end, index;
} Followed;

/* Null when `text` ("| sh bash zsh": the character, a space, the words) is one, else what is wrong with it. */
const char *follow_set(Followed *f, const uint8_t *text, size_t length, int word_end, int index);
/* Where `f` starts, as (offset, index) pairs in text order. `b` must be readable to b[n + 63], zeros after the text. */
void follow_find(const Followed *f, const uint8_t *b, size_t n, int avx2, List *out);

#endif
