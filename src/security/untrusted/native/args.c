/* The scanner's configuration read from JavaScript arguments, with errors that name the argument. */
#include "args.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

napi_value fail(napi_env env, const char *message) {
  napi_throw_error(env, "ERR_AOSIQ_SCAN", message);
  return NULL;
}

int units_of(napi_env env, napi_value value, const char *who, const char *name, uint16_t *units, size_t *count) {
  char message[160];
  if (napi_get_value_string_utf16(env, value, NULL, 0, count) != napi_ok) {
    snprintf(message, sizeof message, "%s: %s must be a string", who, name);
    fail(env, message);
    return 0;
  }
  if (*count > MAX_STARTS) {
    snprintf(message, sizeof message, "%s: %s must be a string of at most 4096 characters", who, name);
    fail(env, message);
    return 0;
  }
  return napi_get_value_string_utf16(env, value, (char16_t *)units, MAX_STARTS + 1, count) == napi_ok;
}

int other_words_of(napi_env env, napi_value value, const char *who, OtherWord *words, uint32_t *count) {
  char message[160];
  if (napi_get_array_length(env, value, count) != napi_ok || *count > MAX_OTHER_WORDS) {
    snprintf(message, sizeof message, "%s: others must be an array of at most 128 words", who);
    fail(env, message);
    return 0;
  }
  for (uint32_t i = 0; i < *count; i++) {
    napi_value item;
    size_t length;
    uint16_t units[OTHER_LENGTH + 1];
    if (napi_get_element(env, value, i, &item) != napi_ok || napi_get_value_string_utf16(env, item, NULL, 0, &length) != napi_ok || length == 0 || length > OTHER_LENGTH ||
        napi_get_value_string_utf16(env, item, (char16_t *)units, OTHER_LENGTH + 1, &length) != napi_ok) {
      snprintf(message, sizeof message, "%s: every other-script word must be a string of 1 to 32 characters", who);
      fail(env, message);
      return 0;
    }
    memset(&words[i], 0, sizeof words[i]);
    memcpy(words[i].units, units, length * sizeof(uint16_t));
    words[i].length = (uint8_t)length;
  }
  return 1;
}

int words_of(napi_env env, napi_value list, napi_value flag_list, const char *who, Words *words) {
  uint32_t count, flag_count;
  char message[160];
  if (napi_get_array_length(env, list, &count) != napi_ok || count > MAX_WORDS) {
    snprintf(message, sizeof message, "%s: words must be an array of at most %d", who, MAX_WORDS);
    fail(env, message);
    return 0;
  }
  if (napi_get_array_length(env, flag_list, &flag_count) != napi_ok || flag_count != count) {
    snprintf(message, sizeof message, "%s: flags must be an array as long as words", who);
    fail(env, message);
    return 0;
  }
  char(*texts)[MAX_LENGTH + 2] = malloc(sizeof(*texts) * MAX_WORDS);
  const char **pointers = malloc(sizeof(*pointers) * MAX_WORDS);
  size_t *lengths = malloc(sizeof(*lengths) * MAX_WORDS);
  int32_t *flags = malloc(sizeof(*flags) * MAX_WORDS);
  Words *set = malloc(sizeof(Words));
  const char *wrong = !texts || !pointers || !lengths || !flags || !set ? "out of memory" : NULL;
  for (uint32_t i = 0; i < count && !wrong; i++) {
    napi_value item, flag;
    if (napi_get_element(env, list, i, &item) != napi_ok || napi_get_value_string_latin1(env, item, texts[i], sizeof texts[i], &lengths[i]) != napi_ok) wrong = "every word must be a string";
    else if (napi_get_element(env, flag_list, i, &flag) != napi_ok || napi_get_value_int32(env, flag, &flags[i]) != napi_ok) wrong = "every flag must be a number";
    pointers[i] = texts[i];
  }
  /* Set aside and copied in whole, so that words found wrong leave the scanner as it was. */
  if (!wrong) wrong = words_set(set, pointers, lengths, flags, (int)count);
  if (!wrong) memcpy(words, set, sizeof(Words));
  free(texts);
  free(pointers);
  free(lengths);
  free(flags);
  free(set);
  if (wrong) {
    snprintf(message, sizeof message, "%s: %s", who, wrong);
    fail(env, message);
  }
  return !wrong;
}
