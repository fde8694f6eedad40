/* ASCII character classes the native passes share, as a JavaScript regex (no `u` flag) sees them. */
#ifndef AOSIQ_CHARS_H
#define AOSIQ_CHARS_H
#include <stdint.h>

static inline int letter(uint8_t c) { return (c | 0x20) >= 'a' && (c | 0x20) <= 'z'; }

/* \w: a letter, a digit or "_". */
static inline int word_char(uint8_t c) { return letter(c) || (c >= '0' && c <= '9') || c == '_'; }

#endif
