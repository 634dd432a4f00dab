// alloc.cu: the CUDA backend's caching device allocator, its statistics, emptyCache and
// the device queries (memory, properties). Fills those entries of the backend table.
#include "common.cuh"

// ---- caching allocator ----
// Freed blocks are kept on free lists, one per (device, size class), found through a hash
// table, so that allocating and freeing stay O(1) with thousands of live blocks. Sizes are
// rounded up to a class (512 bytes at least, then steps of an eighth of the size's power of
// two), so a block is reused for any request of its class. Nothing is returned to the
// driver until emptyCache, or an allocation fails (then the device's cache is emptied and
// the allocation tried once more). Every block is used on its device's one stream, in
// order, so a block freed by the engine while kernels that read it are still queued is
// handed out again only to work queued after them.
struct cblock { void *p; cblock *next; };
struct sclass { size_t n; int dev; cblock *head; sclass *next; };
#define NBUCKETS 4096
static sclass *buckets[NBUCKETS];
static cblock *spare_nodes;   // list nodes not in use
static lt_cuda_mem_stats dstats[MAX_DEVICES];

static size_t round_size(size_t n) {
  if (n < 512) return 512;
  size_t p = 512;
  while (p < n / 8) p <<= 1;
  return (n + p - 1) / p * p;
}
static unsigned bucket_of(size_t n, int dev) {
  uint64_t h = (uint64_t)(n >> 9) * 0x9E3779B97F4A7C15ull ^ ((uint64_t)dev * 0xC2B2AE3D27D4EB4Full);
  return (unsigned)(h >> 52) & (NBUCKETS - 1);
}
static sclass *class_of(size_t n, int dev, bool create) {
  unsigned b = bucket_of(n, dev);
  for (sclass *c = buckets[b]; c; c = c->next)
    if (c->n == n && c->dev == dev) return c;
  if (!create) return NULL;
  sclass *c = (sclass *)malloc(sizeof(sclass));
  if (!c) return NULL;
  c->n = n; c->dev = dev; c->head = NULL;
  c->next = buckets[b];
  buckets[b] = c;
  return c;
}
// return the cached blocks of dev (all devices when dev < 0) to the driver
static void cache_empty(int dev) {
  for (int b = 0; b < NBUCKETS; b++)
    for (sclass *c = buckets[b]; c; c = c->next) {
      if (dev >= 0 && c->dev != dev) continue;
      if (!c->head) continue;
      cudaSetDevice(c->dev);
      cudaDeviceSynchronize();   // queued kernels may still use a freed block
      while (c->head) {
        cblock *k = c->head;
        c->head = k->next;
        cudaFree(k->p);
        dstats[c->dev].frees++;
        dstats[c->dev].cached -= (int64_t)c->n;
        dstats[c->dev].reserved -= (int64_t)c->n;
        k->next = spare_nodes;
        spare_nodes = k;
      }
    }
  cudaGetLastError();
}
static void *c_alloc(size_t nbytes, int dev) {
  if (!valid_dev(dev)) { seterr("cuda: device %d out of range", dev + 1); return NULL; }
  size_t n = round_size(nbytes);
  lt_cuda_mem_stats *st = &dstats[dev];
  sclass *c = class_of(n, dev, false);
  if (c && c->head) {
    cblock *k = c->head;
    c->head = k->next;
    void *p = k->p;
    k->next = spare_nodes;
    spare_nodes = k;
    st->cached -= (int64_t)n;
    st->allocated += (int64_t)n;
    st->cache_hits++;
    if (st->allocated > st->peak) st->peak = st->allocated;
    return p;
  }
  if (set_device(dev) < 0) return NULL;
  void *p = NULL;
  cudaError_t e = cudaMalloc(&p, n);
  if (e == cudaErrorMemoryAllocation) {
    cudaGetLastError();
    cache_empty(dev);
    cudaSetDevice(dev);
    e = cudaMalloc(&p, n);
  }
  if (e != cudaSuccess) {
    cudaGetLastError();
    size_t fr = 0, tot = 0;
    cudaMemGetInfo(&fr, &tot);
    cudaGetLastError();
    seterr("cuda: out of memory allocating %.1f MiB on device %d (%.1f MiB free of %.1f MiB, %.1f MiB in live "
           "tensors; %s)", n / 1048576.0, dev + 1, fr / 1048576.0, tot / 1048576.0, st->allocated / 1048576.0,
           cudaGetErrorString(e));
    return NULL;
  }
  st->mallocs++;
  st->reserved += (int64_t)n;
  st->allocated += (int64_t)n;
  if (st->allocated > st->peak) st->peak = st->allocated;
  return p;
}
static void c_free(void *p, size_t nbytes, int dev) {
  if (!p || !valid_dev(dev)) return;
  size_t n = round_size(nbytes);
  lt_cuda_mem_stats *st = &dstats[dev];
  st->allocated -= (int64_t)n;
  sclass *c = class_of(n, dev, true);
  cblock *k = spare_nodes;
  if (k) spare_nodes = k->next;
  else k = (cblock *)malloc(sizeof(cblock));
  if (!c || !k) {   // no memory for the bookkeeping: give the block back
    free(k);
    cudaSetDevice(dev);
    cudaFree(p);
    cudaGetLastError();
    st->frees++;
    st->reserved -= (int64_t)n;
    return;
  }
  k->p = p;
  k->next = c->head;
  c->head = k;
  st->cached += (int64_t)n;
}
static int c_mem_stats(int dev, lt_cuda_mem_stats *out, bool reset_peak) {
  if (!valid_dev(dev)) { seterr("cuda: device %d out of range", dev + 1); return -1; }
  *out = dstats[dev];
  if (reset_peak) dstats[dev].peak = dstats[dev].allocated;
  return 0;
}
void lt_cu_cache_empty(int dev) {
  int cur = 0;
  cudaGetDevice(&cur);
  cache_empty(dev);
  cudaSetDevice(cur);
  cudaGetLastError();
}
static int c_empty_cache(int dev) {
  if (dev >= 0 && !valid_dev(dev)) { seterr("cuda: device %d out of range", dev + 1); return -1; }
  int cur = 0;
  cudaGetDevice(&cur);
  cache_empty(dev);   // cudaFree waits for the device's queued work
  cudaSetDevice(cur);
  cudaGetLastError();
  return 0;
}
static int c_mem_info(int dev, int64_t *fr, int64_t *tot) {
  if (set_device(dev) < 0) return -1;
  size_t f = 0, t = 0;
  if (check(cudaMemGetInfo(&f, &t), "cudaMemGetInfo") < 0) return -1;
  *fr = (int64_t)f;
  *tot = (int64_t)t;
  return 0;
}
static int c_device_props(int dev, lt_cuda_props *p) {
  cudaDeviceProp pr;
  if (check(cudaGetDeviceProperties(&pr, dev), "cudaGetDeviceProperties") < 0) return -1;
  snprintf(p->name, sizeof p->name, "%s", pr.name);
  p->total_mem = (int64_t)pr.totalGlobalMem;
  p->major = pr.major;
  p->minor = pr.minor;
  p->multiprocessors = pr.multiProcessorCount;
  return 0;
}

void *lt_cu_alloc(size_t nbytes, int dev) { return c_alloc(nbytes, dev); }
void lt_cu_free(void *p, size_t nbytes, int dev) { c_free(p, nbytes, dev); }

void lt_cuda_register_alloc(lt_backend *b) {
  b->alloc = c_alloc;
  b->free = c_free;
  b->mem_stats = c_mem_stats;
  b->empty_cache = c_empty_cache;
  b->mem_info = c_mem_info;
  b->device_props = c_device_props;
}
