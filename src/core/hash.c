/* SHA-256 through OpenSSL's EVP interface. */
#include "glia/hash.h"

#include <openssl/evp.h>

glia_status glia_sha256(const void *data, size_t size, uint8_t digest[32]) {
  unsigned int len = 0;
  if (!EVP_Digest(data, size, digest, &len, EVP_sha256(), NULL) || len != 32)
    return glia_error(GLIA_ERR_INTERNAL, "SHA-256 failed");
  return GLIA_OK;
}

void glia_hex(const uint8_t *bytes, size_t n, char *out) {
  static const char digits[] = "0123456789abcdef";
  for (size_t i = 0; i < n; i++) {
    out[2 * i] = digits[bytes[i] >> 4];
    out[2 * i + 1] = digits[bytes[i] & 15];
  }
  out[2 * n] = '\0';
}
