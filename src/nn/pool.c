/* The buffer pool of a context: large per-step buffers (activations, gradients, saved state,
 * kernel scratch) carved best-fit out of a few big regions kept for the context's life, split
 * on allocation and coalesced with free neighbours on release. A region's pages are touched
 * only as far as allocations have reached, so the memory a step uses is the highest offset
 * its live buffers needed, and once the pattern of a step has been seen no new page is
 * touched (no page faults in later steps). */
#include <string.h>

#include "nn/internal.h"

#define POOL_ALIGN 64
#define REGION_MIN ((size_t)256 << 20) /* address space, untouched until used */

typedef struct seg {
  size_t off, size;
  int used;
} seg;

typedef struct region {
  void *raw;
  unsigned char *base;  /* raw rounded up to POOL_ALIGN */
  size_t size, touched; /* touched: the highest end offset ever handed out */
  seg *segs;            /* in address order, covering [0, size) */
  size_t n_segs, cap_segs;
} region;

struct glia__pool {
  region *r;
  size_t n;
};

glia__pool *glia__pool_new(void) { return glia_calloc(1, sizeof(glia__pool)); }

void glia__pool_free(glia__pool *p) {
  if (!p) return;
  for (size_t i = 0; i < p->n; i++) {
    glia_free(p->r[i].raw);
    glia_free(p->r[i].segs);
  }
  glia_free(p->r);
  glia_free(p);
}

size_t glia__pool_bytes(const glia__pool *p) {
  size_t s = 0;
  for (size_t i = 0; i < p->n; i++) s += p->r[i].touched;
  return s;
}

void glia__pool_clear(glia__pool *p) {
  for (size_t i = 0; i < p->n; i++) {
    region *r = &p->r[i];
    r->segs[0] = (seg){0, r->size, 0};
    r->n_segs = 1;
  }
}

static int region_add(glia__pool *p, size_t need) {
  size_t size = need > REGION_MIN ? need : REGION_MIN;
  if (size + POOL_ALIGN < size) return -1;
  region *rs = glia_realloc(p->r, (p->n + 1) * sizeof *rs);
  if (!rs) return -1;
  p->r = rs;
  region *r = &rs[p->n];
  memset(r, 0, sizeof *r);
  r->segs = glia_malloc(16 * sizeof *r->segs);
  r->raw = r->segs ? glia_malloc(size + POOL_ALIGN) : NULL;
  if (!r->raw) {
    glia_free(r->segs);
    return -1;
  }
  r->base = (unsigned char *)(((uintptr_t)r->raw + POOL_ALIGN - 1) & ~(uintptr_t)(POOL_ALIGN - 1));
  r->size = size;
  r->cap_segs = 16;
  r->segs[0] = (seg){0, size, 0};
  r->n_segs = 1;
  return (int)p->n++;
}

float *glia__pool_get(glia__pool *p, size_t bytes) {
  const size_t need = (bytes + POOL_ALIGN - 1) & ~(size_t)(POOL_ALIGN - 1);
  if (need < bytes || need == 0) return NULL;
  /* Best fit: the smallest free segment that holds it; among equals the lowest address. */
  size_t bi = 0, bs = 0;
  int found = 0;
  for (size_t i = 0; i < p->n; i++)
    for (size_t k = 0; k < p->r[i].n_segs; k++) {
      const seg *s = &p->r[i].segs[k];
      if (!s->used && s->size >= need && (!found || s->size < p->r[bi].segs[bs].size)) {
        bi = i;
        bs = k;
        found = 1;
      }
    }
  if (!found) {
    int i = region_add(p, need);
    if (i < 0) return NULL;
    bi = (size_t)i;
    bs = 0;
  }
  region *r = &p->r[bi];
  if (r->segs[bs].size > need) { /* split: the rest stays free after it */
    if (r->n_segs == r->cap_segs) {
      seg *ns = glia_realloc(r->segs, 2 * r->cap_segs * sizeof *ns);
      if (!ns) return NULL;
      r->segs = ns;
      r->cap_segs *= 2;
    }
    memmove(&r->segs[bs + 2], &r->segs[bs + 1], (r->n_segs - bs - 1) * sizeof *r->segs);
    r->segs[bs + 1] = (seg){r->segs[bs].off + need, r->segs[bs].size - need, 0};
    r->segs[bs].size = need;
    r->n_segs++;
  }
  r->segs[bs].used = 1;
  const size_t end = r->segs[bs].off + need;
  if (end > r->touched) r->touched = end;
  return (float *)(void *)(r->base + r->segs[bs].off);
}

void glia__pool_put(glia__pool *p, float *ptr) {
  if (!ptr) return;
  const unsigned char *q = (const unsigned char *)ptr;
  for (size_t i = 0; i < p->n; i++) {
    region *r = &p->r[i];
    if (q < r->base || q >= r->base + r->size) continue;
    const size_t off = (size_t)(q - r->base);
    size_t lo = 0, hi = r->n_segs; /* the segment starting at off */
    while (hi - lo > 1) {
      size_t mid = (lo + hi) / 2;
      if (r->segs[mid].off <= off)
        lo = mid;
      else
        hi = mid;
    }
    if (r->segs[lo].off != off || !r->segs[lo].used) return; /* not a live buffer */
    r->segs[lo].used = 0;
    size_t k = lo;
    if (k + 1 < r->n_segs && !r->segs[k + 1].used) { /* merge the next */
      r->segs[k].size += r->segs[k + 1].size;
      memmove(&r->segs[k + 1], &r->segs[k + 2], (r->n_segs - k - 2) * sizeof *r->segs);
      r->n_segs--;
    }
    if (k > 0 && !r->segs[k - 1].used) { /* merge into the previous */
      r->segs[k - 1].size += r->segs[k].size;
      memmove(&r->segs[k], &r->segs[k + 1], (r->n_segs - k - 1) * sizeof *r->segs);
      r->n_segs--;
    }
    return;
  }
}
