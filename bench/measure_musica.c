/* Measurement behind MUSICA's defaults (include/glia/musica.h): on the 256² head crops of a
 * data set, for each power p and linear-segment size, the mean over images of
 *   detail gain     = mean |discrete Laplacian| inside the head (input > 40), output / input;
 *   background gain = the same on near-black background pixels (input <= 15);
 *   clipped %       = head pixels that end at 0 or 255.
 * Usage: measure_musica DATA (prints a table). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "glia/dataset.h"
#include "glia/glia.h"

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s DATA\n", argv[0]);
    return 2;
  }
  glia_dataset *ds;
  if (glia_dataset_scan(argv[1], NULL, &ds)) {
    fprintf(stderr, "%s\n", glia_last_error());
    return 1;
  }
  size_t n = 0;
  glia_image_u8 **crops = calloc(ds->n_entries, sizeof *crops);
  for (size_t i = 0; i < ds->n_entries; i++) {
    glia_image_u8 *img = NULL, *g = NULL;
    glia_crop_result r;
    if (!glia_image_load_u8(ds->entries[i].path, NULL, &img, NULL) &&
        !glia_image_u8_to_gray(img, &g) &&
        !glia_crop_find(g->data, g->width, g->height, NULL, &r) &&
        !glia_crop_square(g->data, g->width, g->height, r.x0, r.y0, r.x1, r.y1, 256, &crops[n]))
      n++;
    glia_image_u8_free(img);
    glia_image_u8_free(g);
  }
  const double ps[] = {0.5, 0.6, 0.7, 0.8, 0.9}, cs[] = {0.5, 2, 5};
  printf("power noise_pct detail_gain background_gain clipped_pct\n");
  static uint8_t o[256 * 256];
  for (int a = 0; a < 5; a++)
    for (int b = 0; b < 3; b++) {
      double dg = 0, bg = 0, cl = 0;
      int cnt = 0;
      for (size_t i = 0; i < n; i++) {
        const uint8_t *s = crops[i]->data;
        glia_musica_opts mo = GLIA_MUSICA_DEFAULTS;
        mo.power = ps[a];
        mo.noise_pct = cs[b];
        if (glia_musica_u8(s, o, 256, 256, &mo)) continue;
        double d0 = 0, d1 = 0, b0 = 0, b1 = 0;
        long nd = 0, nb = 0, nc = 0;
        for (int y = 1; y < 255; y++)
          for (int x = 1; x < 255; x++) {
            int k = y * 256 + x;
            double l0 = fabs(4.0 * s[k] - s[k - 1] - s[k + 1] - s[k - 256] - s[k + 256]);
            double l1 = fabs(4.0 * o[k] - o[k - 1] - o[k + 1] - o[k - 256] - o[k + 256]);
            if (s[k] > 40)
              d0 += l0, d1 += l1, nd++, nc += o[k] == 0 || o[k] == 255;
            else if (s[k] <= 15)
              b0 += l0, b1 += l1, nb++;
          }
        if (nd > 1000 && nb > 1000 && d0 > 0 && b0 > 0) {
          dg += d1 / d0;
          bg += b1 / b0;
          cl += 100.0 * nc / nd;
          cnt++;
        }
      }
      printf("%.1f %.1f %.3f %.3f %.2f\n", ps[a], cs[b], dg / cnt, bg / cnt, cl / cnt);
    }
  for (size_t i = 0; i < n; i++) glia_image_u8_free(crops[i]);
  free(crops);
  glia_dataset_free(ds);
  return 0;
}
