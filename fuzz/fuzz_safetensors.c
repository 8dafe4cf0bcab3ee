/* libFuzzer target: the safetensors parser and reader must reject any byte string cleanly
 * (an error, never a crash or an out-of-bounds read). Corpus: fuzz/corpus/fuzz_safetensors,
 * made by tests/fixtures/nn/gen_nn.py. */
#include <stdint.h>
#include <stdlib.h>

#include "glia/safetensors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  glia_safetensors *st;
  if (glia_safetensors_parse(data, size, "fuzz", &st)) return 0;
  for (size_t i = 0; i < glia_safetensors_count(st); i++) {
    int ndim;
    const int64_t *shape;
    const char *name = glia_safetensors_info(st, i, NULL, &ndim, &shape);
    int64_t n = 1;
    for (int d = 0; d < ndim; d++) n *= shape[d];
    if (n > (1 << 20)) continue;
    float *buf = malloc((size_t)(n ? n : 1) * sizeof(float));
    if (!buf) continue;
    glia_safetensors_read(st, name, ndim, shape, 1, buf);
    free(buf);
  }
  glia_safetensors_meta(st, "arch");
  glia_safetensors_free(st);
  return 0;
}
