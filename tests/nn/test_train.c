/* End to end: a tiny CNN (conv-BN-ReLU-pool, conv-BN-ReLU, global pool, linear) learns a toy
 * task through the tape and AdamW, and two runs with the same seed give the same bits. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "glia/nn.h"
#include "glia/optim.h"
#include "glia/safetensors.h"
#include "testutil.h"

#define N 32
#define S 8

typedef struct net {
  glia_params *p;
  glia_tensor *c1w, *c1b, *b1w, *b1b, *b1m, *b1v, *c2w, *b2w, *b2b, *b2m, *b2v, *fw, *fb;
} net;

static void add(net *m, const char *name, int ndim, const int64_t *shape, int trainable,
                glia_tensor **t) {
  assert_int_equal(glia_params_add(m->p, name, ndim, shape, trainable, t), GLIA_OK);
}

static void net_init(net *m, glia_nn *nn) {
  assert_int_equal(glia_params_new(&m->p), GLIA_OK);
  add(m, "conv1.weight", 4, (int64_t[]){4, 1, 3, 3}, 1, &m->c1w);
  add(m, "conv1.bias", 1, (int64_t[]){4}, 1, &m->c1b);
  add(m, "bn1.weight", 1, (int64_t[]){4}, 1, &m->b1w);
  add(m, "bn1.bias", 1, (int64_t[]){4}, 1, &m->b1b);
  add(m, "bn1.running_mean", 1, (int64_t[]){4}, 0, &m->b1m);
  add(m, "bn1.running_var", 1, (int64_t[]){4}, 0, &m->b1v);
  add(m, "conv2.weight", 4, (int64_t[]){8, 4, 3, 3}, 1, &m->c2w);
  add(m, "bn2.weight", 1, (int64_t[]){8}, 1, &m->b2w);
  add(m, "bn2.bias", 1, (int64_t[]){8}, 1, &m->b2b);
  add(m, "bn2.running_mean", 1, (int64_t[]){8}, 0, &m->b2m);
  add(m, "bn2.running_var", 1, (int64_t[]){8}, 0, &m->b2v);
  add(m, "fc.weight", 2, (int64_t[]){2, 8}, 1, &m->fw);
  add(m, "fc.bias", 1, (int64_t[]){2}, 1, &m->fb);
  assert_int_equal(glia_params_finalize(m->p), GLIA_OK);
  /* torch's default: U(-1/sqrt(fan_in), 1/sqrt(fan_in)); BN weight 1, running var 1. */
  glia_tensor *init[5] = {m->c1w, m->c1b, m->c2w, m->fw, m->fb};
  double fan[5] = {9, 9, 36, 8, 8};
  for (int k = 0; k < 5; k++)
    for (int64_t i = 0; i < glia_tensor_numel(init[k]); i++)
      init[k]->data[i] = (float)((2 * glia_nn_uniform(nn) - 1) / sqrt(fan[k]));
  for (int i = 0; i < 4; i++) m->b1w->data[i] = m->b1v->data[i] = 1;
  for (int i = 0; i < 8; i++) m->b2w->data[i] = m->b2v->data[i] = 1;
}

static glia_tensor *forward(net *m, glia_nn *nn, glia_tensor *x) {
  glia_tensor *h;
  assert_int_equal(
      glia_conv2d(nn, x, m->c1w, m->c1b, &(glia_conv2d_opts){{1, 1}, {1, 1}, {1, 1}, 1, 0}, &h),
      GLIA_OK);
  assert_int_equal(glia_batch_norm(nn, h, m->b1w, m->b1b, m->b1m, m->b1v, 0.1f, 1e-5f, &h),
                   GLIA_OK);
  assert_int_equal(glia_relu(nn, h, &h), GLIA_OK);
  assert_int_equal(glia_max_pool2d(nn, h, 2, 2, 0, &h), GLIA_OK);
  assert_int_equal(
      glia_conv2d(nn, h, m->c2w, NULL, &(glia_conv2d_opts){{1, 1}, {1, 1}, {1, 1}, 1, 0}, &h),
      GLIA_OK);
  assert_int_equal(glia_batch_norm(nn, h, m->b2w, m->b2b, m->b2m, m->b2v, 0.1f, 1e-5f, &h),
                   GLIA_OK);
  assert_int_equal(glia_relu(nn, h, &h), GLIA_OK);
  assert_int_equal(glia_adaptive_avg_pool2d(nn, h, 1, 1, &h), GLIA_OK);
  assert_int_equal(glia_flatten(nn, h, 1, &h), GLIA_OK);
  assert_int_equal(glia_dropout(nn, h, 0.05f, &h), GLIA_OK);
  assert_int_equal(glia_linear(nn, h, m->fw, m->fb, &h), GLIA_OK);
  return h;
}

/* Toy task: class 0 has a vertical bar, class 1 a horizontal bar, at a random place, on
 * noise. */
static void make_data(glia_nn *nn, glia_tensor *x, glia_tensor *y) {
  for (int n = 0; n < N; n++) {
    int cls = n % 2, pos = 1 + (int)(glia_nn_uniform(nn) * (S - 2));
    y->data[n] = (float)cls;
    for (int i = 0; i < S; i++)
      for (int j = 0; j < S; j++) {
        float v = 0.2f * glia_nn_uniform(nn);
        if ((cls == 0 && j == pos) || (cls == 1 && i == pos)) v += 1.0f;
        x->data[(n * S + i) * S + j] = v;
      }
  }
}

typedef struct session {
  glia_nn *nn;
  net m;
  glia_tensor *x, *y;
  glia_optim *opt;
  float loss;
} session;

static void session_new(session *s) {
  assert_int_equal(glia_nn_new(&s->nn), GLIA_OK);
  glia_nn_seed(s->nn, 2024);
  net_init(&s->m, s->nn);
  assert_int_equal(glia_tensor_new(4, (int64_t[]){N, 1, S, S}, &s->x), GLIA_OK);
  assert_int_equal(glia_tensor_new(1, (int64_t[]){N}, &s->y), GLIA_OK);
  make_data(s->nn, s->x, s->y);
  glia_optim_opts o = GLIA_OPTIM_DEFAULTS;
  o.lr = 0.02f;
  assert_int_equal(glia_optim_new(s->m.p, &o, &s->opt), GLIA_OK);
}

/* Full-batch AdamW steps (dropout draws from the context's stream). */
static void session_steps(session *s, int steps) {
  for (int k = 0; k < steps; k++) {
    glia_tensor *logits = forward(&s->m, s->nn, s->x), *loss;
    assert_int_equal(glia_cross_entropy(s->nn, logits, s->y, NULL, 0.0f, &loss), GLIA_OK);
    s->loss = loss->data[0];
    glia_params_zero_grad(s->m.p);
    assert_int_equal(glia_nn_backward(s->nn, loss), GLIA_OK);
    glia_optim_step(s->opt, 0);
    glia_nn_reset(s->nn);
  }
}

static float *session_values(session *s, size_t *count) {
  float *v = glia_params_values(s->m.p, count), *copy = malloc(*count * sizeof(float));
  memcpy(copy, v, *count * sizeof(float));
  return copy;
}

static void session_free(session *s) {
  glia_optim_free(s->opt);
  glia_tensor_free(s->x);
  glia_tensor_free(s->y);
  glia_params_free(s->m.p);
  glia_nn_free(s->nn);
}

/* Trains `steps` steps from the seed; returns the last loss and a copy of the value slab. */
static float train(int steps, float **values, size_t *count) {
  session s;
  session_new(&s);
  session_steps(&s, steps);
  *values = session_values(&s, count);
  float loss = s.loss;
  session_free(&s);
  return loss;
}

static void test_tiny_cnn_learns_toy_task_to_near_zero_loss(void **state) {
  (void)state;
  float *v;
  size_t n;
  /* ln 2 ≈ 0.69 at chance; the task is separable, so 150 AdamW steps reach < 0.02. */
  float loss = train(150, &v, &n);
  printf("tiny CNN: loss %.5f after 150 steps\n", (double)loss);
  assert_true(loss < 0.02f);
  free(v);
}

static void test_same_seed_and_threads_give_same_bits(void **state) {
  (void)state;
  float *a, *b;
  size_t na, nb;
  train(5, &a, &na);
  train(5, &b, &nb);
  assert_int_equal(na, nb);
  assert_memory_equal(a, b, na * sizeof(float));
  free(a);
  free(b);
}

static void test_resumed_run_continues_bit_for_bit(void **state) {
  (void)state;
  char *dir = tu_mkdtemp(), path[4096];
  snprintf(path, sizeof path, "%s/ckpt.safetensors", dir);
  session a, b;
  session_new(&a);
  session_steps(&a, 3);
  assert_int_equal(glia_checkpoint_save(path, a.m.p, a.opt, a.nn, NULL), GLIA_OK);
  session_steps(&a, 4);
  size_t na, nb;
  float *va = session_values(&a, &na);
  /* A fresh process would rebuild the model from its seed, then load the checkpoint. */
  session_new(&b);
  glia_nn_seed(b.nn, 999); /* the checkpoint must restore the stream */
  assert_int_equal(glia_checkpoint_load(path, b.m.p, b.opt, b.nn), GLIA_OK);
  assert_int_equal(glia_optim_steps(b.opt), 3);
  session_steps(&b, 4);
  float *vb = session_values(&b, &nb);
  assert_int_equal(na, nb);
  assert_memory_equal(va, vb, na * sizeof(float));
  free(va);
  free(vb);
  session_free(&a);
  session_free(&b);
  tu_rmtree(dir);
  free(dir);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_tiny_cnn_learns_toy_task_to_near_zero_loss),
      cmocka_unit_test(test_same_seed_and_threads_give_same_bits),
      cmocka_unit_test(test_resumed_run_continues_bit_for_bit),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
