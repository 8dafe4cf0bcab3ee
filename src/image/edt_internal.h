/* The exact distance transform's squared distances, shared with the watershed. */
#ifndef GLIA_IMAGE_EDT_INTERNAL_H
#define GLIA_IMAGE_EDT_INTERNAL_H

#include <stdint.h>

#include "glia/core.h"

/* Nonzero when every squared distance of a width × height plane is below 2^24 (exact in
 * float and int32): the planes glia__distance_sq accepts. */
int glia__edt_fits_int(int width, int height);

/* glia_distance_transform for a plane that glia__edt_fits_int accepts (mask and dist already
 * checked), also writing the squared distances (integers) to d2 when d2 is not NULL. */
glia_status glia__distance_sq(const uint8_t *mask, int width, int height, float *dist, int32_t *d2);

#endif
