/* Reading the scanner's configuration from JavaScript arguments (args.c). */
#ifndef AOSIQ_ARGS_H
#define AOSIQ_ARGS_H
#define NAPI_VERSION 8
#include <node_api.h>
#include "units.h"
#include "words.h"

/* Throws an error with this message; returns NULL, for `return fail(...)`. */
napi_value fail(napi_env env, const char *message);
/* A string of at most MAX_STARTS units into `units` (its length into `count`); false with an error thrown, naming `who` and `name`, if it is not one. */
int units_of(napi_env env, napi_value value, const char *who, const char *name, uint16_t *units, size_t *count);
/* An array of at most MAX_OTHER_WORDS strings of 1 to OTHER_LENGTH units into `words`; false with an error thrown, naming `who`, if it is not one. */
int other_words_of(napi_env env, napi_value value, const char *who, OtherWord *words, uint32_t *count);
/* Words and their flags (two arrays as long) into `words`; false with an error thrown, naming `who`, and `words` as it was, if they are not. */
int words_of(napi_env env, napi_value list, napi_value flag_list, const char *who, Words *words);

#endif
