/* A growing list of 32-bit integers: the scanner's results. */
#ifndef AOSIQ_LIST_H
#define AOSIQ_LIST_H
#include <stdint.h>
#include <stdlib.h>

typedef struct {
  int32_t *items;
  size_t count, capacity;
  /* At most this many items (0: no limit); `full` once one more was pushed. */
  size_t limit;
  int failed, full;
} List;

static inline void push(List *list, int32_t value) {
  if (list->failed || list->full) return;
  if (list->limit && list->count == list->limit) {
    list->full = 1;
    return;
  }
  if (list->count == list->capacity) {
    size_t capacity = list->capacity ? list->capacity * 2 : 256;
    int32_t *items = realloc(list->items, capacity * sizeof(int32_t));
    if (!items) {
      list->failed = 1;
      return;
    }
    list->items = items;
    list->capacity = capacity;
  }
  list->items[list->count++] = value;
}

#endif
