/* glia hashing: SHA-256 of bytes (libcrypto). */
#ifndef GLIA_HASH_H
#define GLIA_HASH_H

#include <stddef.h>
#include <stdint.h>

#include "glia/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* SHA-256 of `size` bytes into digest[32]. */
GLIA_API glia_status glia_sha256(const void *data, size_t size, uint8_t digest[32]);

/* Lower-case hex of `n` bytes into out (2n+1 chars with the terminating NUL). */
GLIA_API void glia_hex(const uint8_t *bytes, size_t n, char *out);

#ifdef __cplusplus
}
#endif
#endif
