/* glia cluster: k-means intensity clusters of one image or a folder of images — metric curves
 * over a range of k, the chosen k, label maps, colourised masks, overlays and tumor
 * candidates (docs/cluster.md). */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/image_cmds.h"

#define CMD "cluster"

typedef struct cluster_args {
  const char *input, *out, *mask_file;
  glia_cluster_opts opts;
  int plots;
  cli_common common;
} cluster_args;

typedef struct image_job {
  char *path, *rel, *stem;
  int ok, best_k, nk;
  glia_cluster_metrics *metrics;
  char *error;
  cJSON *candidates; /* this image's entry of candidates.json */
} image_job;

static void usage(FILE *f) {
  fprintf(f,
          "Usage: glia cluster IMG|DIR -o OUT [options]\n\n"
          "K-means intensity clusters: metric curves for k = kmin..kmax (WCSS, BCSS, exact\n"
          "silhouette, Calinski-Harabasz, Davies-Bouldin), the chosen k, label maps, colourised\n"
          "masks, overlays and tumor candidates. A folder is searched recursively for\n"
          ".jpg/.jpeg/.png/.tif/.tiff files.\n\n"
          "Options:\n"
          "  -o, --out OUT            output folder (created)\n"
          "  --k auto|N               k of the label maps (default auto: docs/cluster.md)\n"
          "  --kmin N, --kmax N       sweep range (default 2..20, at most 256)\n"
          "  --features gray|rgb|gray+xy  what is clustered (default gray: exact 1-D k-means)\n"
          "  --black-threshold T      grey levels below T (0..255) join the darkest cluster\n"
          "  --mask FILE|head         cluster only inside a mask image (nonzero) or the head\n"
          "  --seed N                 seed of the multi-feature k-means++ (default 0)\n"
          "  --no-plots               skip the metric-curve PNGs\n"
          "  --threads N, --quiet, -h/--help\n\n"
          "Writes OUT/kmeans.json, OUT/candidates.json, OUT/plots/*.png, OUT/labels/*.png\n"
          "(value = cluster rank by intensity, 255 outside the mask), OUT/masks/*.png (colours),\n"
          "OUT/overlays/*.png and OUT/candidates/*.png (best candidate), each named after the\n"
          "image (yes/Y1.jpg -> yes__Y1.jpg.png); bad files are listed on\n"
          "stderr and in OUT/bad_files.csv.\n");
}

enum { O_K = 2000, O_KMIN, O_KMAX, O_FEAT, O_BLACK, O_MASK, O_SEED, O_NOPLOTS };

/* --features and --black-threshold; returns 0 or CLI_USAGE (message printed). */
static int parse_value(int opt, const char *arg, cluster_args *a) {
  if (opt == O_FEAT) {
    if (!strcmp(arg, "gray"))
      a->opts.features = GLIA_FEATURES_GRAY;
    else if (!strcmp(arg, "rgb"))
      a->opts.features = GLIA_FEATURES_RGB;
    else if (!strcmp(arg, "gray+xy"))
      a->opts.features = GLIA_FEATURES_GRAY_XY;
    else
      return cli_usage_error(CMD, "--features: '%s' is not gray, rgb or gray+xy", arg);
    return 0;
  }
  char *end;
  double t = strtod(arg, &end);
  if (end == arg || *end || !(t >= 0 && t <= 255))
    return cli_usage_error(CMD, "--black-threshold: '%s' is not a number in 0..255", arg);
  a->opts.black_threshold = t;
  return 0;
}

static int parse_args(int argc, char **argv, cluster_args *a) {
  static const struct option longs[] = {{"out", required_argument, NULL, 'o'},
                                        {"k", required_argument, NULL, O_K},
                                        {"kmin", required_argument, NULL, O_KMIN},
                                        {"kmax", required_argument, NULL, O_KMAX},
                                        {"features", required_argument, NULL, O_FEAT},
                                        {"black-threshold", required_argument, NULL, O_BLACK},
                                        {"mask", required_argument, NULL, O_MASK},
                                        {"seed", required_argument, NULL, O_SEED},
                                        {"no-plots", no_argument, NULL, O_NOPLOTS},
                                        CLI_COMMON_LONG_OPTIONS,
                                        {NULL, 0, NULL, 0}};
  glia_cluster_opts d = GLIA_CLUSTER_DEFAULTS;
  a->opts = d;
  a->plots = 1;
  int opt;
  long v;
  optind = 1;
  while ((opt = getopt_long(argc, argv, "o:h", longs, NULL)) != -1) {
    int c = cli_common_option(opt, optarg, &a->common, CMD);
    if (c < 0) return CLI_USAGE;
    if (c > 0) continue;
    switch (opt) {
    case 'o': a->out = optarg; break;
    case 'h': usage(stdout); return -1;
    case O_K:
      if (!strcmp(optarg, "auto"))
        a->opts.k = 0;
      else if (cli_parse_long(CMD, "k", optarg, 1, 256, &v))
        return CLI_USAGE;
      else
        a->opts.k = (int)v;
      break;
    case O_KMIN:
      if (cli_parse_long(CMD, "kmin", optarg, 1, 256, &v)) return CLI_USAGE;
      a->opts.kmin = (int)v;
      break;
    case O_KMAX:
      if (cli_parse_long(CMD, "kmax", optarg, 1, 256, &v)) return CLI_USAGE;
      a->opts.kmax = (int)v;
      break;
    case O_FEAT:
    case O_BLACK:
      if (parse_value(opt, optarg, a)) return CLI_USAGE;
      break;
    case O_MASK:
      if (!strcmp(optarg, "head"))
        a->opts.head_mask = 1;
      else
        a->mask_file = optarg;
      break;
    case O_SEED:
      if (cli_parse_long(CMD, "seed", optarg, 0, 2147483647L, &v)) return CLI_USAGE;
      a->opts.kmeans.seed = (uint64_t)v;
      break;
    case O_NOPLOTS: a->plots = 0; break;
    default: return cli_usage_error(CMD, "unknown option");
    }
  }
  if (optind != argc - 1) return cli_usage_error(CMD, "expected one IMG or DIR");
  a->input = argv[optind];
  if (!a->out) return cli_usage_error(CMD, "-o OUT is required");
  if (a->opts.kmin > a->opts.kmax)
    return cli_usage_error(CMD, "--kmin %d is above --kmax %d", a->opts.kmin, a->opts.kmax);
  if (a->opts.black_threshold > 0 && a->opts.features != GLIA_FEATURES_GRAY)
    return cli_usage_error(CMD, "--black-threshold works with --features gray only");
  return 0;
}

/* ---- one image ------------------------------------------------------------------------- */

/* "yes/Y1.jpg" → "yes__Y1.jpg": the base name of the per-image outputs (the extension stays,
 * so Y92.jpg and Y92.png do not collide). */
static char *stem_of(const char *rel) {
  char *s = malloc(2 * strlen(rel) + 1), *o = s;
  if (!s) return NULL;
  for (const char *p = rel; *p; p++) {
    if (*p == '/')
      *o++ = '_', *o++ = '_';
    else
      *o++ = *p;
  }
  *o = 0;
  return s;
}

static glia_status load_mask(const char *file, int w, int h, uint8_t **mask) {
  glia_image_u8 *m;
  glia_status s = glia_image_load_u8(file, NULL, &m, NULL);
  if (s) return s;
  if (m->width != w || m->height != h) {
    s = glia_error(GLIA_ERR_ARGUMENT, "%s: mask is %d×%d, the image %d×%d", file, m->width,
                   m->height, w, h);
    glia_image_u8_free(m);
    return s;
  }
  *mask = glia_malloc((size_t)w * h);
  if (!*mask) {
    glia_image_u8_free(m);
    return glia_error(GLIA_ERR_NOMEM, "%s: out of memory", file);
  }
  for (size_t i = 0; i < (size_t)w * h; i++) (*mask)[i] = m->data[i * m->channels] != 0;
  glia_image_u8_free(m);
  return GLIA_OK;
}

static cJSON *candidates_json(const image_job *j, int k, const glia_candidate *c, int nc) {
  cJSON *o = cJSON_CreateObject(), *arr = cJSON_CreateArray();
  cJSON_AddStringToObject(o, "file", j->rel);
  cJSON_AddNumberToObject(o, "clusters", k);
  cJSON_AddNumberToObject(o, "cluster", k - 1); /* the brightest */
  for (int i = 0; i < nc; i++) {
    cJSON *e = cJSON_CreateObject();
    cJSON_AddNumberToObject(e, "area", (double)c[i].area);
    const int bb[4] = {c[i].x0, c[i].y0, c[i].x1, c[i].y1};
    cJSON_AddItemToObject(e, "bbox", cJSON_CreateIntArray(bb, 4));
    const double cen[2] = {c[i].cx, c[i].cy};
    cJSON_AddItemToObject(e, "centroid", cJSON_CreateDoubleArray(cen, 2));
    cJSON_AddNumberToObject(e, "size", c[i].size);
    cJSON_AddNumberToObject(e, "compactness", c[i].compactness);
    cJSON_AddNumberToObject(e, "asymmetry", c[i].asymmetry);
    cJSON_AddNumberToObject(e, "score", c[i].score);
    cJSON_AddItemToArray(arr, e);
  }
  cJSON_AddItemToObject(o, "candidates", arr);
  return o;
}

/* Writes OUT/<sub>/<stem>.png through `write`. */
static char *out_path(const char *out, const char *sub, const char *stem) {
  size_t n = strlen(out) + strlen(sub) + strlen(stem) + 8;
  char *p = malloc(n);
  if (p) snprintf(p, n, "%s/%s/%s.png", out, sub, stem);
  return p;
}

static glia_status write_maps(const cluster_args *a, image_job *j, const glia_cluster_result *r,
                              const glia_image_u8 *gray) {
  size_t n = (size_t)r->width * r->height;
  int32_t *png = malloc(sizeof(int32_t) * n), *cmap = malloc(sizeof(int32_t) * n);
  uint8_t *best = malloc(n ? n : 1);
  glia_image_u8 *col = NULL, *ov = NULL;
  glia_candidate *c = NULL;
  int nc = 0;
  char *pl = out_path(a->out, "labels", j->stem), *pm = out_path(a->out, "masks", j->stem);
  char *po = out_path(a->out, "overlays", j->stem), *pc = out_path(a->out, "candidates", j->stem);
  glia_status s = glia_error(GLIA_ERR_NOMEM, "%s: out of memory", j->path);
  if (!png || !cmap || !best || !pl || !pm || !po || !pc) goto done;
  for (size_t i = 0; i < n; i++) png[i] = r->labels[i] < 0 ? 255 : r->labels[i];
  if ((s = glia_labels_save_png(pl, png, r->width, r->height))) goto done;
  if ((s = glia_cluster_colorize(r->labels, r->width, r->height, &col))) goto done;
  if ((s = glia_image_u8_save_png(pm, col))) goto done;
  if ((s = glia_labels_overlay(gray, r->labels, 0.5, &ov))) goto done;
  if ((s = glia_image_u8_save_png(po, ov))) goto done;
  glia_candidate_opts co = GLIA_CANDIDATE_DEFAULTS;
  if ((s = glia_tumor_candidates(gray, r->labels, &co, &c, &nc, cmap))) goto done;
  for (size_t i = 0; i < n; i++) best[i] = cmap[i] == 1;
  if ((s = glia_mask_save_png(pc, best, r->width, r->height))) goto done;
  j->candidates = candidates_json(j, r->clusters, c, nc);
done:
  free(pl), free(pm), free(po), free(pc);
  free(png);
  free(cmap);
  free(best);
  glia_free(c);
  glia_image_u8_free(col);
  glia_image_u8_free(ov);
  return s;
}

static glia_status process(const cluster_args *a, image_job *j) {
  glia_image *img = NULL;
  glia_image_info info;
  glia_cluster_result *r = NULL;
  glia_image_u8 *gray = NULL;
  uint8_t *mask = NULL;
  uint16_t *q = NULL;
  glia_status s = glia_image_load(j->path, NULL, &img, &info);
  if (s) goto done;
  glia_cluster_opts o = a->opts;
  o.bits = info.bit_depth == 16 ? 16 : 8;
  if (a->mask_file && (s = load_mask(a->mask_file, img->width, img->height, &mask))) goto done;
  o.mask = mask;
  if ((s = glia_cluster_image(img, j->path, &o, &r))) goto done;
  j->nk = r->nk;
  j->best_k = r->k;
  j->metrics = malloc(sizeof(glia_cluster_metrics) * (size_t)r->nk);
  gray = glia_image_u8_new(img->width, img->height, 1);
  q = malloc(sizeof(uint16_t) * (size_t)img->width * img->height);
  if (!j->metrics || !gray || !q) {
    s = glia_error(GLIA_ERR_NOMEM, "%s: out of memory", j->path);
    goto done;
  }
  memcpy(j->metrics, r->metrics, sizeof(glia_cluster_metrics) * (size_t)r->nk);
  if ((s = glia_image_gray_levels(img, 8, q))) goto done;
  for (size_t i = 0; i < (size_t)img->width * img->height; i++) gray->data[i] = (uint8_t)q[i];
  s = write_maps(a, j, r, gray);
done:
  free(q);
  glia_free(mask);
  glia_image_u8_free(gray);
  glia_cluster_result_free(r);
  glia_image_free(img);
  j->ok = s == GLIA_OK;
  if (s) j->error = strdup(glia_last_error());
  return s;
}

/* ---- outputs over the set ---------------------------------------------------------------- */

static cJSON *metrics_json(const glia_cluster_metrics *m, int nk) {
  cJSON *arr = cJSON_CreateArray();
  for (int i = 0; i < nk; i++) {
    cJSON *e = cJSON_CreateObject();
    cJSON_AddNumberToObject(e, "k", m[i].k);
    cJSON_AddNumberToObject(e, "wcss", m[i].wcss);
    cJSON_AddNumberToObject(e, "bcss", m[i].bcss);
    if (m[i].defined) {
      cJSON_AddNumberToObject(e, "silhouette", m[i].silhouette);
      cJSON_AddNumberToObject(e, "calinski_harabasz", m[i].calinski_harabasz);
      cJSON_AddNumberToObject(e, "davies_bouldin", m[i].davies_bouldin);
    } else { /* fewer than 2 clusters: undefined, never NaN */
      cJSON_AddNullToObject(e, "silhouette");
      cJSON_AddNullToObject(e, "calinski_harabasz");
      cJSON_AddNullToObject(e, "davies_bouldin");
    }
    cJSON_AddItemToArray(arr, e);
  }
  return arr;
}

static int write_json(const char *out, const char *name, cJSON *root) {
  char *text = cJSON_Print(root), *path = glia_path_join(out, name);
  int rc = 0;
  if (!text || !path || glia_file_write(path, text, strlen(text))) {
    fprintf(stderr, "glia cluster: %s: %s\n", path ? path : name,
            text && path ? glia_last_error() : "out of memory");
    rc = -1;
  }
  free(text);
  glia_free(path);
  return rc;
}

static int write_outputs(const cluster_args *a, image_job *jobs, size_t n) {
  int nk = a->opts.kmax - a->opts.kmin + 1, rc = 0;
  const glia_cluster_metrics **curves = malloc(sizeof(const glia_cluster_metrics *) * (n ? n : 1));
  glia_cluster_metrics *mean = malloc(sizeof *mean * (size_t)nk);
  cJSON *root = cJSON_CreateObject(), *imgs = cJSON_AddArrayToObject(root, "images");
  cJSON *croot = cJSON_CreateObject(), *cimgs = cJSON_AddArrayToObject(croot, "images");
  if (!curves || !mean || !root || !croot) {
    fprintf(stderr, "glia cluster: out of memory\n");
    rc = -1;
    goto done;
  }
  int good = 0;
  for (size_t i = 0; i < n; i++) {
    if (!jobs[i].ok) continue;
    curves[good++] = jobs[i].metrics;
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "file", jobs[i].rel);
    cJSON_AddNumberToObject(e, "best_k", jobs[i].best_k);
    cJSON_AddItemToObject(e, "metrics", metrics_json(jobs[i].metrics, nk));
    cJSON_AddItemToArray(imgs, e);
    if (jobs[i].candidates) cJSON_AddItemToArray(cimgs, jobs[i].candidates);
    jobs[i].candidates = NULL;
  }
  glia_cluster_mean_curves(curves, good, nk, mean);
  int best = a->opts.k ? a->opts.k : glia_cluster_choose_k(mean, nk).best;
  cJSON_AddItemToObject(root, "mean_metrics", metrics_json(mean, nk));
  cJSON_AddNumberToObject(root, "best_k", best);
  rc |= write_json(a->out, "kmeans.json", root);
  rc |= write_json(a->out, "candidates.json", croot);
  if (a->plots) {
    for (size_t i = 0; i < n; i++) {
      if (!jobs[i].ok) continue;
      char *p = out_path(a->out, "plots", jobs[i].stem);
      if (!p || glia_cluster_metrics_plot(p, jobs[i].rel, jobs[i].metrics, nk, jobs[i].best_k))
        fprintf(stderr, "glia cluster: %s: could not write the plot\n", p ? p : jobs[i].stem),
            rc = -1;
      free(p);
    }
    char *p = out_path(a->out, "plots", "mean");
    char title[64];
    snprintf(title, sizeof title, "mean over %d images", good);
    if (good && (!p || glia_cluster_metrics_plot(p, title, mean, nk, best)))
      fprintf(stderr, "glia cluster: %s: could not write the plot\n", p ? p : "mean"), rc = -1;
    free(p);
  }
done:
  free(curves);
  free(mean);
  cJSON_Delete(root);
  cJSON_Delete(croot);
  return rc;
}

/* One CSV row: the file and the reason, quoted. */
static void bad_row(FILE *f, const char *file, const char *reason) {
  fprintf(f, "\"%s\",\"", file);
  for (const char *p = reason ? reason : ""; *p; p++)
    fputs(*p == '"' ? "\"\"" : (char[2]){*p, 0}, f);
  fprintf(f, "\"\n");
}

/* OUT/bad_files.csv: the images that failed, then the unusable entries of the scan. */
static int write_bad_files(const char *out, const image_job *jobs, const img_files *l) {
  size_t n = l->n, bad = img_files_n_bad(l);
  for (size_t i = 0; i < n; i++) bad += !jobs[i].ok;
  if (!bad) return 0;
  char *path = glia_path_join(out, "bad_files.csv");
  glia_atomic_file f;
  if (!path || glia_atomic_open(path, &f)) {
    glia_free(path);
    return -1;
  }
  fprintf(f.fp, "file,reason\n");
  for (size_t i = 0; i < n; i++)
    if (!jobs[i].ok) bad_row(f.fp, jobs[i].rel, jobs[i].error);
  for (size_t i = 0; i < img_files_n_bad(l); i++)
    bad_row(f.fp, l->ds->bad[i].file, l->ds->bad[i].error);
  glia_free(path);
  return glia_atomic_commit(&f) ? -1 : 0;
}

static int make_dirs(const char *out) {
  if (!out) return -1;
  static const char *subs[6] = {"", "plots", "labels", "masks", "overlays", "candidates"};
  for (int i = 0; i < 6; i++) {
    char *p = *subs[i] ? glia_path_join(out, subs[i]) : strdup(out);
    glia_status s = p ? glia_mkdirs(p) : GLIA_ERR_NOMEM;
    if (s) fprintf(stderr, "glia cluster: %s\n", p ? glia_last_error() : "out of memory");
    free(p);
    if (s) return -1;
  }
  return 0;
}

int cmd_cluster(int argc, char **argv) {
  cluster_args a;
  memset(&a, 0, sizeof a);
  int rc = parse_args(argc, argv, &a);
  if (rc) return rc < 0 ? CLI_OK : rc;
  cli_common_apply(&a.common);
  img_files l;
  if (!a.input || img_files_list(CMD, a.input, &l)) return CLI_FAILED;
  image_job *jobs = make_dirs(a.out) ? NULL : calloc(l.n, sizeof *jobs);
  if (!jobs) {
    img_files_free(&l);
    return CLI_FAILED;
  }
  size_t done = 0, good = 0;
#pragma omp parallel for schedule(dynamic, 1) num_threads(glia_threads())
  for (long long i = 0; i < (long long)l.n; i++) {
    image_job *j = &jobs[i];
    j->path = l.path[i];
    j->rel = l.rel[i];
    j->stem = stem_of(l.rel[i]);
    if (!j->stem || process(&a, j)) {
#pragma omp critical(cluster_report)
      fprintf(stderr, "glia cluster: %s: %s\n", j->rel, j->error ? j->error : "out of memory");
    }
#pragma omp critical(cluster_report)
    cli_progress(&a.common, "cluster", ++done, l.n);
  }
  for (size_t i = 0; i < l.n; i++) good += jobs[i].ok;
  rc = good ? CLI_OK : CLI_FAILED;
  if (good && write_outputs(&a, jobs, l.n)) rc = CLI_FAILED;
  if (write_bad_files(a.out, jobs, &l)) rc = CLI_FAILED;
  for (size_t i = 0; i < l.n; i++) {
    free(jobs[i].stem);
    free(jobs[i].metrics);
    free(jobs[i].error);
    cJSON_Delete(jobs[i].candidates);
  }
  free(jobs);
  img_files_free(&l);
  return rc;
}
