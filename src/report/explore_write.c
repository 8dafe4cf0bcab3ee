/* explore.json and cdf.csv writers. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "glia/explore.h"
#include "glia/file.h"

static double round_to(double v, double q) { return round(v / q) * q; }

static cJSON *image_json(const glia_explore_image *im, const glia_outlier_opts *oo) {
  cJSON *o = cJSON_CreateObject();
  if (!o) return NULL;
  cJSON_AddStringToObject(o, "file", im->entry->name);
  cJSON_AddStringToObject(o, "class", im->entry->label);
  if (im->entry->patient[0]) cJSON_AddStringToObject(o, "patient", im->entry->patient);
  if (im->entry->mask_path) cJSON_AddStringToObject(o, "mask", im->entry->mask_path);
  cJSON_AddNumberToObject(o, "width", im->info.width);
  cJSON_AddNumberToObject(o, "height", im->info.height);
  cJSON_AddNumberToObject(o, "channels", im->info.channels);
  cJSON_AddStringToObject(o, "format", glia_format_name(im->info.format));
  cJSON_AddStringToObject(o, "stored_as", im->info.color);
  cJSON_AddNumberToObject(o, "bit_depth", im->info.bit_depth);
  cJSON_AddBoolToObject(o, "progressive", im->info.progressive);
  cJSON_AddStringToObject(o, "sha256", im->sha256);
  char ph[17];
  snprintf(ph, sizeof ph, "%016llx", (unsigned long long)im->phash);
  cJSON_AddStringToObject(o, "phash", ph);
  cJSON_AddNumberToObject(o, "mean", round_to(im->mean, 1e-6));
  cJSON_AddNumberToObject(o, "std", round_to(im->std, 1e-6));
  int colour = (im->outliers >> GLIA_OUTLIER_COLOUR) & 1;
  cJSON_AddStringToObject(o, "content", colour ? "colour" : "gray");
  cJSON *out = cJSON_AddArrayToObject(o, "outliers");
  for (int k = 0; k < GLIA_OUTLIER_COUNT; k++)
    if (im->outliers & (1u << k))
      cJSON_AddItemToArray(out, cJSON_CreateString(glia_outlier_name(k)));
  cJSON *sc = cJSON_AddObjectToObject(o, "scores");
  const glia_outlier_scores *s = &im->scores;
  cJSON_AddNumberToObject(sc, "corner_median", s->corner_median);
  cJSON_AddNumberToObject(sc, "frame", s->frame);
  cJSON_AddNumberToObject(sc, "frame_sides", s->frame_sides);
  cJSON_AddNumberToObject(sc, "corner_marks", round_to(s->corner_marks, 1e-3));
  cJSON_AddNumberToObject(sc, "contrast", s->contrast);
  cJSON_AddNumberToObject(sc, "short_side", s->short_side);
  cJSON_AddNumberToObject(sc, "mean_chroma", round_to(s->mean_chroma, 1e-3));
  cJSON_AddNumberToObject(sc, "chroma_px", s->chroma_px);
  (void)oo;
  if (im->group >= 0) cJSON_AddNumberToObject(o, "duplicate_group", im->group);
  return o;
}

static cJSON *thresholds_json(const glia_outlier_opts *o) {
  cJSON *t = cJSON_CreateObject();
  for (int k = 0; k < GLIA_OUTLIER_COUNT; k++)
    cJSON_AddNumberToObject(t, glia_outlier_name(k), glia_outlier_threshold(o, k));
  cJSON_AddNumberToObject(t, "colour_px", o->colour_px);
  return t;
}

static cJSON *explore_json(const glia_explore *ex) {
  const glia_dataset *ds = ex->dataset;
  cJSON *root = cJSON_CreateObject();
  if (!root) return NULL;
  cJSON_AddStringToObject(root, "glia_version", glia_version());
  cJSON_AddStringToObject(root, "root", ds->root);
  cJSON_AddStringToObject(root, "layout", glia_layout_name(ds->layout));
  /* Class counts over the images that decoded. */
  cJSON *classes = cJSON_AddObjectToObject(root, "classes");
  size_t lo = 0, hi = 0;
  for (int c = 0; c < ds->n_classes; c++) {
    size_t count = 0;
    for (size_t i = 0; i < ex->n_images; i++)
      count += ex->images[i].ok && ex->images[i].entry->class_id == c;
    cJSON_AddNumberToObject(classes, ds->classes[c], (double)count);
    if (c == 0 || count < lo) lo = count;
    if (c == 0 || count > hi) hi = count;
  }
  cJSON_AddNumberToObject(root, "n_images", (double)ex->n_ok);
  cJSON_AddNumberToObject(root, "n_bad", (double)glia_explore_n_bad(ex));
  if (ds->n_classes >= 2 && lo > 0)
    cJSON_AddNumberToObject(root, "imbalance_ratio", round_to((double)hi / (double)lo, 1e-6));
  else
    cJSON_AddNullToObject(root, "imbalance_ratio");
  cJSON_AddItemToObject(root, "outlier_thresholds", thresholds_json(&ex->opts.outliers));
  cJSON *images = cJSON_AddArrayToObject(root, "images");
  for (size_t i = 0; i < ex->n_images; i++)
    if (ex->images[i].ok)
      cJSON_AddItemToArray(images, image_json(&ex->images[i], &ex->opts.outliers));
  cJSON *groups = cJSON_AddArrayToObject(root, "duplicate_groups");
  for (size_t g = 0; g < ex->n_groups; g++) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "kind", ex->groups[g].kind == GLIA_DUP_EXACT ? "exact" : "near");
    cJSON *files = cJSON_AddArrayToObject(o, "files");
    cJSON *cls = cJSON_AddArrayToObject(o, "classes");
    for (size_t k = 0; k < ex->groups[g].n; k++) {
      const glia_entry *e = ex->images[ex->groups[g].members[k]].entry;
      cJSON_AddItemToArray(files, cJSON_CreateString(e->name));
      int seen = 0;
      for (int j = 0; j < cJSON_GetArraySize(cls); j++)
        seen |= !strcmp(cJSON_GetArrayItem(cls, j)->valuestring, e->label);
      if (!seen) cJSON_AddItemToArray(cls, cJSON_CreateString(e->label));
    }
    cJSON_AddBoolToObject(o, "crosses_classes", cJSON_GetArraySize(cls) > 1);
    cJSON_AddItemToArray(groups, o);
  }
  cJSON *bad = cJSON_AddArrayToObject(root, "bad_files");
  for (size_t i = 0; i < ds->n_bad; i++) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "file", ds->bad[i].file);
    cJSON_AddStringToObject(o, "error", ds->bad[i].error);
    cJSON_AddItemToArray(bad, o);
  }
  for (size_t i = 0; i < ex->n_images; i++) {
    if (ex->images[i].ok) continue;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "file", ex->images[i].entry->name);
    cJSON_AddStringToObject(o, "error", ex->images[i].error ? ex->images[i].error : "unknown");
    cJSON_AddItemToArray(bad, o);
  }
  return root;
}

glia_status glia_explore_write_json(const glia_explore *ex, const char *path) {
  cJSON *root = explore_json(ex);
  char *text = root ? cJSON_Print(root) : NULL;
  cJSON_Delete(root);
  if (!text) return glia_error(GLIA_ERR_NOMEM, "%s: out of memory building JSON", path);
  size_t n = strlen(text);
  text[n] = '\n'; /* replace the NUL: the file ends with a newline */
  glia_status s = glia_file_write(path, text, n + 1);
  cJSON_free(text);
  return s;
}

/* A CSV field, quoted when it holds a comma, quote or newline. */
static void csv_field(FILE *f, const char *s) {
  if (!strpbrk(s, ",\"\n\r")) {
    fputs(s, f);
    return;
  }
  fputc('"', f);
  for (; *s; s++) {
    if (*s == '"') fputc('"', f);
    fputc(*s, f);
  }
  fputc('"', f);
}

glia_status glia_explore_write_cdf_csv(const glia_explore *ex, const char *path) {
  static const char *names[2][3] = {{"gray", "", ""}, {"r", "g", "b"}};
  glia_atomic_file af;
  glia_status s = glia_atomic_open(path, &af);
  if (s) return s;
  fputs("file,class,channel", af.fp);
  for (int v = 0; v < 256; v++) fprintf(af.fp, ",c%d", v);
  fputc('\n', af.fp);
  for (size_t i = 0; i < ex->n_images; i++) {
    const glia_explore_image *im = &ex->images[i];
    if (!im->ok) continue;
    for (int c = 0; c < im->hist_channels; c++) {
      double cdf[256];
      glia_hist_cdf(im->hist[c], cdf);
      csv_field(af.fp, im->entry->name);
      fputc(',', af.fp);
      csv_field(af.fp, im->entry->label);
      fprintf(af.fp, ",%s", names[im->hist_channels == 3][c]);
      for (int v = 0; v < 256; v++) fprintf(af.fp, ",%.6g", cdf[v]);
      fputc('\n', af.fp);
    }
  }
  return glia_atomic_commit(&af);
}
