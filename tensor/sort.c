/* sort.c: sort and topk along a dimension.
 *
 * Every element becomes an unsigned key whose integer order is the wanted order
 * (floats: the sign-magnitude bit trick, -0 folded onto +0, NaN above +inf so it sorts
 * last ascending and first descending, as PyTorch; descending inverts the key). A row is
 * then an array of (key, position) pairs sorted by a stable LSD radix sort that skips the
 * bytes every key shares: ties keep their order. Rows run in parallel; one long row is cut
 * in chunks sorted in parallel and merged. topk selects with a quickselect on (key,
 * position), a total order, so its result equals the first k of the stable sort.
 * On a GPU the backend sorts the same keys (tensor/cuda/index.cu). */
#include "internal.h"
#include "autograd.h"
#include <stdio.h>

typedef struct { uint64_t k; int64_t i; } kv;

/* ---- keys ---- */
static inline uint64_t key_f32(float f) {
  if (f != f) return 0xffffffffu;
  if (f == 0) return 0x80000000u;
  uint32_t u;
  memcpy(&u, &f, 4);
  return (u & 0x80000000u) ? (uint32_t)~u : (u | 0x80000000u);
}
static inline uint64_t key_f64(double f) {
  if (f != f) return UINT64_MAX;
  if (f == 0) return 0x8000000000000000ull;
  uint64_t u;
  memcpy(&u, &f, 8);
  return (u & 0x8000000000000000ull) ? ~u : (u | 0x8000000000000000ull);
}
/* half and bfloat16 are sign-magnitude too; `inf` is the exponent-all-ones pattern */
static inline uint64_t key_h16(uint16_t u, uint16_t inf) {
  if ((u & 0x7fff) > inf) return 0xffff;
  if ((u & 0x7fff) == 0) return 0x8000;
  return (u & 0x8000) ? (uint16_t)~u : (uint16_t)(u | 0x8000);
}

#define KEY_TYPES(X)                                                                           \
  X(FLOAT32, float, 4, key_f32(v))                                                             \
  X(FLOAT64, double, 8, key_f64(v))                                                            \
  X(INT64, int64_t, 8, (uint64_t)v ^ 0x8000000000000000ull)                                    \
  X(INT32, int32_t, 4, (uint32_t)v ^ 0x80000000u)                                              \
  X(INT16, int16_t, 2, (uint16_t)v ^ 0x8000u)                                                  \
  X(INT8, int8_t, 1, (uint8_t)v ^ 0x80u)                                                       \
  X(UINT8, uint8_t, 1, (uint64_t)v)                                                            \
  X(BOOL, uint8_t, 1, (uint64_t)(v != 0))                                                      \
  X(FLOAT16, uint16_t, 2, key_h16(v, 0x7c00))                                                  \
  X(BFLOAT16, uint16_t, 2, key_h16(v, 0x7f80))

typedef void (*load_fn)(const char *row, int64_t st, int64_t n, uint64_t flip, kv *out);
#define DEF_LOAD(E, T, NB, KEY)                                                                \
  static void load_##E(const char *row, int64_t st, int64_t n, uint64_t flip, kv *out) {       \
    for (int64_t j = 0; j < n; j++) {                                                          \
      T v = *(const T *)(row + j * st);                                                        \
      out[j].k = (KEY) ^ flip;                                                                 \
      out[j].i = j;                                                                            \
    }                                                                                          \
  }
KEY_TYPES(DEF_LOAD)

static load_fn load_for(lt_dtype t, int *nbytes) {
  switch (t) {
#define LOAD_CASE(E, T, NB, KEY) case LT_##E: *nbytes = NB; return load_##E;
    KEY_TYPES(LOAD_CASE)
#undef LOAD_CASE
  default: return NULL;
  }
}

/* ---- sorting (key, position) pairs ---- */
static void insertion_sort(kv *a, int64_t n) {
  for (int64_t i = 1; i < n; i++) {
    kv x = a[i];
    int64_t j = i;
    while (j > 0 && a[j - 1].k > x.k) { a[j] = a[j - 1]; j--; }
    a[j] = x;
  }
}

/* Stable LSD radix sort on the low nbytes of the keys; returns a or tmp, whichever holds
 * the result. */
static kv *radix_sort(kv *a, kv *tmp, int64_t n, int nbytes) {
  if (n <= 48) { insertion_sort(a, n); return a; }
  int64_t cnt[8][256];
  memset(cnt, 0, sizeof(int64_t) * 256 * (size_t)nbytes);
  for (int64_t i = 0; i < n; i++) {
    uint64_t k = a[i].k;
    for (int b = 0; b < nbytes; b++) cnt[b][(k >> (8 * b)) & 255]++;
  }
  kv *src = a, *dst = tmp;
  for (int b = 0; b < nbytes; b++) {
    int sh = 8 * b;
    if (cnt[b][(src[0].k >> sh) & 255] == n) continue;   /* every key has this byte */
    int64_t pos[256], s = 0;
    for (int v = 0; v < 256; v++) { pos[v] = s; s += cnt[b][v]; }
    for (int64_t i = 0; i < n; i++) dst[pos[(src[i].k >> sh) & 255]++] = src[i];
    kv *t = src; src = dst; dst = t;
  }
  return src;
}

/* stable merge of a[0..na) and b[0..nb) (a's items first on ties) into out */
static void merge_runs(const kv *a, int64_t na, const kv *b, int64_t nb, kv *out) {
  int64_t i = 0, j = 0, o = 0;
  while (i < na && j < nb) out[o++] = b[j].k < a[i].k ? b[j++] : a[i++];
  while (i < na) out[o++] = a[i++];
  while (j < nb) out[o++] = b[j++];
}

/* One long row with threads: chunks sorted in parallel, then merged pairwise. */
static kv *parallel_sort(kv *a, kv *tmp, int64_t n, int nbytes, int nt) {
  int p = nt;
  int64_t bnd[257];
  if (p > 256) p = 256;
  for (int c = 0; c <= p; c++) bnd[c] = n * c / p;
#pragma omp parallel for schedule(static, 1) num_threads(p)
  for (int c = 0; c < p; c++) {
    kv *r = radix_sort(a + bnd[c], tmp + bnd[c], bnd[c + 1] - bnd[c], nbytes);
    if (r != a + bnd[c]) memcpy(a + bnd[c], r, sizeof(kv) * (size_t)(bnd[c + 1] - bnd[c]));
  }
  kv *src = a, *dst = tmp;
  for (int w = 1; w < p; w *= 2) {
    int pairs = (p + 2 * w - 1) / (2 * w);
#pragma omp parallel for schedule(static, 1)
    for (int q = 0; q < pairs; q++) {
      int c0 = q * 2 * w, c1 = LT_MIN(c0 + w, p), c2 = LT_MIN(c0 + 2 * w, p);
      merge_runs(src + bnd[c0], bnd[c1] - bnd[c0], src + bnd[c1], bnd[c2] - bnd[c1], dst + bnd[c0]);
    }
    kv *t = src; src = dst; dst = t;
  }
  return src;
}

static inline bool kv_lt(kv a, kv b) { return a.k < b.k || (a.k == b.k && a.i < b.i); }
static int kv_cmp(const void *x, const void *y) {
  kv a = *(const kv *)x, b = *(const kv *)y;
  return kv_lt(a, b) ? -1 : kv_lt(b, a) ? 1 : 0;
}

/* Afterwards a[0..k) hold the k smallest pairs (in no particular order); 0 < k <= n. */
static void select_k(kv *a, int64_t n, int64_t k) {
  int64_t lo = 0, hi = n - 1, t = k - 1;
  int depth = 0;
  while (hi > lo) {
    if (++depth > 80) { qsort(a + lo, (size_t)(hi - lo + 1), sizeof(kv), kv_cmp); return; }
    int64_t mid = lo + (hi - lo) / 2;
    kv x;
    if (kv_lt(a[mid], a[lo])) { x = a[mid]; a[mid] = a[lo]; a[lo] = x; }
    if (kv_lt(a[hi], a[lo])) { x = a[hi]; a[hi] = a[lo]; a[lo] = x; }
    if (kv_lt(a[hi], a[mid])) { x = a[hi]; a[hi] = a[mid]; a[mid] = x; }
    kv piv = a[mid];
    int64_t i = lo, j = hi;
    while (i <= j) {
      while (kv_lt(a[i], piv)) i++;
      while (kv_lt(piv, a[j])) j--;
      if (i <= j) { x = a[i]; a[i] = a[j]; a[j] = x; i++; j--; }
    }
    if (t <= j) hi = j;
    else if (t >= i) lo = i;
    else return;
  }
}

/* ---- rows ---- */

/* element offset of row r: r enumerates the positions of the dims other than dim */
static int64_t row_offset(const lt_tensor *t, int dim, int64_t r) {
  int64_t off = 0;
  for (int d = t->ndim - 1; d >= 0; d--) {
    if (d == dim) continue;
    off += (r % t->size[d]) * t->stride[d];
    r /= t->size[d];
  }
  return off;
}

typedef struct {
  const lt_tensor *a;
  lt_tensor *vals, *inds;
  int dim;
  int64_t n, k;          /* row length, results kept per row */
  load_fn load;
  int nbytes;
  uint64_t flip;
  bool select;           /* topk with k small: stream_select instead of a full sort */
  int64_t cap;           /* its buffer's size */
} sort_job;

static void emit_row(const sort_job *J, int64_t r, const kv *s) {
  size_t es = lt_dtype_size(J->a->dtype);
  const char *row = (const char *)lt_data(J->a) + row_offset(J->a, J->dim, r) * (int64_t)es;
  int64_t ast = J->a->stride[J->dim] * (int64_t)es;
  char *vrow = (char *)lt_data(J->vals) + row_offset(J->vals, J->dim, r) * (int64_t)es;
  int64_t vst = J->vals->stride[J->dim] * (int64_t)es;
  int64_t *irow = (int64_t *)lt_data(J->inds) + row_offset(J->inds, J->dim, r);
  int64_t ist = J->inds->stride[J->dim];
  for (int64_t j = 0; j < J->k; j++) irow[j * ist] = s[j].i;
  switch (es) {
#define EMIT(T)                                                                                \
  for (int64_t j = 0; j < J->k; j++) *(T *)(vrow + j * vst) = *(const T *)(row + s[j].i * ast); \
  break;
  case 1: EMIT(uint8_t)
  case 2: EMIT(uint16_t)
  case 4: EMIT(uint32_t)
  default: EMIT(uint64_t)
#undef EMIT
  }
}

/* topk with k small: a buffer of candidates is cut back to the best k whenever it fills,
 * and the k-th best so far filters the rest of the row (later positions lose ties). */
#define TOPK_BLOCK 1024
static kv *stream_select(const sort_job *J, const char *row, int64_t st, kv *buf, int64_t cap) {
  int64_t n = J->n, k = J->k, m = 0;
  kv blk[TOPK_BLOCK];
  bool have = false;
  uint64_t thr = 0;
  for (int64_t j0 = 0; j0 < n; j0 += TOPK_BLOCK) {
    int64_t c = LT_MIN((int64_t)TOPK_BLOCK, n - j0);
    J->load(row + j0 * st, st, c, J->flip, blk);
    for (int64_t j = 0; j < c; j++) {
      if (have && blk[j].k >= thr) continue;
      buf[m].k = blk[j].k;
      buf[m++].i = blk[j].i + j0;
      if (m == cap) {
        select_k(buf, m, k);
        m = k;
        thr = buf[0].k;
        for (int64_t q = 1; q < k; q++) if (buf[q].k > thr) thr = buf[q].k;
        have = true;
      }
    }
  }
  if (m > k) select_k(buf, m, k);
  qsort(buf, (size_t)k, sizeof(kv), kv_cmp);
  return buf;
}

static void do_row(const sort_job *J, int64_t r, kv *buf, kv *tmp, int nt) {
  size_t es = lt_dtype_size(J->a->dtype);
  const char *row = (const char *)lt_data(J->a) + row_offset(J->a, J->dim, r) * (int64_t)es;
  int64_t st = J->a->stride[J->dim] * (int64_t)es;
  kv *s;
  if (J->select) s = stream_select(J, row, st, buf, J->cap);
  else {
    J->load(row, st, J->n, J->flip, buf);
    s = nt > 1 ? parallel_sort(buf, tmp, J->n, J->nbytes, nt) : radix_sort(buf, tmp, J->n, J->nbytes);
  }
  emit_row(J, r, s);
}

static int run_rows(const char *op, const sort_job *J) {
  int64_t n = J->n, rows = n ? lt_numel(J->a) / n : 0;
  if (rows == 0 || J->k == 0) return 0;
  int nt = lt_threads();
  bool par = nt > 1 && rows * n >= LT_PARALLEL_GRAIN;
  size_t need = sizeof(kv) * (size_t)(J->select ? J->cap : 2 * n);
  if (!par || (rows < nt && !J->select && n >= LT_PARALLEL_GRAIN)) {
    /* rows one after another; a long row is itself sorted by all threads */
    kv *buf = malloc(need);
    if (!buf) LT_FAIL(-1, "%s: out of memory (%lld elements per row)", op, (long long)n);
    for (int64_t r = 0; r < rows; r++) do_row(J, r, buf, J->select ? NULL : buf + n, par ? nt : 1);
    free(buf);
    return 0;
  }
  int failed = 0;
#pragma omp parallel
  {
    kv *buf = malloc(need);
    if (!buf) {
#pragma omp atomic write
      failed = 1;
    }
#pragma omp for schedule(dynamic, 1)
    for (int64_t r = 0; r < rows; r++)
      if (buf) do_row(J, r, buf, J->select ? NULL : buf + n, 1);
    free(buf);
  }
  if (failed) LT_FAIL(-1, "%s: out of memory (%lld elements per row)", op, (long long)n);
  return 0;
}

/* common to sort and topk: dim resolved, k results per row */
static int sort_topk(const char *op, const lt_tensor *a, int64_t k, int dim, bool desc,
                     lt_tensor **values, lt_tensor **indices) {
  if (values) *values = NULL;
  if (indices) *indices = NULL;
  lt_tensor av;
  lt_view_init(&av, a);
  if (!a->storage && a->ndim == 0) {   /* Torch7's empty tensor: empty results */
    av.ndim = 1;
    av.size[0] = 0;
    av.stride[0] = 1;
    if (dim < 0) dim = 0;
  } else if (a->ndim == 0) {       /* a single element: a row of one */
    av.ndim = 1;
    av.size[0] = 1;
    av.stride[0] = 1;
    if (dim < 0) dim = 0;
  }
  if (dim < 0) dim = av.ndim - 1;
  if (lt_check_dim(op, &av, dim) < 0) return -1;
  int64_t n = av.size[dim];
  if (k < 0 || k > n)
    LT_FAIL(-1, "%s: k (%lld) out of range for dimension %d of size %lld", op, (long long)k,
            dim + 1, (long long)n);
  sort_job J = {.a = &av, .dim = dim, .n = n, .k = k};
  J.load = load_for(a->dtype, &J.nbytes);
  if (!J.load) LT_FAIL(-1, "%s: not defined for %sTensor", op, lt_dtype_name(a->dtype));
  J.flip = desc ? (J.nbytes == 8 ? UINT64_MAX : (1ull << (8 * J.nbytes)) - 1) : 0;
  J.select = k < n && n > 64 && k * 8 < n;
  J.cap = LT_MIN(n, LT_MAX(4 * k, 256));
  int64_t size[LT_MAXDIM];
  memcpy(size, av.size, sizeof(int64_t) * av.ndim);
  size[dim] = k;
  J.vals = lt_empty(av.ndim, size, a->dtype, a->device);
  J.inds = lt_empty(av.ndim, size, LT_INT64, a->device);
  int rc = -1;
  if (J.vals && J.inds) {
    if (a->device.type == LT_CPU) rc = run_rows(op, &J);
    else {   /* the backend sorts on the device (same keys, same order) */
      const lt_backend *be = lt_backend_for(a->device);
      rc = be ? be->sort(&av, dim, k, desc, J.vals, J.inds) : -1;
    }
  }
  if (rc < 0) {
    lt_release(J.vals);
    lt_release(J.inds);
    return -1;
  }
  if (a->ndim == 0 && a->storage && k == 1) {       /* back to 0-dim */
    J.vals->ndim = J.inds->ndim = 0;
  }
  if (values) *values = J.vals; else lt_release(J.vals);
  if (indices) *indices = J.inds; else lt_release(J.inds);
  return 0;
}

int lt_sort(const lt_tensor *a, int dim, bool descending, lt_tensor **values, lt_tensor **indices) {
  if (LT_AG1(a)) return lt_ag_sort_topk(false, a, 0, dim, descending, false, values, indices);
  int64_t n = a->ndim == 0 ? (a->storage ? 1 : 0) : (dim < 0 ? a->size[a->ndim - 1] : (dim < a->ndim ? a->size[dim] : 0));
  return sort_topk("sort", a, n, dim, descending, values, indices);
}

int lt_topk(const lt_tensor *a, int64_t k, int dim, bool largest, bool sorted,
            lt_tensor **values, lt_tensor **indices) {
  if (LT_AG1(a)) return lt_ag_sort_topk(true, a, k, dim, largest, sorted, values, indices);
  (void)sorted;   /* the k results always come sorted (Torch7 leaves the order open) */
  return sort_topk("topk", a, k, dim, largest, values, indices);
}
