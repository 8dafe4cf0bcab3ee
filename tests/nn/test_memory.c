/* The context's memory: the buffer pool reuses and coalesces what is given back, tensors the
 * caller gave up are freed once no backward reads them, gradients of op outputs are freed
 * after their producer's backward while leaf gradients stay, and none of it changes a bit of
 * the results. */
#include <stdlib.h>
#include <string.h>

#include "glia/nn.h"
#include "nn/internal.h"
#include "testutil.h"

static void test_pool_reuses_and_coalesces_buffers(void **state) {
  (void)state;
  glia__pool *p = glia__pool_new();
  assert_non_null(p);
  const size_t mb = (size_t)1 << 20;
  float *a = glia__pool_get(p, mb), *b = glia__pool_get(p, mb), *c = glia__pool_get(p, 100);
  assert_non_null(a);
  assert_non_null(b);
  assert_non_null(c);
  assert_true((uintptr_t)a % 64 == 0 && (uintptr_t)c % 64 == 0);
  assert_true((char *)b >= (char *)a + mb); /* no overlap */
  memset(a, 1, mb);
  memset(b, 2, mb);
  const size_t touched = glia__pool_bytes(p);
  assert_true(touched >= 2 * mb + 100);
  glia__pool_put(p, a);
  assert_ptr_equal(glia__pool_get(p, mb / 2), a); /* best fit: the freed hole */
  glia__pool_put(p, a);
  glia__pool_put(p, b); /* coalesced with a's hole: 2 MB fit where a was */
  assert_ptr_equal(glia__pool_get(p, 2 * mb), a);
  assert_int_equal(glia__pool_bytes(p), touched);
  glia__pool_clear(p);
  assert_ptr_equal(glia__pool_get(p, 2 * mb + 64), a);
  glia__pool_put(p, NULL);
  glia__pool_free(p);
  glia__pool_free(NULL);
}

typedef struct net {
  glia_tensor *w1, *w2, *b1; /* conv 1→4, conv 4→2, BN weight/bias share b1 (2 × 4) */
} net;

/* The net's weights and a [2, 1, 128, 128] input, drawn from nn's generator in this order: w1,
 * w2, b1 (random_b1; else BN weights 1 and biases 0.1), x. Caller frees. */
static void net_new(glia_nn *nn, net *m, glia_tensor **x, int random_b1) {
  assert_int_equal(glia_tensor_new(4, (int64_t[]){4, 1, 3, 3}, &m->w1), GLIA_OK);
  assert_int_equal(glia_tensor_new(4, (int64_t[]){2, 4, 3, 3}, &m->w2), GLIA_OK);
  assert_int_equal(glia_tensor_new(1, (int64_t[]){8}, &m->b1), GLIA_OK);
  assert_int_equal(glia_tensor_new(4, (int64_t[]){2, 1, 128, 128}, x), GLIA_OK);
  for (int i = 0; i < 36; i++) m->w1->data[i] = glia_nn_normal(nn);
  for (int i = 0; i < 72; i++) m->w2->data[i] = glia_nn_normal(nn);
  for (int i = 0; i < 8; i++) m->b1->data[i] = random_b1 ? glia_nn_normal(nn) : i < 4 ? 1.0f : 0.1f;
  for (int i = 0; i < 2 * 128 * 128; i++) (*x)->data[i] = glia_nn_normal(nn);
  m->w1->requires_grad = m->w2->requires_grad = 1;
}

/* conv → BN-ReLU → max pool → conv → mean of squares; returns the loss, mid[0] the BN-ReLU
 * output and mid[1] the pooled one (op outputs the caller gives up when give_up). */
static glia_tensor *forward(glia_nn *nn, const net *m, glia_tensor *x, int give_up,
                            glia_tensor **mid) {
  glia_tensor *h, *bn_w = NULL, *bn_b = NULL, *loss;
  glia_conv2d_opts o = GLIA_CONV2D_DEFAULTS;
  o.padding[0] = o.padding[1] = 1;
  assert_int_equal(glia_conv2d(nn, x, m->w1, NULL, &o, &h), GLIA_OK);
  assert_int_equal(glia_nn_tensor(nn, 1, (int64_t[]){4}, &bn_w), GLIA_OK);
  assert_int_equal(glia_nn_tensor(nn, 1, (int64_t[]){4}, &bn_b), GLIA_OK);
  memcpy(bn_w->data, m->b1->data, 4 * sizeof(float));
  memcpy(bn_b->data, m->b1->data + 4, 4 * sizeof(float));
  if (give_up) glia_nn_reuse_input(nn);
  assert_int_equal(glia_batch_norm_relu(nn, h, bn_w, bn_b, NULL, NULL, 0.1f, 1e-5f, &h), GLIA_OK);
  mid[0] = h;
  if (give_up) glia_nn_reuse_input(nn);
  assert_int_equal(glia_max_pool2d(nn, h, 2, 2, 0, &h), GLIA_OK);
  mid[1] = h;
  if (give_up) glia_nn_reuse_input(nn);
  assert_int_equal(glia_conv2d(nn, h, m->w2, NULL, &o, &h), GLIA_OK);
  glia_tensor *target;
  assert_int_equal(glia_nn_tensor(nn, h->ndim, h->shape, &target), GLIA_OK); /* zeros */
  assert_int_equal(glia_mse_loss(nn, h, target, &loss), GLIA_OK);
  return loss;
}

static void test_backward_frees_intermediate_gradients_and_keeps_leaf_ones(void **state) {
  (void)state;
  glia_nn *nn;
  net m;
  glia_tensor *x, *mid[2], *loss;
  assert_int_equal(glia_nn_new(&nn), GLIA_OK);
  glia_nn_set_memory_saving(nn, 1);
  net_new(nn, &m, &x, 0);
  loss = forward(nn, &m, x, 1, mid);
  /* The fast max pool's backward reads its argmax, not x; the reference one reads x, which
   * batch norm rebuilds for it (recompute): freed now either way. */
  assert_null(mid[0]->data);
  assert_non_null(mid[1]->data); /* given up, but the second conv's backward reads it */
  assert_int_equal(glia_nn_backward(nn, loss), GLIA_OK);
  assert_null(mid[1]->data); /* read: freed */
  assert_null(loss->grad);   /* op outputs: freed after their producer's backward */
  assert_null(mid[0]->grad);
  assert_null(mid[1]->grad);
  assert_non_null(m.w1->grad); /* leaves keep theirs */
  assert_non_null(m.w2->grad);
  double s = 0;
  for (int i = 0; i < 36; i++) s += (double)m.w1->grad[i] * m.w1->grad[i];
  assert_true(s > 0);
  glia_nn_reset(nn);
  glia_tensor_free(x);
  glia_tensor_free(m.w1);
  glia_tensor_free(m.w2);
  glia_tensor_free(m.b1);
  glia_nn_free(nn);
}

/* The loss and the leaf gradients with the savings and the tensors given up, against
 * everything kept (GLIA_NN_KEEP_ALL): the same bits, fast paths and reference alike (the
 * reference max pool reads the BN-ReLU output, which batch norm then rebuilds). */
static void run_case(int saving, int reference, float *loss_out, float *g1, float *g2) {
  glia_nn *nn;
  net m;
  glia_tensor *x, *mid[2], *loss;
  assert_int_equal(glia_nn_new(&nn), GLIA_OK);
  glia_nn_set_memory_saving(nn, saving);
  glia_nn_set_reference(nn, reference);
  net_new(nn, &m, &x, 1);
  for (int step = 0; step < 2; step++) { /* the second step runs on reused memory */
    if (m.w1->grad) memset(m.w1->grad, 0, 36 * sizeof(float));
    if (m.w2->grad) memset(m.w2->grad, 0, 72 * sizeof(float));
    loss = forward(nn, &m, x, saving, mid);
    assert_int_equal(glia_nn_backward(nn, loss), GLIA_OK);
    loss_out[step] = loss->data[0];
    glia_nn_reset(nn);
  }
  memcpy(g1, m.w1->grad, 36 * sizeof(float));
  memcpy(g2, m.w2->grad, 72 * sizeof(float));
  glia_tensor_free(x);
  glia_tensor_free(m.w1);
  glia_tensor_free(m.w2);
  glia_tensor_free(m.b1);
  glia_nn_free(nn);
}

static void test_memory_saving_gives_the_same_bits(void **state) {
  (void)state;
  for (int reference = 0; reference < 2; reference++) {
    float l0[2], l1[2], a1[36], a2[72], b1[36], b2[72];
    run_case(0, reference, l0, a1, a2);
    run_case(1, reference, l1, b1, b2);
    assert_memory_equal(l0, l1, sizeof l0);
    assert_true(l0[0] == l0[1]); /* same inputs and weights in both steps */
    assert_memory_equal(a1, b1, sizeof a1);
    assert_memory_equal(a2, b2, sizeof a2);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_pool_reuses_and_coalesces_buffers),
      cmocka_unit_test(test_backward_frees_intermediate_gradients_and_keeps_leaf_ones),
      cmocka_unit_test(test_memory_saving_gives_the_same_bits),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
