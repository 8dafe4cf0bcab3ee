/* Safetensors files (https://github.com/huggingface/safetensors format): reading F32/F16/BF16
 * tensors into float32 with every offset and shape checked against the file, writing F32
 * tensors with string metadata atomically, and checkpoints carrying the optimizer and RNG
 * state. Tensor names are PyTorch state_dict keys. */
#ifndef GLIA_SAFETENSORS_H
#define GLIA_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

#include "glia/core.h"
#include "glia/nn.h"
#include "glia/optim.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Largest JSON header accepted (bytes). */
#define GLIA_SAFETENSORS_MAX_HEADER ((size_t)100 << 20)

typedef struct glia_safetensors glia_safetensors;

/* Parses a safetensors image in memory. The result refers to `data`, which must outlive it
 * (glia_safetensors_open owns its copy instead). `label` names the source in errors (a path).
 * Errors: FORMAT naming the tensor and the problem (offsets past the end, a shape that does
 * not match the byte count, an unknown dtype, a duplicate name), NOMEM. Caller frees. */
GLIA_API glia_status glia_safetensors_parse(const unsigned char *data, size_t size,
                                            const char *label, glia_safetensors **out);

/* Reads and parses a file (caller frees). Errors as glia_safetensors_parse, and IO. */
GLIA_API glia_status glia_safetensors_open(const char *path, glia_safetensors **out);
GLIA_API void glia_safetensors_free(glia_safetensors *st);

/* Number of tensors and the i-th one's name, dtype ("F32", ...), shape (NULL if out of range). */
GLIA_API size_t glia_safetensors_count(const glia_safetensors *st);
GLIA_API const char *glia_safetensors_info(const glia_safetensors *st, size_t i, const char **dtype,
                                           int *ndim, const int64_t **shape);

/* A metadata value (NULL when absent). */
GLIA_API const char *glia_safetensors_meta(const glia_safetensors *st, const char *key);

/* Copies tensor `name` into dst as float32, converting F16 and BF16. The stored shape must
 * equal (ndim, shape). Errors: ARGUMENT (missing tensor, other shape: both named),
 * UNSUPPORTED (a dtype other than F32/F16/BF16), FORMAT (a NaN or infinite value, named by
 * tensor and index, when reject_nonfinite is set). */
GLIA_API glia_status glia_safetensors_read(const glia_safetensors *st, const char *name, int ndim,
                                           const int64_t *shape, int reject_nonfinite, float *dst);

/* Loads every tensor of `p` by name. Missing or mis-shaped tensors, non-finite values and (when
 * strict) tensors of the file that `p` does not have are errors naming the tensor. */
GLIA_API glia_status glia_safetensors_load_params(const glia_safetensors *st, glia_params *p,
                                                  int strict);

/* ---- Writer ---- */
typedef struct glia_st_writer glia_st_writer;

GLIA_API glia_status glia_st_writer_new(glia_st_writer **out);
GLIA_API void glia_st_writer_free(glia_st_writer *w);
/* Adds an F32 tensor; `data` is referenced (not copied) until glia_st_writer_save. */
GLIA_API glia_status glia_st_writer_add(glia_st_writer *w, const char *name, int ndim,
                                        const int64_t *shape, const float *data);
/* Adds (or replaces) a metadata string. */
GLIA_API glia_status glia_st_writer_meta(glia_st_writer *w, const char *key, const char *value);
/* Writes the file atomically (temporary file, fsync, rename). */
GLIA_API glia_status glia_st_writer_save(glia_st_writer *w, const char *path);

/* Saves every tensor of `p` (all values: weights and buffers) with optional metadata pairs
 * (meta: key, value, ..., NULL; may be NULL). */
GLIA_API glia_status glia_safetensors_save_params(const char *path, const glia_params *p,
                                                  const char *const *meta);

/* ---- Checkpoints: parameters plus optimizer state ("optimizer.state", metadata
 * "optimizer.steps") and the context's random state (metadata "rng"), so that a resumed run
 * continues bit for bit. opt and nn may be NULL. ---- */
GLIA_API glia_status glia_checkpoint_save(const char *path, const glia_params *p, glia_optim *opt,
                                          const glia_nn *nn, const char *const *meta);
GLIA_API glia_status glia_checkpoint_load(const char *path, glia_params *p, glia_optim *opt,
                                          glia_nn *nn);

#ifdef __cplusplus
}
#endif
#endif
