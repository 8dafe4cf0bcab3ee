/* Reader of the nn fixture format written by tests/fixtures/nn/gen_nn.py (header-only, for
 * tests/nn). */
#ifndef NNFIXTURE_H
#define NNFIXTURE_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "glia/nn.h"
#include "testutil.h"

typedef struct fx_tensor {
  char name[32];
  int ndim;
  int64_t shape[GLIA_TENSOR_MAX_DIMS];
  const float *data; /* unaligned: copied before use */
  size_t n;
} fx_tensor;

typedef struct fx_case {
  char op[64];
  int64_t i[12];
  double f[4];
  fx_tensor t[16];
  int n_t;
} fx_case;

/* Parses one case starting at *p; returns 0 at the end of the file. */
static inline int parse_case(const unsigned char **p, const unsigned char *end, fx_case *c) {
  char line[512];
  memset(c, 0, sizeof *c);
  const unsigned char *q = *p;
  while (q < end) {
    const unsigned char *nl = memchr(q, '\n', (size_t)(end - q));
    assert_non_null(nl);
    size_t len = (size_t)(nl - q);
    assert_true(len < sizeof line);
    memcpy(line, q, len);
    line[len] = 0;
    q = nl + 1;
    if (!strncmp(line, "case ", 5)) { /* case OP i I0 I1 ... f F0 F1 F2 F3 */
      char *save = NULL, *tok = strtok_r(line + 5, " ", &save);
      snprintf(c->op, sizeof c->op, "%s", tok);
      tok = strtok_r(NULL, " ", &save);
      assert_string_equal(tok, "i");
      int ni = 0, nf = 0;
      while ((tok = strtok_r(NULL, " ", &save)) && strcmp(tok, "f")) {
        assert_true(ni < 12);
        c->i[ni++] = strtoll(tok, NULL, 10);
      }
      while ((tok = strtok_r(NULL, " ", &save))) {
        assert_true(nf < 4);
        c->f[nf++] = strtod(tok, NULL);
      }
      assert_int_equal(nf, 4);
    } else if (!strncmp(line, "tensor ", 7)) {
      fx_tensor *t = &c->t[c->n_t++];
      char *s = line + 7, *tok = strtok(s, " ");
      snprintf(t->name, sizeof t->name, "%s", tok);
      t->ndim = atoi(strtok(NULL, " "));
      t->n = 1;
      for (int d = 0; d < t->ndim; d++) {
        t->shape[d] = atoll(strtok(NULL, " "));
        t->n *= (size_t)t->shape[d];
      }
      assert_true(q + t->n * 4 <= end);
      t->data = (const float *)q;
      q += t->n * 4;
    } else if (!strcmp(line, "end")) {
      *p = q;
      return 1;
    } else {
      fail_msg("parity.bin: unexpected line '%s'", line);
    }
  }
  return 0;
}

static inline const fx_tensor *fx_find(const fx_case *c, const char *name) {
  for (int k = 0; k < c->n_t; k++)
    if (!strcmp(c->t[k].name, name)) return &c->t[k];
  return NULL;
}

static inline float *fx_copy(const fx_tensor *t) {
  float *v = malloc((t->n ? t->n : 1) * sizeof(float));
  memcpy(v, t->data, t->n * sizeof(float));
  return v;
}

/* Reads tests/fixtures/nn/NAME and checks its magic; *p points at the first case. */
static inline unsigned char *fx_open(const char *name, const unsigned char **p,
                                     const unsigned char **end) {
  char rel[256];
  snprintf(rel, sizeof rel, "tests/fixtures/nn/%s", name);
  char *path = tu_src(rel);
  size_t size;
  unsigned char *file = tu_read_file(path, &size);
  free(path);
  assert_true(size > 8 && !memcmp(file, "GLIANN1\n", 8));
  *p = file + 8;
  *end = file + size;
  return file;
}
#endif
