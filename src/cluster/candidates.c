/* Tumor candidates: connected components of one intensity cluster inside the brain, scored by
 * size, compactness and left-right asymmetry (docs/cluster.md). The brain is the head mask
 * (Otsu, largest component, holes filled) eroded by a margin that removes the skull ring. */
#include <math.h>
#include <string.h>

#include "cluster/internal.h"
#include "glia/morph.h"

typedef struct comp_acc {
  size_t area, edges, unmirrored;
  double sx, sy;
  int x0, y0, x1, y1;
} comp_acc;

static int cand_cmp(const glia_candidate *a, const glia_candidate *b) {
  if (a->score != b->score) return a->score > b->score ? -1 : 1;
  if (a->area != b->area) return a->area > b->area ? -1 : 1;
  return 0;
}

/* Head midline (centroid column) and brain mask; returns the brain's pixel count. */
static glia_status brain_mask(const glia_image_u8 *gray, double margin, uint8_t *brain,
                              double *midline, size_t *brain_area) {
  int w = gray->width, h = gray->height;
  glia_status s = glia__head_mask(gray->data, w, h, brain);
  if (s) return s;
  size_t n = (size_t)w * h, area = 0;
  double sx = 0;
  for (size_t i = 0; i < n; i++)
    if (brain[i]) area++, sx += (double)(i % (size_t)w);
  *midline = area ? sx / area : 0.5 * (w - 1);
  int r = (int)lround(margin * sqrt(area / M_PI));
  s = glia__erode(brain, w, h, r);
  if (s) return s;
  area = 0;
  for (size_t i = 0; i < n; i++) area += brain[i];
  *brain_area = area;
  return GLIA_OK;
}

static void accumulate(const int32_t *lab, const int32_t *labels, int cluster, int w, int h,
                       double midline, comp_acc *acc) {
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      size_t i = (size_t)y * w + x;
      int c = lab[i];
      if (!c) continue;
      comp_acc *a = &acc[c];
      if (!a->area) a->x0 = a->x1 = x, a->y0 = a->y1 = y;
      a->area++;
      a->sx += x, a->sy += y;
      if (x < a->x0) a->x0 = x;
      if (x > a->x1) a->x1 = x;
      if (y < a->y0) a->y0 = y;
      if (y > a->y1) a->y1 = y;
      a->edges += (x == 0 || lab[i - 1] != c) + (x == w - 1 || lab[i + 1] != c) +
                  (y == 0 || lab[i - w] != c) + (y == h - 1 || lab[i + w] != c);
      long mx = lround(2 * midline - x);
      a->unmirrored += mx < 0 || mx >= w || labels[(size_t)y * w + (size_t)mx] != cluster;
    }
}

glia_status glia_tumor_candidates(const glia_image_u8 *gray, const int32_t *labels,
                                  const glia_candidate_opts *opts, glia_candidate **cands,
                                  int *ncands, int32_t *cand_map) {
  glia_candidate_opts o = GLIA_CANDIDATE_DEFAULTS;
  if (opts) o = *opts;
  if (!gray || !labels || !cands || !ncands || gray->channels != 1)
    return glia_error(GLIA_ERR_ARGUMENT,
                      "tumor candidates: expected a 1-channel grey image and labels");
  if (!(o.brain_margin >= 0 && o.brain_margin < 1) ||
      !(o.min_area_frac >= 0 && o.min_area_frac < 1))
    return glia_error(GLIA_ERR_ARGUMENT,
                      "tumor candidates: brain_margin %g, min_area_frac %g (expected [0,1))",
                      o.brain_margin, o.min_area_frac);
  *cands = NULL;
  *ncands = 0;
  int w = gray->width, h = gray->height;
  size_t n = (size_t)w * h;
  int cluster = o.cluster;
  if (cluster < 0)
    for (size_t i = 0; i < n; i++)
      if (labels[i] > cluster) cluster = labels[i];
  uint8_t *brain = glia_malloc(n ? n : 1);
  int32_t *lab = glia_malloc(sizeof(int32_t) * (n ? n : 1));
  comp_acc *acc = NULL;
  glia_status s = GLIA_OK;
  if (!brain || !lab) {
    s = glia_error(GLIA_ERR_NOMEM, "tumor candidates: out of memory");
    goto done;
  }
  double midline;
  size_t barea;
  if ((s = brain_mask(gray, o.brain_margin, brain, &midline, &barea))) goto done;
  for (size_t i = 0; i < n; i++) brain[i] = brain[i] && cluster >= 0 && labels[i] == cluster;
  int32_t count = 0;
  if ((s = glia_label(brain, w, h, 8, lab, NULL, &count))) goto done;
  if (!(acc = glia_calloc((size_t)count + 1, sizeof *acc)) ||
      !(*cands = glia_malloc(sizeof(glia_candidate) * ((size_t)count + 1)))) {
    s = glia_error(GLIA_ERR_NOMEM, "tumor candidates: out of memory");
    goto done;
  }
  accumulate(lab, labels, cluster, w, h, midline, acc);
  double min_area = o.min_area_frac * barea;
  int nc = 0;
  for (int c = 1; c <= count; c++) {
    comp_acc *a = &acc[c];
    if (a->area < 1 || (double)a->area < min_area) continue;
    glia_candidate *g = &(*cands)[nc++];
    g->area = a->area;
    g->x0 = a->x0, g->y0 = a->y0, g->x1 = a->x1, g->y1 = a->y1;
    g->cx = a->sx / a->area, g->cy = a->sy / a->area;
    g->size = a->area / (a->area + 0.01 * barea);
    double perim = a->edges * M_PI / 4; /* Crofton-style: a digital disc's edges × π/4 ≈ 2πr */
    g->compactness = fmin(1.0, 4 * M_PI * a->area / (perim * perim));
    g->asymmetry = (double)a->unmirrored / a->area;
    g->score = g->size * g->compactness * g->asymmetry;
  }
  /* sort candidates, carrying their component labels in a small parallel array */
  int *comp = glia_malloc(sizeof(int) * (size_t)(nc ? nc : 1));
  if (!comp) {
    s = glia_error(GLIA_ERR_NOMEM, "tumor candidates: out of memory");
    goto done;
  }
  for (int c = 1, j = 0; c <= count; c++)
    if (acc[c].area >= 1 && (double)acc[c].area >= min_area) comp[j++] = c;
  for (int a = 1; a < nc; a++)
    for (int b = a; b > 0 && cand_cmp(&(*cands)[b], &(*cands)[b - 1]) < 0; b--) {
      glia_candidate t = (*cands)[b];
      (*cands)[b] = (*cands)[b - 1];
      (*cands)[b - 1] = t;
      int tc = comp[b];
      comp[b] = comp[b - 1];
      comp[b - 1] = tc;
    }
  if (cand_map) {
    int *to_rank = (int *)acc; /* reuse: acc no longer needed past this point */
    memset(to_rank, 0, sizeof(int) * ((size_t)count + 1));
    for (int r = 0; r < nc; r++) to_rank[comp[r]] = r + 1;
    for (size_t i = 0; i < n; i++) cand_map[i] = lab[i] ? to_rank[lab[i]] : 0;
  }
  glia_free(comp);
  *ncands = nc;
done:
  if (s) {
    glia_free(*cands);
    *cands = NULL;
  }
  glia_free(brain);
  glia_free(lab);
  glia_free(acc);
  return s;
}
