/* Minimal mask tools for the cluster layer: Otsu's threshold (Otsu 1979), 8-connected
 * labelling by breadth-first flood fill, hole filling and square erosion. Stand-ins until
 * src/image provides them. */
#include <string.h>

#include "cluster/internal.h"

int glia__otsu(const double hist[256]) {
  double total = 0, sum = 0;
  for (int i = 0; i < 256; i++) total += hist[i], sum += i * hist[i];
  if (total <= 0) return 0;
  double w0 = 0, s0 = 0, best = -1;
  int t = 0;
  for (int i = 0; i < 255; i++) {
    w0 += hist[i];
    s0 += i * hist[i];
    double w1 = total - w0;
    if (w0 <= 0 || w1 <= 0) continue;
    double m0 = s0 / w0, m1 = (sum - s0) / w1, v = w0 * w1 * (m0 - m1) * (m0 - m1);
    if (v > best) best = v, t = i;
  }
  return t;
}

int glia__label8(const uint8_t *mask, int width, int height, int32_t *lab) {
  size_t n = (size_t)width * (size_t)height;
  size_t *queue = glia_malloc(sizeof(size_t) * (n ? n : 1));
  if (!queue) return -1;
  memset(lab, 0, sizeof(int32_t) * n);
  int count = 0;
  for (size_t s = 0; s < n; s++) {
    if (!mask[s] || lab[s]) continue;
    lab[s] = ++count;
    size_t head = 0, tail = 0;
    queue[tail++] = s;
    while (head < tail) {
      size_t p = queue[head++];
      int x = (int)(p % (size_t)width), y = (int)(p / (size_t)width);
      for (int dy = -1; dy <= 1; dy++)
        for (int dx = -1; dx <= 1; dx++) {
          int nx = x + dx, ny = y + dy;
          if (nx < 0 || ny < 0 || nx >= width || ny >= height) continue;
          size_t q = (size_t)ny * (size_t)width + (size_t)nx;
          if (mask[q] && !lab[q]) lab[q] = count, queue[tail++] = q;
        }
    }
  }
  glia_free(queue);
  return count;
}

/* Background pixels not 4-connected to the border become foreground. */
static glia_status fill_holes(uint8_t *mask, int width, int height) {
  size_t n = (size_t)width * (size_t)height;
  uint8_t *outside = glia_calloc(n ? n : 1, 1);
  size_t *queue = glia_malloc(sizeof(size_t) * (n ? n : 1));
  if (!outside || !queue) {
    glia_free(outside);
    glia_free(queue);
    return glia_error(GLIA_ERR_NOMEM, "head mask: out of memory");
  }
  size_t tail = 0, head = 0;
  for (int y = 0; y < height; y++)
    for (int x = 0; x < width; x++) {
      if (x != 0 && y != 0 && x != width - 1 && y != height - 1) continue;
      size_t p = (size_t)y * width + x;
      if (!mask[p] && !outside[p]) outside[p] = 1, queue[tail++] = p;
    }
  static const int dx[4] = {1, -1, 0, 0}, dy[4] = {0, 0, 1, -1};
  while (head < tail) {
    size_t p = queue[head++];
    int x = (int)(p % (size_t)width), y = (int)(p / (size_t)width);
    for (int d = 0; d < 4; d++) {
      int nx = x + dx[d], ny = y + dy[d];
      if (nx < 0 || ny < 0 || nx >= width || ny >= height) continue;
      size_t q = (size_t)ny * width + nx;
      if (!mask[q] && !outside[q]) outside[q] = 1, queue[tail++] = q;
    }
  }
  for (size_t i = 0; i < n; i++) mask[i] = !outside[i];
  glia_free(outside);
  glia_free(queue);
  return GLIA_OK;
}

glia_status glia__head_mask(const uint8_t *gray, int width, int height, uint8_t *mask) {
  size_t n = (size_t)width * (size_t)height;
  double hist[256] = {0};
  for (size_t i = 0; i < n; i++) hist[gray[i]] += 1;
  int t = glia__otsu(hist);
  for (size_t i = 0; i < n; i++) mask[i] = gray[i] > t;
  int32_t *lab = glia_malloc(sizeof(int32_t) * (n ? n : 1));
  if (!lab) return glia_error(GLIA_ERR_NOMEM, "head mask: out of memory");
  int count = glia__label8(mask, width, height, lab);
  if (count < 0) {
    glia_free(lab);
    return glia_error(GLIA_ERR_NOMEM, "head mask: out of memory");
  }
  size_t *area = glia_calloc((size_t)count + 1, sizeof(size_t));
  if (!area) {
    glia_free(lab);
    return glia_error(GLIA_ERR_NOMEM, "head mask: out of memory");
  }
  for (size_t i = 0; i < n; i++) area[lab[i]]++;
  int big = 0;
  for (int c = 1; c <= count; c++)
    if (big == 0 || area[c] > area[big]) big = c;
  for (size_t i = 0; i < n; i++) mask[i] = big && lab[i] == big;
  glia_free(area);
  glia_free(lab);
  return big ? fill_holes(mask, width, height) : GLIA_OK;
}

/* One pass of a 1-D erosion of length 2r+1 along rows (step 1) or columns (step width). */
static void erode_lines(uint8_t *m, int lines, int len, size_t line_step, size_t step, int r,
                        int *zeros) {
  for (int l = 0; l < lines; l++) {
    uint8_t *p = m + (size_t)l * line_step;
    zeros[0] = 0;
    for (int i = 0; i < len; i++) zeros[i + 1] = zeros[i] + !p[(size_t)i * step];
    for (int i = 0; i < len; i++) {
      int a = i - r, b = i + r + 1;
      int z = (a < 0 || b > len) ? 1 : zeros[b] - zeros[a]; /* outside counts as 0 */
      p[(size_t)i * step] = z == 0;
    }
  }
}

glia_status glia__erode(uint8_t *mask, int width, int height, int r) {
  if (r <= 0) return GLIA_OK;
  int len = width > height ? width : height;
  int *zeros = glia_malloc(sizeof(int) * ((size_t)len + 1));
  if (!zeros) return glia_error(GLIA_ERR_NOMEM, "erode: out of memory");
  erode_lines(mask, height, width, (size_t)width, 1, r, zeros);
  erode_lines(mask, width, height, 1, (size_t)width, r, zeros);
  glia_free(zeros);
  return GLIA_OK;
}
