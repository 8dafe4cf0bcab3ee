/* glia preprocess DATA -o OUT: cleanup, crop, square resize and enhancement of every image,
 * keeping the folder (class) layout, with OUT/preprocess.csv saying what was done to each. */
#include <stdlib.h>
#include <string.h>

#include "cli/image_cmds.h"

#define THUMB 128

typedef struct pp_opts {
  const char *out;
  int size, clean, panels, skull;
  glia_crop_opts crop;
  int steps[ENH_MAX], nsteps;
} pp_opts;

typedef struct pp_row {
  char steps[160], outliers[256], error[320];
  glia_crop_result crop;
  int ok;
  int unplaced;    /* its group commit failed (set by on_commit_fail, maybe on another thread) */
  uint8_t *thumbs; /* before | after, THUMB×THUMB each, for the panels */
} pp_row;

static void usage(FILE *f) {
  fprintf(f,
          "Usage: glia preprocess DATA -o OUT [options]\n\n"
          "Cleans, crops and enhances every image of DATA (a file or a folder, searched\n"
          "recursively); writes OUT/<same path>.png (8-bit gray), OUT/preprocess.csv and\n"
          "OUT/panels.png (before | after).\n\n"
          "  -o, --out DIR         output folder (required)\n"
          "  --size N              square output side in pixels (default 256; 0: no resize)\n"
          "  --crop METHOD         auto | hard | soft | none (default auto)\n"
          "  --padding PCT         crop box padding in %% of the head's size (default 2)\n"
          "  --block-size N        soft crop: adaptive threshold block, odd (default: 1/8 of\n"
          "                        the short side)\n"
          "  --offset C            soft crop: adaptive threshold offset (default -2)\n"
          "  --clean               remove white background, bright frame and marks first\n"
          "  --skull-strip         keep only the brain (after cropping); skipped, with the\n"
          "                        reason in the CSV, when its quality check fails\n"
          "  --enhance LIST        comma-separated steps, applied in order after cropping:\n"
          "    %s\n"
          "  --panels N            before/after rows in OUT/panels.png (default 8; 0: none)\n"
          "  --threads N, --quiet, -h/--help\n\n"
          "Exit status: 0 every file done, 1 some file failed (listed, the rest done),\n"
          "2 usage error.\n",
          enh_help);
}

static void thumb(const uint8_t *g, int w, int h, uint8_t *dst) {
  glia_image_u8 *sq = NULL;
  if (glia_crop_square(g, w, h, 0, 0, w, h, THUMB, &sq) == GLIA_OK)
    memcpy(dst, sq->data, THUMB * THUMB);
  glia_image_u8_free(sq);
}

static void process(const char *path, const char *rel, const pp_opts *o, pp_row *r, int want_thumb,
                    glia_file_group *group, size_t id) {
  glia_image_u8 *img = NULL, *gray = NULL, *out = NULL;
  char *dst = NULL;
  unsigned char *png = NULL;
  size_t len = 0, png_size = 0;
  if (glia_image_load_u8(path, NULL, &img, NULL)) goto fail;
  if (want_thumb && (r->thumbs = calloc(2 * THUMB * THUMB, 1))) {
    if (glia_image_u8_to_gray(img, &gray)) goto fail;
    thumb(gray->data, gray->width, gray->height, r->thumbs); /* before any change */
    glia_image_u8_free(gray);
    gray = NULL;
  }
  if (o->clean) {
    glia_cleanup_report cr;
    if (glia_cleanup(img, NULL, &cr)) goto fail;
    len += (size_t)snprintf(r->steps + len, sizeof r->steps - len, "clean");
    snprintf(r->outliers, sizeof r->outliers, "%s%s%s",
             cr.white_background ? "white-background;" : "", cr.frame_px ? "frame;" : "",
             cr.marks ? "marks;" : "");
    if (cr.marks) {
      size_t ol = strlen(r->outliers) - 1;
      snprintf(r->outliers + ol, sizeof r->outliers - ol, ":%d", cr.marks);
    } else if (*r->outliers) {
      r->outliers[strlen(r->outliers) - 1] = 0;
    }
  }
  if (glia_image_u8_to_gray(img, &gray)) goto fail;
  if (glia_crop_find(gray->data, gray->width, gray->height, &o->crop, &r->crop)) goto fail;
  if (o->crop.method != GLIA_CROP_NONE)
    len += (size_t)snprintf(r->steps + len, sizeof r->steps - len, "%scrop", len ? "+" : "");
  if (glia_crop_square(gray->data, gray->width, gray->height, r->crop.x0, r->crop.y0, r->crop.x1,
                       r->crop.y1, o->size, &out))
    goto fail;
  if (o->size)
    len += (size_t)snprintf(r->steps + len, sizeof r->steps - len, "%sresize%d", len ? "+" : "",
                            o->size);
  if (o->skull) {
    uint8_t *m = malloc((size_t)out->width * out->height);
    glia_skull_report sr;
    if (!m) {
      glia_error(GLIA_ERR_NOMEM, "out of memory");
      goto fail;
    }
    glia_status s = glia_skull_strip(out->data, out->width, out->height, NULL, m, &sr);
    if (s == GLIA_OK && sr.ok) {
      for (size_t i = 0; i < (size_t)out->width * out->height; i++)
        if (!m[i]) out->data[i] = 0;
      len +=
          (size_t)snprintf(r->steps + len, sizeof r->steps - len, "%sskull-strip", len ? "+" : "");
    } else {
      /* The quality check failed (or no head): the skull stays, the reason is recorded. */
      size_t ol = strlen(r->outliers);
      snprintf(r->outliers + ol, sizeof r->outliers - ol, "%sskull strip skipped: %s",
               ol ? ";" : "", s ? glia_last_error() : sr.reason);
    }
    free(m);
  }
  for (int k = 0; k < o->nsteps; k++) {
    if (enh_apply(o->steps[k], out->data, out->width, out->height, NULL)) goto fail;
    len += (size_t)snprintf(r->steps + len, sizeof r->steps - len, "%s%s", len ? "+" : "",
                            enh_name(o->steps[k]));
    if (len >= sizeof r->steps) len = sizeof r->steps - 1;
  }
  if (r->thumbs) thumb(out->data, out->width, out->height, r->thumbs + THUMB * THUMB);
  dst = img_out_path("preprocess", o->out, rel, ".png");
  if (!dst) {
    glia_error(GLIA_ERR_IO, "cannot create the output folder");
    goto fail;
  }
  /* Made durable with the rest of its group (glia_file_group_commit); a failure there is
   * recorded in this row by on_commit_fail. */
  if (glia_png_encode_u8(out->data, out->width, out->height, out->channels, &png, &png_size) ||
      glia_file_group_write(group, dst, png, png_size, id))
    goto fail;
  r->ok = 1;
  goto done;
fail:
  snprintf(r->error, sizeof r->error, "%s", glia_last_error());
done:
  glia_free(png);
  free(dst);
  glia_image_u8_free(img);
  glia_image_u8_free(gray);
  glia_image_u8_free(out);
}

/* An output that its group commit could not put in place: the image counts as failed. A
 * commit may run on another thread while process() still finishes this row, so only
 * fields process() no longer writes after a successful glia_file_group_write are set. */
static void on_commit_fail(void *ctx, size_t id, const char *message) {
  pp_row *r = (pp_row *)ctx + id;
  r->unplaced = 1;
  snprintf(r->error, sizeof r->error, "%s", message);
}

/* Writes a CSV field, quoted when it holds a comma, quote or newline. */
static void csv_field(FILE *f, const char *s, int last) {
  if (strpbrk(s, ",\"\n")) {
    fputc('"', f);
    for (; *s; s++) {
      if (*s == '"') fputc('"', f);
      fputc(*s, f);
    }
    fputc('"', f);
  } else {
    fputs(s, f);
  }
  fputc(last ? '\n' : ',', f);
}

static int write_csv(const pp_opts *o, const img_files *files, const pp_row *rows) {
  char *path = glia_path_join(o->out, "preprocess.csv");
  glia_atomic_file a;
  if (!path || glia_atomic_open(path, &a)) {
    fprintf(stderr, "glia preprocess: %s\n", path ? glia_last_error() : "out of memory");
    free(path);
    return -1;
  }
  fputs("file,steps,crop_method,crop_reason,crop_box,head_kept_pct,outliers_fixed,error\n", a.fp);
  for (size_t i = 0; i < files->n; i++) {
    const pp_row *r = &rows[i];
    char box[64] = "", kept[32] = "";
    if (r->ok) {
      snprintf(box, sizeof box, "%d,%d,%d,%d", r->crop.x0, r->crop.y0, r->crop.x1, r->crop.y1);
      snprintf(kept, sizeof kept, "%.2f", r->crop.head_kept_pct);
    }
    csv_field(a.fp, files->rel[i], 0);
    csv_field(a.fp, r->steps, 0);
    csv_field(a.fp, r->ok ? glia_crop_method_name(r->crop.method) : "", 0);
    csv_field(a.fp, r->ok ? r->crop.reason : "", 0);
    csv_field(a.fp, box, 0);
    csv_field(a.fp, kept, 0);
    csv_field(a.fp, r->outliers, 0);
    csv_field(a.fp, r->error, 1);
  }
  for (size_t i = 0; i < img_files_n_bad(files); i++) { /* unusable entries: file and reason */
    csv_field(a.fp, files->ds->bad[i].file, 0);
    for (int k = 0; k < 6; k++) csv_field(a.fp, "", 0);
    csv_field(a.fp, files->ds->bad[i].error, 1);
  }
  glia_status s = glia_atomic_commit(&a);
  if (s) fprintf(stderr, "glia preprocess: %s\n", glia_last_error());
  free(path);
  return s ? -1 : 0;
}

static int write_panels(const pp_opts *o, const pp_row *rows, size_t n) {
  size_t k = 0;
  for (size_t i = 0; i < n && k < (size_t)o->panels; i++) k += rows[i].thumbs != NULL;
  if (!k) return 0;
  uint8_t *p = calloc(k * THUMB * 2 * THUMB, 1);
  if (!p) return -1;
  size_t row = 0;
  for (size_t i = 0; i < n && row < k; i++) {
    if (!rows[i].thumbs) continue;
    for (int y = 0; y < THUMB; y++)
      for (int half = 0; half < 2; half++)
        memcpy(p + ((row * THUMB + y) * 2 + half) * THUMB,
               rows[i].thumbs + (size_t)half * THUMB * THUMB + (size_t)y * THUMB, THUMB);
    row++;
  }
  char *path = glia_path_join(o->out, "panels.png");
  glia_status s =
      path ? glia_png_write_u8(path, p, 2 * THUMB, (int)(k * THUMB), 1) : GLIA_ERR_NOMEM;
  if (s) fprintf(stderr, "glia preprocess: panels: %s\n", glia_last_error());
  free(path);
  free(p);
  return s ? -1 : 0;
}

enum {
  OPT_SIZE = 2000,
  OPT_CROP,
  OPT_PADDING,
  OPT_BLOCK,
  OPT_OFFSET,
  OPT_CLEAN,
  OPT_ENHANCE,
  OPT_PANELS,
  OPT_SKULL
};

static int parse(int argc, char **argv, pp_opts *o, cli_common *c, const char **data) {
  static const struct option longs[] = {{"out", required_argument, NULL, 'o'},
                                        {"size", required_argument, NULL, OPT_SIZE},
                                        {"crop", required_argument, NULL, OPT_CROP},
                                        {"padding", required_argument, NULL, OPT_PADDING},
                                        {"block-size", required_argument, NULL, OPT_BLOCK},
                                        {"offset", required_argument, NULL, OPT_OFFSET},
                                        {"clean", no_argument, NULL, OPT_CLEAN},
                                        {"enhance", required_argument, NULL, OPT_ENHANCE},
                                        {"panels", required_argument, NULL, OPT_PANELS},
                                        {"skull-strip", no_argument, NULL, OPT_SKULL},
                                        CLI_COMMON_LONG_OPTIONS,
                                        {NULL, 0, NULL, 0}};
  long v;
  int opt;
  optind = 1;
  while ((opt = getopt_long(argc, argv, "o:h", longs, NULL)) != -1) {
    int rc = cli_common_option(opt, optarg, c, "preprocess");
    if (rc < 0) return CLI_USAGE;
    if (rc) continue;
    char *end;
    switch (opt) {
    case 'o': o->out = optarg; break;
    case OPT_SIZE:
      if (cli_parse_long("preprocess", "size", optarg, 0, 8192, &v)) return CLI_USAGE;
      o->size = (int)v;
      break;
    case OPT_CROP:
      if ((v = glia_crop_method_parse(optarg)) < 0)
        return cli_usage_error("preprocess", "--crop: '%s', expected auto, hard, soft or none",
                               optarg);
      o->crop.method = (glia_crop_method)v;
      break;
    case OPT_PADDING:
      o->crop.padding_pct = strtod(optarg, &end);
      if (*end || end == optarg || !(o->crop.padding_pct >= 0 && o->crop.padding_pct <= 100))
        return cli_usage_error("preprocess", "--padding: '%s', expected a number in 0..100",
                               optarg);
      break;
    case OPT_BLOCK:
      if (cli_parse_long("preprocess", "block-size", optarg, 3, 4001, &v)) return CLI_USAGE;
      if (v % 2 == 0)
        return cli_usage_error("preprocess", "--block-size: %ld is even, expected odd", v);
      o->crop.block_size = (int)v;
      break;
    case OPT_OFFSET:
      o->crop.offset = strtod(optarg, &end);
      if (*end || end == optarg || !(o->crop.offset >= -255 && o->crop.offset <= 255))
        return cli_usage_error("preprocess", "--offset: '%s', expected a number in -255..255",
                               optarg);
      break;
    case OPT_CLEAN: o->clean = 1; break;
    case OPT_SKULL: o->skull = 1; break;
    case OPT_ENHANCE:
      if (enh_parse("preprocess", optarg, o->steps, &o->nsteps)) return CLI_USAGE;
      break;
    case OPT_PANELS:
      if (cli_parse_long("preprocess", "panels", optarg, 0, 1000, &v)) return CLI_USAGE;
      o->panels = (int)v;
      break;
    case 'h': usage(stdout); return CLI_OK;
    default: return cli_usage_error("preprocess", "unknown option");
    }
  }
  if (optind + 1 != argc) return cli_usage_error("preprocess", "expected one DATA argument");
  if (!o->out) return cli_usage_error("preprocess", "-o OUT is required");
  *data = argv[optind];
  return -1;
}

int cmd_preprocess(int argc, char **argv) {
  pp_opts o = {NULL, 256, 0, 8, 0, GLIA_CROP_DEFAULTS, {0}, 0};
  cli_common c = {0, 0};
  const char *data = NULL;
  int rc = parse(argc, argv, &o, &c, &data);
  if (rc >= 0) return rc;
  cli_common_apply(&c);
  img_files files;
  if (img_files_list("preprocess", data, &files)) return CLI_FAILED;
  if (glia_mkdirs(o.out)) {
    fprintf(stderr, "glia preprocess: %s\n", glia_last_error());
    img_files_free(&files);
    return CLI_FAILED;
  }
  pp_row *rows = calloc(files.n, sizeof *rows);
  if (!rows) {
    img_files_free(&files);
    return CLI_FAILED;
  }
  glia_file_group *group = NULL;
  if (glia_file_group_new(0, on_commit_fail, rows, &group)) {
    fprintf(stderr, "glia preprocess: %s\n", glia_last_error());
    free(rows);
    img_files_free(&files);
    return CLI_FAILED;
  }
  size_t done = 0;
  /* One image per thread; the kernels inside run on that thread (no nested regions). The
   * PNGs are made durable a group at a time (one syncfs for many files instead of an fsync
   * each), before the CSV says they are there. */
#pragma omp parallel for schedule(dynamic)
  for (size_t i = 0; i < files.n; i++) {
    process(files.path[i], files.out[i], &o, &rows[i], i < (size_t)o.panels, group, i);
#pragma omp critical
    cli_progress(&c, "preprocess", ++done, files.n);
  }
  glia_file_group_commit(group); /* failures are in their rows */
  glia_file_group_free(group);
  for (size_t i = 0; i < files.n; i++)
    if (rows[i].unplaced) rows[i].ok = 0;
  size_t bad = img_files_n_bad(&files), total = files.n + bad;
  for (size_t i = 0; i < files.n; i++) {
    if (rows[i].ok && rows[i].crop.empty)
      fprintf(stderr, "glia preprocess: warning: %s: no head found, the whole image was kept\n",
              files.rel[i]);
    if (!rows[i].ok) {
      fprintf(stderr, "glia preprocess: %s: %s\n", files.rel[i], rows[i].error);
      bad++;
    }
  }
  rc = write_csv(&o, &files, rows) || write_panels(&o, rows, files.n) ? CLI_FAILED : CLI_OK;
  if (!c.quiet)
    fprintf(stderr, "glia preprocess: %zu of %zu images written to %s%s\n", total - bad, total,
            o.out, bad ? " (failed files listed above and in preprocess.csv)" : "");
  for (size_t i = 0; i < files.n; i++) free(rows[i].thumbs);
  free(rows);
  img_files_free(&files);
  return rc != CLI_OK || bad ? CLI_FAILED : CLI_OK;
}
