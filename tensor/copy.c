/* copy.c: copy and conversion between dtypes and devices, fill, element access,
 * and the backend table (CPU built in, CUDA loaded on first use). */
#include "internal.h"
#include "autograd.h"
#include <dlfcn.h>
#include <stdio.h>
#include <math.h>

/* ---- typed conversion loops ---- */
#define CONV_TYPES(X, A, B) \
  X(FLOAT32, float, A, B) X(FLOAT64, double, A, B) X(INT64, int64_t, A, B) X(INT32, int32_t, A, B) \
  X(INT16, int16_t, A, B) X(INT8, int8_t, A, B) X(UINT8, uint8_t, A, B) X(BOOL, uint8_t, A, B)

/* float -> integer conversions saturate (and NaN gives 0) instead of invoking UB */
static inline int64_t f2i(double v, double lo, double hi) {
  if (v != v) return 0;
  if (v <= lo) return (int64_t)lo;
  if (v >= hi) return hi >= 9.2233720368547758e18 ? INT64_MAX : (int64_t)hi;   /* (int64_t)2^63 is UB */
  return (int64_t)v;
}
#define CV_FLOAT32(v) ((float)(v))
#define CV_FLOAT64(v) ((double)(v))
/* integer results: from floats saturate (no UB), from integers wrap (C, Torch7), as the
 * integer arithmetic does (LongTensor{2^32+5}:int() is 5) */
#define IS_FP(v) _Generic((v), float: 1, double: 1, default: 0)
#define CV_INT64(v) (IS_FP(v) ? f2i((double)(v), -9.2233720368547758e18, 9.2233720368547758e18) : (int64_t)(v))
#define CV_INT32(v) (IS_FP(v) ? (int32_t)f2i((double)(v), -2147483648.0, 2147483647.0) : (int32_t)(v))
#define CV_INT16(v) (IS_FP(v) ? (int16_t)f2i((double)(v), -32768.0, 32767.0) : (int16_t)(v))
#define CV_INT8(v) (IS_FP(v) ? (int8_t)f2i((double)(v), -128.0, 127.0) : (int8_t)(v))
#define CV_UINT8(v) (IS_FP(v) ? (uint8_t)f2i((double)(v), 0.0, 255.0) : (uint8_t)(v))
#define CV_BOOL(v) ((uint8_t)((v) != 0))
/* the integer sources convert with plain C casts (wrapping, as Torch7) */
#define IS_FLOAT_FLOAT32 1
#define IS_FLOAT_FLOAT64 1

#define DEF_CONV(DE, DT, SE, ST)                                                        \
  static void conv_##SE##_##DE(char **d, const int64_t *s, int64_t n, void *ctx) {      \
    (void)ctx;                                                                          \
    if (s[0] == sizeof(DT) && s[1] == sizeof(ST)) {                                     \
      DT *o = (DT *)d[0];                                                               \
      const ST *a = (const ST *)d[1];                                                   \
      for (int64_t i = 0; i < n; i++) o[i] = CV_##DE(a[i]);                             \
    } else                                                                              \
      for (int64_t i = 0; i < n; i++)                                                   \
        *(DT *)(d[0] + i * s[0]) = CV_##DE(*(const ST *)(d[1] + i * s[1]));             \
  }
/* the same list again: a macro cannot expand inside its own expansion */
#define CONV_TYPES2(X, A, B) \
  X(FLOAT32, float, A, B) X(FLOAT64, double, A, B) X(INT64, int64_t, A, B) X(INT32, int32_t, A, B) \
  X(INT16, int16_t, A, B) X(INT8, int8_t, A, B) X(UINT8, uint8_t, A, B) X(BOOL, uint8_t, A, B)
#define CONV_FROM(SE, ST, A, B) CONV_TYPES2(DEF_CONV_SWAP, SE, ST)
#define DEF_CONV_SWAP(DE, DT, SE, ST) DEF_CONV(DE, DT, SE, ST)
CONV_TYPES(CONV_FROM, 0, 0)

static lt_loop_fn conv_tab[LT_NDTYPES][LT_NDTYPES]; /* [src][dst] */
#define REG_CONV(DE, DT, SE, ST) conv_tab[LT_##SE][LT_##DE] = conv_##SE##_##DE;
#define REG_FROM(SE, ST, A, B) CONV_TYPES2(REG_CONV, SE, ST)
__attribute__((constructor)) static void register_conv(void) { CONV_TYPES(REG_FROM, 0, 0) }

/* same dtype: move bytes */
#define DEF_MOVE(N, T)                                                                  \
  static void move_##N(char **d, const int64_t *s, int64_t n, void *ctx) {              \
    (void)ctx;                                                                          \
    if (s[0] == N && s[1] == N) memcpy(d[0], d[1], (size_t)n * N);                       \
    else if (s[0] == N && s[1] == 0) { /* an expanded source: a fill the compiler vectorizes */ \
      T v = *(const T *)d[1], *o = (T *)d[0];                                           \
      for (int64_t i = 0; i < n; i++) o[i] = v;                                         \
    } else for (int64_t i = 0; i < n; i++) *(T *)(d[0] + i * s[0]) = *(const T *)(d[1] + i * s[1]); \
  }
DEF_MOVE(1, uint8_t)
DEF_MOVE(2, uint16_t)
DEF_MOVE(4, uint32_t)
DEF_MOVE(8, uint64_t)

/* anything else (half types): through double */
typedef struct { lt_dtype dt, st; } generic_ctx;
static void conv_generic(char **d, const int64_t *s, int64_t n, void *ctx) {
  generic_ctx *g = ctx;
  for (int64_t i = 0; i < n; i++) lt_store(g->dt, d[0] + i * s[0], lt_load(g->st, d[1] + i * s[1]));
}

/* A transposed 2-D copy of one dtype (dst rows contiguous, src columns contiguous, as
 * m:t():contiguous()) in square tiles: each tile's reads and writes stay in the cache,
 * where the iterator's row-by-row walk takes a cache line per element read. Tiles of 32,
 * or of 8 when a row stride is a multiple of 4 KiB (then the tile's source lines all fall
 * in one L1 set and a larger tile evicts its own lines). */
#define TILE 32
#define DEF_TRANSPOSE(N, T)                                                               \
  static void transpose_##N(char *dp, const char *sp, int64_t rows, int64_t cols,         \
                            int64_t dld, int64_t sld) {                                   \
    int64_t tl = (sld * N) % 4096 == 0 || (dld * N) % 4096 == 0 ? 8 : TILE;               \
    int64_t tiles = (rows + tl - 1) / tl;                                                 \
    _Pragma("omp parallel for schedule(static) if (rows * cols >= LT_PARALLEL_GRAIN)")    \
    for (int64_t t = 0; t < tiles; t++) {                                                 \
      int64_t i0 = t * tl, i1 = LT_MIN(rows, i0 + tl);                                   \
      for (int64_t j0 = 0; j0 < cols; j0 += tl) {                                         \
        int64_t j1 = LT_MIN(cols, j0 + tl);                                              \
        /* all of the tile's loads, then all of its stores: stores between the loads   \
         * can falsely depend on them (addresses equal modulo 4 KiB) */                  \
        T buf[TILE * TILE];                                                               \
        for (int64_t i = i0; i < i1; i++) {                                               \
          const T *s = (const T *)sp + i;                                                 \
          for (int64_t j = j0; j < j1; j++) buf[(i - i0) * TILE + (j - j0)] = s[j * sld]; \
        }                                                                                 \
        for (int64_t i = i0; i < i1; i++)                                                 \
          memcpy((T *)dp + i * dld + j0, buf + (i - i0) * TILE, sizeof(T) * (size_t)(j1 - j0)); \
      }                                                                                   \
    }                                                                                     \
  }
DEF_TRANSPOSE(1, uint8_t)
DEF_TRANSPOSE(2, uint16_t)
DEF_TRANSPOSE(4, uint32_t)
DEF_TRANSPOSE(8, uint64_t)

static bool try_transpose(lt_tensor *dst, const lt_tensor *src) {
  /* (8-byte elements: the iterator's walk measured faster than these tiles) */
  if (dst->dtype != src->dtype || dst->ndim != 2 || src->ndim != 2 || lt_dtype_size(dst->dtype) > 4)
    return false;
  int64_t rows = dst->size[0], cols = dst->size[1];
  if (rows < TILE || cols < TILE || dst->stride[1] != 1 || src->stride[0] != 1 ||
      src->stride[1] < rows || dst->stride[0] < cols)
    return false;
  char *dp = (char *)lt_data(dst);
  const char *sp = (const char *)lt_data(src);
  switch (lt_dtype_size(dst->dtype)) {
  case 1: transpose_1(dp, sp, rows, cols, dst->stride[0], src->stride[1]); break;
  case 2: transpose_2(dp, sp, rows, cols, dst->stride[0], src->stride[1]); break;
  case 4: transpose_4(dp, sp, rows, cols, dst->stride[0], src->stride[1]); break;
  default: transpose_8(dp, sp, rows, cols, dst->stride[0], src->stride[1]); break;
  }
  return true;
}

int lt_cpu_copy(lt_tensor *dst, const lt_tensor *src) {
  lt_loop_fn fn;
  generic_ctx g = {dst->dtype, src->dtype};
  if (dst->dtype == src->dtype) {
    switch (lt_dtype_size(dst->dtype)) {
    case 1: fn = move_1; break;
    case 2: fn = move_2; break;
    case 4: fn = move_4; break;
    default: fn = move_8; break;
    }
  } else {
    fn = conv_tab[src->dtype][dst->dtype];
    if (!fn) fn = conv_generic;
  }
  int64_t n = lt_numel(dst);
  if (n == 0) return 0;
  if (lt_is_contiguous(dst) && lt_is_contiguous(src) && n < LT_PARALLEL_GRAIN) {
    char *d[2] = {(char *)lt_data(dst), (char *)lt_data(src)};
    int64_t s[2] = {(int64_t)lt_dtype_size(dst->dtype), (int64_t)lt_dtype_size(src->dtype)};
    fn(d, s, n, &g);
    return 0;
  }
  if (try_transpose(dst, src)) return 0;
  const lt_tensor *ops[2] = {dst, src};
  lt_iter it;
  lt_iter_init(&it, 2, ops);
  lt_iter_run(&it, fn, &g, LT_PARALLEL_GRAIN);
  return 0;
}

#define DEF_FILL(N, T)                                                                  \
  static void fill_##N(char **d, const int64_t *s, int64_t n, void *ctx) {              \
    T v = *(const T *)ctx;                                                              \
    if (s[0] == N) { T *o = (T *)d[0]; for (int64_t i = 0; i < n; i++) o[i] = v; }      \
    else for (int64_t i = 0; i < n; i++) *(T *)(d[0] + i * s[0]) = v;                   \
  }
DEF_FILL(1, uint8_t)
DEF_FILL(2, uint16_t)
DEF_FILL(4, uint32_t)
DEF_FILL(8, uint64_t)

int lt_cpu_fill(lt_tensor *t, double v) {
  union { char c[8]; uint64_t u; } buf = {{0}};
  lt_store(t->dtype, buf.c, v);
  lt_loop_fn fn;
  switch (lt_dtype_size(t->dtype)) {
  case 1: fn = fill_1; break;
  case 2: fn = fill_2; break;
  case 4: fn = fill_4; break;
  default: fn = fill_8; break;
  }
  const lt_tensor *ops[1] = {t};
  int64_t n = lt_numel(t);
  if (n == 0) return 0;
  if (lt_is_contiguous(t) && n < LT_PARALLEL_GRAIN) {
    char *d[1] = {(char *)lt_data(t)};
    int64_t s[1] = {(int64_t)lt_dtype_size(t->dtype)};
    fn(d, s, n, buf.c);
    return 0;
  }
  lt_iter it;
  lt_iter_init(&it, 1, ops);
  lt_iter_run(&it, fn, buf.c, LT_PARALLEL_GRAIN);
  return 0;
}

/* ---- entry points ---- */
int lt_copy(lt_tensor *dst, const lt_tensor *src) {
  if (dst == src) return 0;
  if (LT_AG_OUT(dst, src->requires_grad)) return lt_ag_copy(dst, src);
  int64_t n = lt_numel(dst);
  if (n != lt_numel(src)) {
    char b1[128], b2[128];
    LT_FAIL(-1, "copy: sizes %s and %s have different numbers of elements (%lld and %lld)",
            lt_shape_str(dst, b1, sizeof b1), lt_shape_str(src, b2, sizeof b2), (long long)n,
            (long long)lt_numel(src));
  }
  if (n == 0) return 0;
  if (lt_check_writable("copy", "self", dst) < 0) return -1;
  if (lt_may_overlap(dst, src)) {
    /* memmove's rule: the result is as if src were read entirely first. The same elements
     * in the same order need nothing; any other sharing goes through a temporary, since
     * a strided or chunked copy would read elements it has already overwritten. */
    if (lt_same_layout(dst, src)) return 0;
    lt_tensor *tmp = lt_empty(src->ndim, src->size, src->dtype, src->device);
    int rc = tmp ? lt_copy(tmp, src) : -1;
    if (rc == 0) rc = lt_copy(dst, tmp);
    lt_release(tmp);
    return rc;
  }
  lt_bump_version(dst);
  if (dst->device.type == LT_CPU && src->device.type == LT_CPU) {
    if (lt_same_size(dst, src)) return lt_cpu_copy(dst, src);
    /* same count, other shape: copy in row-major order through flat views */
    lt_tensor *d = lt_is_contiguous(dst) ? (lt_retain(dst), dst) : lt_empty_like(dst);
    lt_tensor *s = lt_contiguous(src);
    if (!d || !s) { lt_release(d); lt_release(s); return -1; }
    lt_tensor dv, sv;
    lt_view_init(&dv, d); dv.ndim = 1; dv.size[0] = n; dv.stride[0] = 1;
    lt_view_init(&sv, s); sv.ndim = 1; sv.size[0] = n; sv.stride[0] = 1;
    int rc = lt_cpu_copy(&dv, &sv);
    if (rc == 0 && d != dst) rc = lt_cpu_copy(dst, d);
    lt_release(d);
    lt_release(s);
    return rc;
  }
  /* a device is involved: bring both to a contiguous buffer of dst's dtype, then move */
  const lt_backend *be = lt_backend_for(lt_same_device(dst->device, src->device) || dst->device.type != LT_CPU ? dst->device : src->device);
  if (!be) return -1;
  if (lt_same_device(dst->device, src->device) && lt_same_size(dst, src)) return be->copy(dst, src);
  lt_tensor *s = NULL;
  if (src->device.type == LT_CPU) {
    s = lt_to_dtype(src, dst->dtype);
    lt_tensor *sc = s ? lt_contiguous(s) : NULL;
    lt_release(s);
    s = sc;
  } else {
    lt_tensor *sc = lt_contiguous(src);
    s = sc;
  }
  if (!s) return -1;
  if (lt_is_contiguous(dst) && dst->dtype == s->dtype) {   /* straight into dst */
    const lt_backend *mb = lt_backend_for(dst->device.type != LT_CPU ? dst->device : src->device);
    int rc = mb ? mb->memcpy(lt_data(dst), dst->device, lt_data(s), s->device, (size_t)n * lt_dtype_size(s->dtype)) : -1;
    lt_release(s);
    return rc;
  }
  lt_tensor *d = lt_empty(1, &n, s->dtype, dst->device);
  int rc = -1;
  if (d) {
    const lt_backend *mb = lt_backend_for(dst->device.type != LT_CPU ? dst->device : src->device);
    rc = mb ? mb->memcpy(lt_data(d), d->device, lt_data(s), s->device, (size_t)n * lt_dtype_size(s->dtype)) : -1;
    if (rc == 0) {
      lt_tensor dv;
      lt_view_init(&dv, d);
      lt_tensor *dview = lt_view(d, dst->ndim, dst->size);
      if (!dview) rc = -1;
      else {
        const lt_backend *db = lt_backend_for(dst->device);
        rc = db ? db->copy(dst, dview) : -1;
        lt_release(dview);
      }
    }
  }
  lt_release(d);
  lt_release(s);
  return rc;
}

lt_tensor *lt_to_dtype(const lt_tensor *t, lt_dtype dtype) {
  if (t->dtype == dtype) { lt_retain((lt_tensor *)t); return (lt_tensor *)t; }
  if (!t->storage) return lt_new_empty(dtype, t->device);
  lt_tensor *r = lt_empty(t->ndim, t->size, dtype, t->device);
  if (r && lt_copy(r, t) < 0) { lt_release(r); return NULL; }
  return r;
}

lt_tensor *lt_to_device(const lt_tensor *t, lt_device dev) {
  if (lt_same_device(t->device, dev)) { lt_retain((lt_tensor *)t); return (lt_tensor *)t; }
  if (!t->storage) return lt_new_empty(t->dtype, dev);
  lt_tensor *r = lt_empty(t->ndim, t->size, t->dtype, dev);
  if (r && lt_copy(r, t) < 0) { lt_release(r); return NULL; }
  return r;
}

int lt_fill(lt_tensor *t, double v) {
  if (LT_AG1(t)) return lt_ag_fill(t, v);
  const lt_backend *be = lt_backend_for(t->device);
  if (!be) return -1;
  lt_bump_version(t);
  return be->fill(t, v);
}

/* the address of one element (a device address for tensors on a device) */
static int elem_ptr(const char *op, const lt_tensor *t, const int64_t *index, char **p) {
  int64_t off = t->offset;
  for (int d = 0; d < t->ndim; d++) {
    if (index[d] < 0 || index[d] >= t->size[d])
      LT_FAIL(-1, "%s: index %lld out of range for dimension %d of size %lld", op,
              (long long)index[d] + 1, d + 1, (long long)t->size[d]);
    off += index[d] * t->stride[d];
  }
  if (!t->storage || t->storage->size == 0) LT_FAIL(-1, "%s: empty tensor", op);
  *p = (char *)t->storage->data + off * (int64_t)lt_dtype_size(t->dtype);
  return 0;
}

/* one element of a tensor on a device to or from the host buffer buf (8 bytes) */
static int elem_move(const lt_tensor *t, char *dev_p, char *buf, bool to_device) {
  const lt_backend *be = lt_backend_for(t->device);
  if (!be) return -1;
  size_t es = lt_dtype_size(t->dtype);
  return to_device ? be->memcpy(dev_p, t->device, buf, lt_cpu(), es) : be->memcpy(buf, lt_cpu(), dev_p, t->device, es);
}

double lt_get(const lt_tensor *t, const int64_t *index) {
  char *p;
  if (elem_ptr("get", t, index, &p) < 0) return NAN;
  if (t->device.type != LT_CPU) {
    _Alignas(8) char buf[8];
    if (elem_move(t, p, buf, false) < 0) return NAN;
    return lt_load(t->dtype, buf);
  }
  return lt_load(t->dtype, p);
}
int64_t lt_get_int(const lt_tensor *t, const int64_t *index) {
  char *p;
  if (elem_ptr("get", t, index, &p) < 0) return 0;
  if (t->device.type != LT_CPU) {
    _Alignas(8) char buf[8];
    if (elem_move(t, p, buf, false) < 0) return 0;
    return lt_load_int(t->dtype, buf);
  }
  return lt_load_int(t->dtype, p);
}
int lt_put(lt_tensor *t, const int64_t *index, double v) {
  if (LT_AG1(t)) return lt_ag_put(t, index, v);
  char *p;
  if (elem_ptr("set", t, index, &p) < 0) return -1;
  if (t->device.type != LT_CPU) {
    _Alignas(8) char buf[8];
    lt_store(t->dtype, buf, v);
    if (elem_move(t, p, buf, true) < 0) return -1;
  } else {
    lt_store(t->dtype, p, v);
  }
  lt_bump_version(t);
  return 0;
}

/* ---- backends ---- */
static void *cpu_alloc(size_t n, int dev) { (void)dev; return lt_cpu_alloc(n); }
static void cpu_free(void *p, size_t n, int dev) { (void)dev; lt_cpu_free(p, n); }
static int cpu_memcpy(void *dst, lt_device dd, const void *src, lt_device sd, size_t n) {
  (void)dd; (void)sd;
  memcpy(dst, src, n);
  return 0;
}
static int cpu_device_count(void) { return 1; }

const lt_backend lt_cpu_backend = {
  .name = "cpu",
  .alloc = cpu_alloc,
  .free = cpu_free,
  .memcpy = cpu_memcpy,
  .copy = lt_cpu_copy,
  .fill = lt_cpu_fill,
  .unary = lt_cpu_unary,
  .binary = lt_cpu_binary,
  .binary_scalar = lt_cpu_binary_scalar,
  .device_count = cpu_device_count,
};

static const lt_backend *cuda_backend;
static bool cuda_tried;
static char cuda_error[512];
static bool cuda_tf32;      /* torch.cuda.setTF32, applied when the backend loads */
static int cuda_current;    /* the default device, 0-based */

#ifndef LT_CUDA_LIB
#define LT_CUDA_LIB "libluatorch_cuda.so"
#endif

static void load_cuda(void) {
  cuda_tried = true;
  const char *path = getenv("LUATORCH_CUDA_LIB");
  void *h = NULL;
  if (path) h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  else {
    /* beside the engine's own file: lib/ for libluatorch.so, lib/lua/5.4/torch/ for the
     * Lua module (whose library is then three levels up), else the loader's path */
    Dl_info info;
    char buf[4096];
    if (dladdr((void *)load_cuda, &info) && info.dli_fname) {
      const char *slash = strrchr(info.dli_fname, '/');
      int len = slash ? (int)(slash - info.dli_fname) : 0;
      static const char *rel[] = {"/", "/../../../"};
      for (int i = 0; i < 2 && !h; i++) {
        snprintf(buf, sizeof buf, "%.*s%s%s", len, info.dli_fname, rel[i], LT_CUDA_LIB);
        h = dlopen(buf, RTLD_NOW | RTLD_LOCAL);
      }
    }
    if (!h) h = dlopen(LT_CUDA_LIB, RTLD_NOW | RTLD_LOCAL);
  }
  if (!h) {
    snprintf(cuda_error, sizeof cuda_error, "CUDA is not available: the CUDA backend (%s) could not be loaded (%s)",
             path ? path : LT_CUDA_LIB, dlerror());
    return;
  }
  typedef const lt_backend *(*init_fn)(char *, size_t, void (*)(const char *, ...));
  init_fn init = (init_fn)dlsym(h, "lt_cuda_backend_init");
  if (!init) {
    snprintf(cuda_error, sizeof cuda_error, "CUDA is not available: %s has no lt_cuda_backend_init", LT_CUDA_LIB);
    return;
  }
  cuda_backend = init(cuda_error, sizeof cuda_error, lt_seterr);
  if (cuda_backend && cuda_tf32 && cuda_backend->set_tf32) cuda_backend->set_tf32(true);
}

const lt_backend *lt_backend_for(lt_device d) {
  if (d.type == LT_CPU) return &lt_cpu_backend;
  if (d.type == LT_CUDA) {
    if (!cuda_tried) load_cuda();
    if (!cuda_backend) LT_FAIL(NULL, "%s", cuda_error);
    if (d.index < 0 || d.index >= cuda_backend->device_count())
      LT_FAIL(NULL, "cuda device %d does not exist (%d available)", d.index + 1, cuda_backend->device_count());
    return cuda_backend;
  }
  LT_FAIL(NULL, "unknown device type %d", d.type);
}

int lt_cuda_available(void) {
  if (!cuda_tried) load_cuda();
  if (!cuda_backend) LT_FAIL(-1, "%s", cuda_error);
  return cuda_backend->device_count() > 0 ? 1 : 0;
}
int lt_cuda_device_count(void) {
  if (!cuda_tried) load_cuda();
  return cuda_backend ? cuda_backend->device_count() : 0;
}
int lt_cuda_synchronize(int device) {
  const lt_backend *be = lt_backend_for((lt_device){LT_CUDA, (int8_t)device});
  if (!be) return -1;
  return be->synchronize(device);
}

/* the CUDA backend with the named device checked (NULL with the error set) */
static const lt_backend *cuda_dev(int device) {
  return lt_backend_for((lt_device){LT_CUDA, (int8_t)(device < 0 || device > 127 ? 127 : device)});
}
int lt_cuda_set_device(int device) {
  if (!cuda_dev(device)) return -1;
  cuda_current = device;
  return 0;
}
int lt_cuda_get_device(void) { return cuda_current; }
int lt_cuda_memory_stats(int device, lt_cuda_mem_stats *st, bool reset_peak) {
  const lt_backend *be = cuda_dev(device);
  if (!be) return -1;
  if (!be->mem_stats) LT_FAIL(-1, "cuda: memory statistics are not available");
  return be->mem_stats(device, st, reset_peak);
}
int lt_cuda_empty_cache(int device) {
  const lt_backend *be = cuda_dev(device < 0 ? 0 : device);
  if (!be) return -1;
  return be->empty_cache ? be->empty_cache(device) : 0;
}
int lt_cuda_memory_info(int device, int64_t *free_bytes, int64_t *total_bytes) {
  const lt_backend *be = cuda_dev(device);
  if (!be) return -1;
  if (!be->mem_info) LT_FAIL(-1, "cuda: memory information is not available");
  return be->mem_info(device, free_bytes, total_bytes);
}
int lt_cuda_device_properties(int device, lt_cuda_props *p) {
  const lt_backend *be = cuda_dev(device);
  if (!be) return -1;
  if (!be->device_props) LT_FAIL(-1, "cuda: device properties are not available");
  return be->device_props(device, p);
}
void lt_cuda_set_tf32(bool on) {
  cuda_tf32 = on;
  if (cuda_backend && cuda_backend->set_tf32) cuda_backend->set_tf32(on);
}
bool lt_cuda_get_tf32(void) { return cuda_tf32; }
int lt_cuda_solver_available(int device, char *why, size_t n) {
  const lt_backend *be = cuda_dev(device);
  if (!be) return -1;
  if (!be->solver_status) { snprintf(why, n, "this CUDA backend has no cuSOLVER path"); return 0; }
  return be->solver_status(device, why, n);
}
