/* glia explore: per-image measurements in parallel, then duplicate groups. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "glia/explore.h"
#include "glia/file.h"
#include "glia/hash.h"

void glia_hist_cdf(const uint32_t hist[256], double cdf[256]) {
  double total = 0, acc = 0;
  for (int v = 0; v < 256; v++) total += hist[v];
  for (int v = 0; v < 256; v++) {
    acc += hist[v];
    cdf[v] = total > 0 ? acc / total : 0.0;
  }
}

/* Thumbnail fitted in a box×box square, keeping the aspect ratio (1 or 3 channels). */
static glia_image_u8 *make_thumb(const glia_image_u8 *img, int channels, int box) {
  int w = img->width, h = img->height;
  double scale = (double)box / (w > h ? w : h);
  if (scale > 1) scale = 1;
  int tw = (int)lround(w * scale), th = (int)lround(h * scale);
  if (tw < 1) tw = 1;
  if (th < 1) th = 1;
  glia_image_u8 *t = glia_image_u8_new(tw, th, channels);
  glia_image_u8 *plane = glia_image_u8_new(w, h, 1);
  float *tmp = glia_malloc(sizeof(float) * (size_t)tw * th);
  if (!t || !plane || !tmp) goto fail;
  for (int c = 0; c < channels; c++) {
    size_t n = (size_t)w * h;
    for (size_t i = 0; i < n; i++) plane->data[i] = img->data[i * img->channels + c];
    if (glia_resize_area_gray(plane, 0, 0, w, h, tmp, tw, th)) goto fail;
    for (size_t i = 0; i < (size_t)tw * th; i++)
      t->data[i * channels + c] = (uint8_t)lrintf(fminf(fmaxf(tmp[i], 0.f), 255.f));
  }
  glia_image_u8_free(plane);
  glia_free(tmp);
  return t;
fail:
  glia_image_u8_free(t);
  glia_image_u8_free(plane);
  glia_free(tmp);
  return NULL;
}

/* Measures one image; on failure records the error in `im`. */
static void measure(const glia_explore_opts *o, glia_explore_image *im, glia_fingerprint *fp) {
  const char *path = im->entry->path;
  unsigned char *bytes = NULL;
  size_t size = 0;
  glia_image_u8 *img = NULL, *gray = NULL;
  glia_status s = glia_file_read(path, 0, &bytes, &size);
  if (s) goto fail;
  if ((s = glia_sha256(bytes, size, im->digest))) goto fail;
  glia_hex(im->digest, 32, im->sha256);
  if ((s = glia_image_decode_u8(bytes, size, path, &o->load, &img, &im->info))) goto fail;
  glia_free(bytes);
  bytes = NULL;
  if (img->width < o->min_side_px || img->height < o->min_side_px) {
    s = glia_error(GLIA_ERR_TOO_SMALL, "%s: %d×%d pixels is below the minimum of %d×%d", path,
                   img->width, img->height, o->min_side_px, o->min_side_px);
    goto fail;
  }
  if (!(gray = glia_u8_to_gray(img))) {
    s = glia_error(GLIA_ERR_NOMEM, "%s: out of memory", path);
    goto fail;
  }
  /* Histograms of the colour channels (alpha excluded), gray mean and std. */
  size_t n = (size_t)img->width * img->height;
  im->hist_channels = img->channels >= 3 ? 3 : 1;
  for (size_t i = 0; i < n; i++)
    for (int c = 0; c < im->hist_channels; c++) im->hist[c][img->data[i * img->channels + c]]++;
  uint32_t *gh = im->gray_hist;
  for (size_t i = 0; i < n; i++) gh[gray->data[i]]++;
  double sum = 0, ss = 0;
  for (int v = 0; v < 256; v++) sum += (double)gh[v] * v;
  double mean = sum / (double)n;
  for (int v = 0; v < 256; v++) ss += (double)gh[v] * (v - mean) * (v - mean);
  im->mean = mean / 255.0;
  im->std = sqrt(ss / (double)n) / 255.0;
  if ((s = glia_outlier_measure(img, gray, &im->scores))) goto fail;
  im->outliers = glia_outlier_flags(&im->scores, &o->outliers);
  if (fp) {
    if ((s = glia_fingerprint_compute(gray, fp))) goto fail;
    im->phash = fp->phash;
  }
  if (o->thumb_px > 0 && !(im->thumb = make_thumb(img, im->hist_channels, o->thumb_px))) {
    s = glia_error(GLIA_ERR_NOMEM, "%s: out of memory", path);
    goto fail;
  }
  im->ok = 1;
  glia_image_u8_free(img);
  glia_image_u8_free(gray);
  return;
fail:
  im->ok = 0;
  im->error = glia_strdup(glia_last_error()[0] ? glia_last_error() : glia_status_str(s));
  glia_free(bytes);
  glia_image_u8_free(img);
  glia_image_u8_free(gray);
}

glia_status glia_explore_run(const char *path, const glia_explore_opts *opts, glia_explore **out) {
  glia_explore_opts defaults = GLIA_EXPLORE_DEFAULTS;
  if (!opts) opts = &defaults;
  *out = NULL;
  glia_dataset *ds = NULL;
  glia_status s = glia_dataset_scan(path, NULL, &ds);
  if (s && !(s == GLIA_ERR_EMPTY && ds)) return s;
  glia_status scan_status = s;
  glia_explore *ex = glia_calloc(1, sizeof *ex);
  if (!ex) {
    glia_dataset_free(ds);
    return glia_error(GLIA_ERR_NOMEM, "out of memory");
  }
  ex->dataset = ds;
  ex->opts = *opts;
  ex->n_images = ds->n_entries;
  ex->images = glia_calloc(ds->n_entries, sizeof *ex->images);
  glia_fingerprint *fps =
      opts->near_duplicates ? glia_malloc(sizeof *fps * (ds->n_entries ? ds->n_entries : 1)) : NULL;
  if (!ex->images || (opts->near_duplicates && !fps)) {
    glia_free(fps);
    glia_explore_free(ex);
    return glia_error(GLIA_ERR_NOMEM, "%s: out of memory for %zu images", path, ds->n_entries);
  }
  for (size_t i = 0; i < ds->n_entries; i++) {
    ex->images[i].entry = &ds->entries[i];
    ex->images[i].group = -1;
  }
  size_t done = 0, n = ds->n_entries;
#pragma omp parallel for schedule(dynamic, 1)
  for (size_t i = 0; i < n; i++) {
    measure(opts, &ex->images[i], fps ? &fps[i] : NULL);
    if (opts->progress) {
#pragma omp critical(glia_explore_progress)
      opts->progress(opts->user, ++done, n);
    }
  }
  /* Duplicates among the images that decoded (exact ones need only the bytes, but a file
   * that does not decode is reported as bad, not grouped). */
  size_t *ok = glia_malloc(sizeof(size_t) * (n ? n : 1));
  uint8_t(*sha)[32] = glia_malloc(32 * (n ? n : 1));
  glia_fingerprint *okfp = fps ? glia_malloc(sizeof *okfp * (n ? n : 1)) : NULL;
  if (!ok || !sha || (fps && !okfp)) {
    s = glia_error(GLIA_ERR_NOMEM, "out of memory");
    goto done;
  }
  size_t m = 0;
  for (size_t i = 0; i < n; i++) {
    if (!ex->images[i].ok) continue;
    memcpy(sha[m], ex->images[i].digest, 32);
    if (fps) okfp[m] = fps[i];
    ok[m++] = i;
  }
  ex->n_ok = m;
  s = glia_duplicates_group(m, (const uint8_t(*)[32])sha, okfp, &opts->duplicates, &ex->groups,
                            &ex->n_groups);
  if (!s)
    for (size_t g = 0; g < ex->n_groups; g++) {
      for (size_t k = 0; k < ex->groups[g].n; k++) {
        size_t idx = ok[ex->groups[g].members[k]];
        ex->groups[g].members[k] = idx;
        /* an image's group: its near group when it has one, else its exact group */
        if (ex->images[idx].group < 0 || ex->groups[g].kind == GLIA_DUP_NEAR)
          ex->images[idx].group = (int)g;
      }
    }
done:
  glia_free(ok);
  glia_free(sha);
  glia_free(okfp);
  glia_free(fps);
  if (s) {
    glia_explore_free(ex);
    return s;
  }
  *out = ex;
  return scan_status == GLIA_ERR_EMPTY
             ? glia_error(GLIA_ERR_EMPTY, "%s: no image files found", path)
             : GLIA_OK;
}

size_t glia_explore_n_bad(const glia_explore *ex) {
  size_t bad = ex->dataset->n_bad;
  for (size_t i = 0; i < ex->n_images; i++) bad += !ex->images[i].ok;
  return bad;
}

void glia_explore_free(glia_explore *ex) {
  if (!ex) return;
  for (size_t i = 0; ex->images && i < ex->n_images; i++) {
    glia_free(ex->images[i].error);
    glia_image_u8_free(ex->images[i].thumb);
  }
  glia_free(ex->images);
  glia_dup_groups_free(ex->groups, ex->n_groups);
  glia_dataset_free(ex->dataset);
  glia_free(ex);
}
