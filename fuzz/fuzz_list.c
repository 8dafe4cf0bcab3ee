/* Fuzz target: the list-file parser (glia_dataset_from_list) on arbitrary bytes. Paths are
 * resolved against a folder that does not exist, so only stat() calls reach the system. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "glia/dataset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  glia_dataset *ds = NULL;
  glia_status s = glia_dataset_from_list((const char *)data, size, "/nonexistent-glia-fuzz", &ds);
  if (ds) {
    /* Invariants: every entry and bad file has its strings; classes are sorted and used. */
    for (size_t i = 0; i < ds->n_entries; i++)
      if (!ds->entries[i].path || !ds->entries[i].name || !ds->entries[i].label ||
          ds->entries[i].class_id >= ds->n_classes)
        __builtin_trap();
    for (size_t i = 0; i < ds->n_bad; i++)
      if (!ds->bad[i].file || !ds->bad[i].error) __builtin_trap();
    for (int c = 1; c < ds->n_classes; c++)
      if (glia_natural_cmp(ds->classes[c - 1], ds->classes[c]) >= 0) __builtin_trap();
  } else if (s == GLIA_OK) {
    __builtin_trap();
  }
  glia_dataset_free(ds);
  return 0;
}
