/* data.c (bindings): torch.data's readers written in C: IDX files (Yann LeCun's format,
 * as MNIST and Fashion-MNIST ship), gzipped or plain, read through zlib straight into
 * the tensor's memory; and the matching writer.
 *
 * IDX: two zero bytes, a type byte, the number of dims; then one big-endian uint32 per
 * dim; then the elements, big-endian, row-major. Types: 0x08 uint8, 0x09 int8, 0x0B
 * int16, 0x0C int32, 0x0D float32, 0x0E float64. */
#include "lt_lua.h"
#include <zlib.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#define IDX_CHUNK (1u << 30)   /* gzread takes an unsigned int: read in pieces */
#define GZ_MAX_RATIO 1032      /* deflate expands at most ~1032:1 */

static const struct { int code; lt_dtype dt; const char *what; } idx_types[] = {
  {0x08, LT_UINT8, "unsigned byte"}, {0x09, LT_INT8, "signed byte"},
  {0x0B, LT_INT16, "short"},         {0x0C, LT_INT32, "int"},
  {0x0D, LT_FLOAT32, "float"},       {0x0E, LT_FLOAT64, "double"},
};
#define IDX_NTYPES (int)(sizeof idx_types / sizeof idx_types[0])

/* big-endian file order <-> host order, in place (a no-op on big-endian hosts) */
static void swap_bytes(void *p, int64_t n, size_t esize) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  (void)p; (void)n; (void)esize;
#else
  if (esize == 2) {
    uint16_t *q = p;
    for (int64_t i = 0; i < n; i++) q[i] = __builtin_bswap16(q[i]);
  } else if (esize == 4) {
    uint32_t *q = p;
    for (int64_t i = 0; i < n; i++) q[i] = __builtin_bswap32(q[i]);
  } else if (esize == 8) {
    uint64_t *q = p;
    for (int64_t i = 0; i < n; i++) q[i] = __builtin_bswap64(q[i]);
  }
#endif
}

/* reads up to n bytes; returns the count read, or -1 with a message in err */
static int64_t gz_readall(gzFile f, void *buf, int64_t n, char *err, size_t errn) {
  int64_t got = 0;
  while (got < n) {
    unsigned want = (unsigned)(n - got < IDX_CHUNK ? n - got : IDX_CHUNK);
    int r = gzread(f, (char *)buf + got, want);
    if (r < 0) {
      int code;
      const char *m = gzerror(f, &code);
      snprintf(err, errn, "%s", code == Z_ERRNO ? strerror(errno) : m);
      return -1;
    }
    if (r == 0) break;
    got += r;
  }
  return got;
}

static void fmt_dims(char *buf, size_t n, int nd, const int64_t *size) {
  size_t k = 0;
  buf[0] = 0;
  for (int i = 0; i < nd && k < n; i++)
    k += (size_t)snprintf(buf + k, n - k, i ? "x%lld" : "%lld", (long long)size[i]);
}

/* The reader proper: a tensor, or NULL with the message (without the prefix) in err. */
static lt_tensor *idx_read(const char *path, char *err, size_t errn) {
  struct stat st;
  if (stat(path, &st) != 0) { snprintf(err, errn, "cannot open (%s)", strerror(errno)); return NULL; }
  if (S_ISDIR(st.st_mode)) { snprintf(err, errn, "is a directory"); return NULL; }
  gzFile f = gzopen(path, "rb");
  if (!f) { snprintf(err, errn, "cannot open (%s)", errno ? strerror(errno) : "out of memory"); return NULL; }
  gzbuffer(f, 1 << 18);
  lt_tensor *t = NULL;
  unsigned char head[4 + 4 * 255];
  int64_t got = gz_readall(f, head, 4, err, errn);
  if (got < 0) goto fail;
  if (got < 4) {
    snprintf(err, errn, "truncated header: %lld bytes, an IDX header has at least 4", (long long)got);
    goto fail;
  }
  if (head[0] != 0 || head[1] != 0) {
    snprintf(err, errn, "not an IDX file: bad magic number 0x%02X%02X%02X%02X (should begin 0x0000)",
             head[0], head[1], head[2], head[3]);
    goto fail;
  }
  int ti = -1;
  for (int i = 0; i < IDX_NTYPES; i++)
    if (idx_types[i].code == head[2]) ti = i;
  if (ti < 0) {
    snprintf(err, errn, "unknown IDX element type 0x%02X (known: 0x08, 0x09, 0x0B, 0x0C, 0x0D, 0x0E)", head[2]);
    goto fail;
  }
  int nd = head[3];
  if (nd < 1 || nd > LT_MAXDIM) {
    snprintf(err, errn, "malformed header: %d dimensions (1 to %d supported)", nd, LT_MAXDIM);
    goto fail;
  }
  got = gz_readall(f, head + 4, 4 * nd, err, errn);
  if (got < 0) goto fail;
  if (got < 4 * nd) {
    snprintf(err, errn, "truncated header: %d dimensions need %d bytes of sizes, the file has %lld",
             nd, 4 * nd, (long long)got);
    goto fail;
  }
  int64_t size[LT_MAXDIM], n = 1, bytes;
  size_t es = lt_dtype_size(idx_types[ti].dt);
  bool overflow = false;
  for (int i = 0; i < nd; i++) {
    const unsigned char *p = head + 4 + 4 * i;
    size[i] = ((int64_t)p[0] << 24) | ((int64_t)p[1] << 16) | ((int64_t)p[2] << 8) | p[3];
    if (__builtin_mul_overflow(n, size[i], &n)) overflow = true;
  }
  char dims[LT_MAXDIM * 12];
  fmt_dims(dims, sizeof dims, nd, size);
  if (overflow || __builtin_mul_overflow(n, (int64_t)es, &bytes)) {
    snprintf(err, errn, "malformed header: sizes %s overflow", dims);
    goto fail;
  }
  /* before allocating: can the file hold what the header claims? */
  int64_t hlen = 4 + 4 * (int64_t)nd, fsize = (int64_t)st.st_size;
  if (gzdirect(f)) {
    if (S_ISREG(st.st_mode) && bytes > fsize - hlen) {
      snprintf(err, errn, "truncated: the header gives %s %ss (%lld bytes of data), the file has %lld",
               dims, idx_types[ti].what, (long long)bytes, (long long)(fsize - hlen));
      goto fail;
    }
  } else if (S_ISREG(st.st_mode) && bytes / GZ_MAX_RATIO > fsize) {
    snprintf(err, errn, "malformed header: sizes %s (%lld bytes) cannot come from %lld compressed bytes",
             dims, (long long)bytes, (long long)fsize);
    goto fail;
  }
  t = lt_empty(nd, size, idx_types[ti].dt, lt_cpu());
  if (!t) { snprintf(err, errn, "%s", lt_errmsg()); goto fail; }
  got = gz_readall(f, lt_data(t), bytes, err, errn);
  if (got < 0) goto fail;
  if (got < bytes) {
    snprintf(err, errn, "truncated: the header gives %s %ss (%lld bytes of data), the data stops after %lld",
             dims, idx_types[ti].what, (long long)bytes, (long long)got);
    goto fail;
  }
  unsigned char extra;
  got = gz_readall(f, &extra, 1, err, errn);
  if (got < 0) goto fail;
  if (got > 0) {
    snprintf(err, errn, "malformed: more data than the header's %s %ss", dims, idx_types[ti].what);
    goto fail;
  }
  gzclose(f);
  swap_bytes(lt_data(t), n, es);
  return t;
fail:
  if (t) lt_release(t);
  gzclose(f);
  return NULL;
}

/* torch.data.idx(path): the tensor the IDX file holds (ByteTensor, CharTensor,
 * ShortTensor, IntTensor, FloatTensor or DoubleTensor, with the header's dims). */
static int d_idx(lua_State *L) {
  if (lua_type(L, 1) != LUA_TSTRING)
    return luaL_error(L, "bad argument #1 to 'torch.data.idx' (file name expected, got %s)",
                      luaL_typename(L, 1));
  const char *path = lua_tostring(L, 1);
  char err[512];
  lt_tensor *t = idx_read(path, err, sizeof err);
  if (!t) return luaL_error(L, "torch.data.idx: %s: %s", path, err);
  ltb_push(L, t);
  return 1;
}

/* torch.data.saveIdx(path, tensor): writes an IDX file, gzipped when path ends in .gz */
static int d_saveidx(lua_State *L) {
  if (lua_type(L, 1) != LUA_TSTRING)
    return luaL_error(L, "bad argument #1 to 'torch.data.saveIdx' (file name expected, got %s)",
                      luaL_typename(L, 1));
  const char *path = lua_tostring(L, 1);
  lt_tensor *t = ltb_totensor(L, 2);
  if (!t) return luaL_error(L, "bad argument #2 to 'torch.data.saveIdx' (tensor expected, got %s)",
                            luaL_typename(L, 2));
  int ti = -1;
  for (int i = 0; i < IDX_NTYPES; i++)
    if (idx_types[i].dt == t->dtype) ti = i;
  if (ti < 0 || t->device.type != LT_CPU)
    return luaL_error(L, "bad argument #2 to 'torch.data.saveIdx' (a CPU Byte, Char, Short, Int, "
                      "Float or Double tensor expected, got %s)", ltb_typename(t->dtype, t->device));
  if (t->ndim < 1)
    return luaL_error(L, "bad argument #2 to 'torch.data.saveIdx' (a tensor with dimensions expected)");
  for (int i = 0; i < t->ndim; i++)
    if (t->size[i] > 0xFFFFFFFFll)
      return luaL_error(L, "bad argument #2 to 'torch.data.saveIdx' (size %I of dim %d does not fit IDX's 32 bits)",
                        (lua_Integer)t->size[i], i + 1);
  size_t len = strlen(path);
  bool gz = len > 3 && strcmp(path + len - 3, ".gz") == 0;
  gzFile f = gzopen(path, gz ? "wb6" : "wbT");
  if (!f) return luaL_error(L, "torch.data.saveIdx: %s: cannot open for writing (%s)", path, strerror(errno));
  unsigned char head[4 + 4 * LT_MAXDIM] = {0, 0, (unsigned char)idx_types[ti].code, (unsigned char)t->ndim};
  for (int i = 0; i < t->ndim; i++) {
    uint32_t s = (uint32_t)t->size[i];
    head[4 + 4 * i] = s >> 24; head[5 + 4 * i] = s >> 16; head[6 + 4 * i] = s >> 8; head[7 + 4 * i] = s;
  }
  bool ok = gzwrite(f, head, 4 + 4 * t->ndim) == 4 + 4 * t->ndim;
  /* elements in row-major order, swapped to big-endian through a small buffer */
  size_t es = lt_dtype_size(t->dtype);
  int64_t n = lt_numel(t);
  lt_tensor *c = n > 0 ? (t->device.type == LT_CPU ? lt_contiguous(t) : lt_to_device(t, lt_cpu())) : NULL;
  if (n > 0 && !c) { gzclose(f); return ltb_fail(L); }
  const char *src = c ? lt_data(c) : NULL;
  char buf[1 << 16];
  int64_t per = (int64_t)(sizeof buf / es);
  for (int64_t i = 0; ok && i < n; i += per) {
    int64_t k = n - i < per ? n - i : per;
    memcpy(buf, src + i * (int64_t)es, (size_t)(k * (int64_t)es));
    swap_bytes(buf, k, es);
    ok = gzwrite(f, buf, (unsigned)(k * (int64_t)es)) == (int)(k * (int64_t)es);
  }
  if (c) lt_release(c);
  int code;
  const char *m = ok ? NULL : gzerror(f, &code);
  char msg[256] = "";
  if (m) snprintf(msg, sizeof msg, "%s", code == Z_ERRNO ? strerror(errno) : m);
  if (gzclose(f) != Z_OK && ok) { ok = false; snprintf(msg, sizeof msg, "%s", strerror(errno)); }
  if (!ok) return luaL_error(L, "torch.data.saveIdx: %s: write failed (%s)", path, msg);
  return 0;
}

static const luaL_Reg data_functions[] = {
  {"idx", d_idx}, {"saveIdx", d_saveidx}, {NULL, NULL}
};

/* torch.data: the C functions here; stdlib/torch/data.lua adds the rest */
void ltb_open_data(lua_State *L) {
  lua_rawgeti(L, LUA_REGISTRYINDEX, ltb_torch_ref);
  lua_newtable(L);
  luaL_setfuncs(L, data_functions, 0);
  lua_setfield(L, -2, "data");
  lua_pop(L, 1);
}
