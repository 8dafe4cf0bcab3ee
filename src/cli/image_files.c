/* Image commands: the image files of DATA (glia_dataset_scan), output paths, enhancement
 * steps. */
#include <stdlib.h>
#include <string.h>

#include "cli/image_cmds.h"

/* Length of a relative name without its extension. */
static size_t stem_len(const char *rel) {
  const char *slash = strrchr(rel, '/'), *dot = strrchr(rel, '.');
  return dot && (!slash || dot > slash) ? (size_t)(dot - rel) : strlen(rel);
}

/* Output names: the relative name (its extension is replaced by the command's suffix), except
 * where two inputs share a stem (yes/Y92.jpg and yes/Y92.png): those keep their extension as
 * "_jpg", "_png", so that no output overwrites another. */
/* A name and its stem length, sorted so that equal stems sit side by side. */
typedef struct stem_ref {
  const char *rel;
  size_t len, index;
} stem_ref;

static int cmp_stem(const void *a, const void *b) {
  const stem_ref *x = a, *y = b;
  int c = strncmp(x->rel, y->rel, x->len < y->len ? x->len : y->len);
  return c ? c : (x->len > y->len) - (x->len < y->len);
}

static int name_outputs(img_files *f) {
  f->out = calloc(f->n ? f->n : 1, sizeof *f->out);
  stem_ref *order = malloc((f->n ? f->n : 1) * sizeof *order);
  if (!f->out || !order) {
    free(order);
    return -1;
  }
  for (size_t i = 0; i < f->n; i++) order[i] = (stem_ref){f->rel[i], stem_len(f->rel[i]), i};
  qsort(order, f->n, sizeof *order, cmp_stem);
  int bad = 0;
  for (size_t k = 0; k < f->n && !bad; k++) {
    size_t i = order[k].index, li = order[k].len;
    int clash = (k > 0 && !cmp_stem(&order[k - 1], &order[k])) ||
                (k + 1 < f->n && !cmp_stem(&order[k], &order[k + 1]));
    if (!(f->out[i] = strdup(f->rel[i]))) bad = 1;
    if (!bad && clash && f->out[i][li] == '.') f->out[i][li] = '_';
  }
  free(order);
  return bad ? -1 : 0;
}

int img_files_list(const char *cmd, const char *data, img_files *out) {
  memset(out, 0, sizeof *out);
  glia_status s = glia_dataset_scan(data, NULL, &out->ds);
  for (size_t i = 0; out->ds && i < out->ds->n_bad; i++)
    fprintf(stderr, "glia %s: %s\n", cmd, out->ds->bad[i].error);
  if (s && s != GLIA_ERR_EMPTY) {
    fprintf(stderr, "glia %s: %s\n", cmd, glia_last_error());
    img_files_free(out);
    return -1;
  }
  size_t n = out->ds ? out->ds->n_entries : 0;
  if (!n) {
    fprintf(stderr, "glia %s: %s: no image files (.jpg .jpeg .png .tif .tiff) found\n", cmd, data);
    img_files_free(out);
    return -1;
  }
  out->path = malloc(n * sizeof *out->path);
  out->rel = malloc(n * sizeof *out->rel);
  if (!out->path || !out->rel) {
    fprintf(stderr, "glia %s: out of memory listing %s\n", cmd, data);
    img_files_free(out);
    return -1;
  }
  for (size_t i = 0; i < n; i++) {
    out->path[i] = out->ds->entries[i].path;
    out->rel[i] = out->ds->entries[i].name;
  }
  out->n = n;
  if (name_outputs(out)) {
    fprintf(stderr, "glia %s: out of memory listing %s\n", cmd, data);
    img_files_free(out);
    return -1;
  }
  return 0;
}

size_t img_files_n_bad(const img_files *f) { return f->ds ? f->ds->n_bad : 0; }

void img_files_free(img_files *f) {
  for (size_t i = 0; f->out && i < f->n; i++) free(f->out[i]);
  free(f->out);
  free(f->path);
  free(f->rel);
  glia_dataset_free(f->ds);
  memset(f, 0, sizeof *f);
}

char *img_out_path(const char *cmd, const char *out, const char *rel, const char *suffix) {
  size_t n = strlen(out) + strlen(rel) + strlen(suffix) + 2;
  char *p = malloc(n);
  if (!p) return NULL;
  snprintf(p, n, "%s/%s", out, rel);
  char *slash = strrchr(p, '/'), *dot = strrchr(p, '.');
  if (dot && dot > slash) *dot = 0;
  size_t used = strlen(p);
  snprintf(p + used, n - used, "%s", suffix);
  slash = strrchr(p, '/');
  *slash = 0;
  glia_status s = glia_mkdirs(p);
  *slash = '/';
  if (s) {
    fprintf(stderr, "glia %s: %s\n", cmd, glia_last_error());
    free(p);
    return NULL;
  }
  return p;
}

int img_batch(const char *cmd, const char *data, const char *out, const cli_common *c, img_fn fn,
              void *ctx) {
  img_files files;
  if (img_files_list(cmd, data, &files)) return CLI_FAILED;
  size_t total = files.n + img_files_n_bad(&files), bad = img_files_n_bad(&files), done = 0;
  if (glia_mkdirs(out)) {
    fprintf(stderr, "glia %s: %s\n", cmd, glia_last_error());
    img_files_free(&files);
    return CLI_FAILED;
  }
#pragma omp parallel for schedule(dynamic) reduction(+ : bad)
  for (size_t i = 0; i < files.n; i++) {
    glia_status s = fn(files.path[i], files.out[i], out, ctx);
#pragma omp critical
    {
      if (s) fprintf(stderr, "glia %s: %s: %s\n", cmd, files.rel[i], glia_last_error());
      cli_progress(c, cmd, ++done, files.n);
    }
    bad += s != GLIA_OK;
  }
  if (!c->quiet)
    fprintf(stderr, "glia %s: %zu of %zu images written to %s\n", cmd, total - bad, total, out);
  img_files_free(&files);
  return bad ? CLI_FAILED : CLI_OK;
}

glia_status img_load_gray(const char *path, glia_image_u8 **gray) {
  glia_image_u8 *img = NULL;
  glia_status s = glia_image_load_u8(path, NULL, &img, NULL);
  if (!s) s = glia_image_u8_to_gray(img, gray);
  glia_image_u8_free(img);
  return s;
}

enum {
  ENH_DENOISE,
  ENH_GAUSSIAN,
  ENH_BILATERAL,
  ENH_CLAHE,
  ENH_EQUALIZE,
  ENH_MUSICA,
  ENH_GAMMA,
  ENH_SHARPEN,
  ENH_MINMAX,
  ENH_SOBEL,
  ENH_SCHARR,
  ENH_CANNY,
  ENH_LOG,
  ENH_ENTROPY,
  ENH_COUNT
};
static const char *const enh_names[ENH_COUNT] = {
    "denoise", "gaussian", "bilateral", "clahe",  "equalize", "musica", "gamma",
    "sharpen", "minmax",   "sobel",     "scharr", "canny",    "log",    "entropy"};
const char *const enh_help =
    "denoise (median 3×3), gaussian (σ 1), bilateral (d 5, σ 50/50), clahe (clip 2, 8×8),\n"
    "    equalize, musica (6 levels, p 0.7), gamma (0.8), sharpen (unsharp σ 1, amount 1),\n"
    "    minmax (stretch to 0..255), sobel, scharr (gradient magnitude / 4), canny (50, 150),\n"
    "    log (|Laplacian of Gaussian σ 2| × 4), entropy (disk radius 5, bits × 32)";

const char *enh_name(int step) { return step >= 0 && step < ENH_COUNT ? enh_names[step] : "?"; }

int enh_parse(const char *cmd, const char *list, int *steps, int *n) {
  *n = 0;
  char buf[512];
  snprintf(buf, sizeof buf, "%s", list);
  for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
    int k = -1;
    for (int i = 0; i < ENH_COUNT; i++)
      if (!strcmp(t, enh_names[i])) k = i;
    if (k < 0) {
      cli_usage_error(cmd, "--enhance: unknown step '%s' (known: %s)", t, enh_help);
      return -1;
    }
    if (*n == ENH_MAX) {
      cli_usage_error(cmd, "--enhance: more than %d steps", ENH_MAX);
      return -1;
    }
    steps[(*n)++] = k;
  }
  return 0;
}

glia_status enh_apply(int step, uint8_t *g, int w, int h, const uint8_t *mask) {
  size_t n = (size_t)w * h;
  uint8_t *tmp = malloc(n);
  if (!tmp) return glia_error(GLIA_ERR_NOMEM, "enhance: out of memory");
  glia_status s = GLIA_OK;
  glia_clahe_opts co = GLIA_CLAHE_DEFAULTS;
  switch (step) {
  case ENH_DENOISE:
    s = glia_median_blur_u8(g, tmp, w, h, 3);
    if (!s) memcpy(g, tmp, n);
    break;
  case ENH_GAUSSIAN: s = glia_gaussian_blur_u8(g, g, w, h, 0, 1.0); break;
  case ENH_BILATERAL:
    s = glia_bilateral_u8(g, tmp, w, h, 5, 50, 50);
    if (!s) memcpy(g, tmp, n);
    break;
  case ENH_CLAHE: s = glia_clahe_u8(g, g, w, h, &co); break;
  case ENH_EQUALIZE: s = glia_equalize_hist_u8(g, g, w, h); break;
  case ENH_MUSICA: s = glia_musica_u8(g, g, w, h, NULL); break;
  case ENH_GAMMA: s = glia_gamma_u8(g, g, w, h, 0.8); break;
  case ENH_SHARPEN:
    s = glia_unsharp_u8(g, tmp, w, h, 1.0, 1.0);
    if (!s) memcpy(g, tmp, n);
    break;
  case ENH_MINMAX: {
    int lo = 255, hi = 0;
    for (size_t i = 0; i < n; i++)
      if (!mask || mask[i]) lo = g[i] < lo ? g[i] : lo, hi = g[i] > hi ? g[i] : hi;
    for (size_t i = 0; hi > lo && i < n; i++) {
      int v = g[i] < lo ? lo : g[i] > hi ? hi : g[i];
      g[i] = (uint8_t)((v - lo) * 255 / (hi - lo));
    }
    break;
  }
  case ENH_SOBEL:
  case ENH_SCHARR:
    s = glia_gradient_magnitude_u8(g, tmp, w, h, step == ENH_SCHARR,
                                   step == ENH_SCHARR ? 1.0 / 16 : 0.25);
    if (!s) memcpy(g, tmp, n);
    break;
  case ENH_CANNY:
    s = glia_canny_u8(g, tmp, w, h, 50, 150);
    if (!s) memcpy(g, tmp, n);
    break;
  case ENH_LOG:
  case ENH_ENTROPY: {
    float *f = calloc(n, sizeof(float)), *o = calloc(n, sizeof(float));
    if (!f || !o)
      s = glia_error(GLIA_ERR_NOMEM, "enhance: out of memory");
    else if (step == ENH_LOG) {
      for (size_t i = 0; i < n; i++) f[i] = g[i];
      s = glia_log_f32(f, o, w, h, 2.0);
      for (size_t i = 0; !s && i < n; i++) {
        float v = 4 * (o[i] < 0 ? -o[i] : o[i]);
        g[i] = (uint8_t)(v > 255 ? 255 : v + 0.5f);
      }
    } else {
      s = glia_entropy_u8(g, o, w, h, 5);
      for (size_t i = 0; !s && i < n; i++) {
        float v = 32 * o[i];
        g[i] = (uint8_t)(v > 255 ? 255 : v + 0.5f);
      }
    }
    free(f);
    free(o);
    break;
  }
  default: s = glia_error(GLIA_ERR_ARGUMENT, "enhance: unknown step %d", step);
  }
  free(tmp);
  return s;
}
