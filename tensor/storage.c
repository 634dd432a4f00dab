/* storage.c: refcounted buffers, the CPU allocator with its cache of large buffers. */
#include "internal.h"
#include <stdatomic.h>
#include <pthread.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

static _Atomic int64_t live_bytes, peak_bytes, sys_allocs, sys_frees, cache_hits;
int64_t lt_mem_live_bytes(void) { return atomic_load(&live_bytes); }

/* a buffer handed out: live bytes and their high-water mark */
static void note_alloc(size_t n) {
  int64_t live = atomic_fetch_add(&live_bytes, (int64_t)n) + (int64_t)n;
  int64_t peak = atomic_load(&peak_bytes);
  while (live > peak && !atomic_compare_exchange_weak(&peak_bytes, &peak, live)) {}
}

/* Large buffers freed are kept (up to CACHE_MAX bytes) and handed out again for a
 * request of the same rounded size, so loops of big ops do not fault pages afresh. */
#define CACHE_MIN (256 * 1024)
#define CACHE_SLOTS 32
#define CACHE_MAX ((size_t)1 << 30)
static struct { void *p; size_t n; } cache[CACHE_SLOTS];
static size_t cache_bytes;
static _Atomic size_t cache_limit = CACHE_MAX;  /* torch.setCacheLimit; a buffer over limit/4 is never kept */
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;

static void sys_free(void *p) {
  free(p);
  atomic_fetch_add(&sys_frees, 1);
}

/* free cached buffers until the cache holds at most `keep` bytes; cache_lock held */
static void cache_shrink(size_t keep) {
  for (int i = 0; cache_bytes > keep && i < CACHE_SLOTS; i++)
    if (cache[i].p) {
      sys_free(cache[i].p);
      cache_bytes -= cache[i].n;
      cache[i].p = NULL;
    }
}

/* round to a size class: 1/8 steps of a power of two, at least 64 bytes */
static size_t size_class(size_t n) {
  if (n < 64) return 64;
  size_t p = 64;
  while (p < n / 8 && p < ((size_t)1 << 62)) p <<= 1;
  return (n + p - 1) / p * p;
}

/* A request larger than the machine's memory fails here: with overcommit, malloc would
 * succeed and the first touch of the pages would bring the OOM killer instead of an error. */
static size_t phys_bytes(void) {
  static size_t phys;
  if (!phys) {
    long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);
    phys = pages > 0 && psize > 0 ? (size_t)pages * (size_t)psize : SIZE_MAX;
  }
  return phys;
}

/* without pools (internal.h), a buffer is exactly what was asked for, so a sanitizer
 * sees an access one element past the end */
static size_t alloc_size(size_t nbytes) { return LT_POOLS ? size_class(nbytes) : nbytes; }

void *lt_cpu_alloc(size_t nbytes) {
  if (nbytes > phys_bytes()) return NULL;
  size_t n = alloc_size(nbytes);
  if (LT_POOLS && n >= CACHE_MIN) {
    pthread_mutex_lock(&cache_lock);
    for (int i = 0; i < CACHE_SLOTS; i++)
      if (cache[i].p && cache[i].n == n) {
        void *p = cache[i].p;
        cache[i].p = NULL;
        cache_bytes -= n;
        pthread_mutex_unlock(&cache_lock);
        atomic_fetch_add(&cache_hits, 1);
        note_alloc(n);
        return p;
      }
    pthread_mutex_unlock(&cache_lock);
  }
  void *p = NULL;
  if (posix_memalign(&p, 64, n) != 0) return NULL;
  atomic_fetch_add(&sys_allocs, 1);
  note_alloc(n);
  return p;
}

void lt_cpu_free(void *p, size_t nbytes) {
  if (!p) return;
  size_t n = alloc_size(nbytes);
  atomic_fetch_sub(&live_bytes, (int64_t)n);
  if (LT_POOLS && n >= CACHE_MIN && n <= cache_limit / 4) {
    pthread_mutex_lock(&cache_lock);
    if (n > cache_limit / 4) {   /* the cap was lowered meanwhile */
      pthread_mutex_unlock(&cache_lock);
      sys_free(p);
      return;
    }
    int slot = -1;
    for (int i = 0; i < CACHE_SLOTS; i++)
      if (!cache[i].p) { slot = i; break; }
    /* evict older entries until it fits */
    for (int i = 0; (slot < 0 || cache_bytes + n > cache_limit) && i < CACHE_SLOTS; i++)
      if (cache[i].p) {
        sys_free(cache[i].p);
        cache_bytes -= cache[i].n;
        cache[i].p = NULL;
        if (slot < 0) slot = i;
      }
    cache[slot].p = p;
    cache[slot].n = n;
    cache_bytes += n;
    pthread_mutex_unlock(&cache_lock);
    return;
  }
  sys_free(p);
}

/* The cache's buffers go back to malloc, and malloc gives its free pages back to the
 * system: glibc serves buffers under its (adaptive, up to 32 MiB) mmap threshold from
 * the heap, where freed memory stays resident until trimmed. */
void lt_mem_trim(void) {
  pthread_mutex_lock(&cache_lock);
  cache_shrink(0);
  pthread_mutex_unlock(&cache_lock);
#ifdef __GLIBC__
  malloc_trim(0);
#endif
}

int64_t lt_mem_set_cache_limit(int64_t bytes) {
  pthread_mutex_lock(&cache_lock);
  int64_t old = (int64_t)cache_limit;
  if (bytes >= 0) {
    cache_limit = (size_t)bytes;
    cache_shrink(cache_limit);
  }
  pthread_mutex_unlock(&cache_lock);
  return old;
}

void lt_mem_stats(lt_cpu_mem_stats *st, bool reset_peak) {
  pthread_mutex_lock(&cache_lock);
  st->cached = (int64_t)cache_bytes;
  st->cache_limit = (int64_t)cache_limit;
  pthread_mutex_unlock(&cache_lock);
  st->allocated = atomic_load(&live_bytes);
  st->peak = atomic_load(&peak_bytes);
  if (st->peak < st->allocated) st->peak = st->allocated;
  st->mallocs = atomic_load(&sys_allocs);
  st->frees = atomic_load(&sys_frees);
  st->cache_hits = atomic_load(&cache_hits);
  if (reset_peak) atomic_store(&peak_bytes, st->allocated);
}

/* Storage headers come from a free list. A CPU storage of at most SMALL_BYTES bytes
 * lives in the same block as its header (one allocation, reused whole): small tensors,
 * the common case at the REPL and in small models, never touch malloc in a loop. */
#define SMALL_BYTES 256
#define FREELIST_MAX 16384
typedef struct { lt_storage s; _Alignas(64) char data[SMALL_BYTES]; } small_block;
static _Thread_local lt_storage *sfree[FREELIST_MAX];
static _Thread_local int nsfree;
static _Thread_local small_block *bfree[FREELIST_MAX];
static _Thread_local int nbfree;

static lt_storage *storage_header(void) {
  if (LT_POOLS && nsfree) return sfree[--nsfree];
  return malloc(sizeof(lt_storage));
}

static small_block *small_alloc(void) {
  if (nbfree) return bfree[--nbfree];
  small_block *b = NULL;
  if (posix_memalign((void **)&b, 64, sizeof(small_block)) != 0) return NULL;
  return b;
}

static void *dev_alloc(lt_device dev, size_t nbytes) {
  if (dev.type == LT_CPU) return lt_cpu_alloc(nbytes);
  const lt_backend *b = lt_backend_for(dev);
  return b ? b->alloc(nbytes, dev.index) : NULL;
}

lt_storage *lt_storage_new(lt_dtype dtype, int64_t size, lt_device dev) {
  if (size < 0) LT_FAIL(NULL, "storage: negative size %lld", (long long)size);
  size_t es = lt_dtype_size(dtype);
  if ((uint64_t)size > ((uint64_t)1 << 50) / es)
    LT_FAIL(NULL, "storage: size %lld too large", (long long)size);
  if (LT_POOLS && dev.type == LT_CPU && (size_t)size * es <= SMALL_BYTES) {
    small_block *b = small_alloc();
    if (!b) LT_FAIL(NULL, "storage: out of memory");
    lt_storage *s = &b->s;
    s->refcount = 1; s->dtype = dtype; s->device = dev; s->owned = true;
    s->size = size; s->version = 0; s->data = b->data;
    s->capacity = (int64_t)(SMALL_BYTES / es);
    s->small = true;
    s->inline_block = false;
    s->base = NULL;
    s->views = 0;
    return s;
  }
  lt_storage *s = storage_header();
  if (!s) LT_FAIL(NULL, "storage: out of memory");
  s->small = false;
  s->inline_block = false;
  s->refcount = 1;
  s->dtype = dtype;
  s->device = dev;
  s->owned = true;
  s->size = size;
  s->capacity = size;
  s->version = 0;
  s->data = NULL;
  s->base = NULL;
  s->views = 0;
  if (size > 0) {
    s->data = dev_alloc(dev, (size_t)size * es);
    if (!s->data) {
      free(s);
      if (dev.type == LT_CPU)
        LT_FAIL(NULL, "out of memory allocating %lld elements (%.1f MiB) of %s", (long long)size,
                (double)size * es / 1048576.0, lt_dtype_name(dtype));
      return NULL;
    }
  }
  return s;
}

lt_storage *lt_storage_wrap(lt_dtype dtype, void *data, int64_t size, lt_device dev) {
  lt_storage *s = storage_header();
  if (!s) LT_FAIL(NULL, "storage: out of memory");
  s->refcount = 1; s->dtype = dtype; s->device = dev; s->owned = false;
  s->size = size; s->capacity = size; s->version = 0; s->data = data; s->small = false;
  s->inline_block = false;
  s->base = NULL;
  s->views = 0;
  return s;
}

void lt_storage_retain(lt_storage *s) { if (s) s->refcount++; }

void lt_storage_release(lt_storage *s) {
  if (!s || --s->refcount > 0) return;
  if (s->base) {   /* a view: its data is base's (a root storage: this recursion is one level) */
    s->base->views--;
    lt_storage_release(s->base);
    s->base = NULL;
  }
  if (s->small) {
    if (nbfree < FREELIST_MAX) bfree[nbfree++] = (small_block *)s;
    else free(s);
    return;
  }
  if (s->owned && s->data) {
    size_t n = (size_t)s->capacity * lt_dtype_size(s->dtype);
    if (s->device.type == LT_CPU) lt_cpu_free(s->data, n);
    else {
      const lt_backend *b = lt_backend_for(s->device);
      if (b) b->free(s->data, n, s->device.index);
    }
  }
  if (s->inline_block) {
    if (nbfree < FREELIST_MAX) bfree[nbfree++] = (small_block *)s;
    else free(s);
  } else if (LT_POOLS && nsfree < FREELIST_MAX) sfree[nsfree++] = s;
  else free(s);
}

/* Shrinking keeps the memory (only the size changes), so views made before stay inside
 * their buffer whatever a user does to the storage; growing past the capacity moves the
 * data to a new buffer (views follow, through s->data). */
int lt_storage_resize(lt_storage *s, int64_t size) {
  if (size == s->size) return 0;
  if (size < 0) LT_FAIL(-1, "resize: negative size %lld", (long long)size);
  if (size <= s->capacity) { s->size = size; return 0; }
  if (!s->owned) LT_FAIL(-1, "resize: cannot grow a storage that does not own its memory");
  if (s->views > 0)   /* moving the buffer would leave the views pointing at freed memory */
    LT_FAIL(-1, "resize: cannot grow a storage past its capacity (%lld) while storage views share it",
            (long long)s->capacity);
  size_t es = lt_dtype_size(s->dtype);
  if ((uint64_t)size > ((uint64_t)1 << 50) / es) LT_FAIL(-1, "resize: size %lld too large", (long long)size);
  void *p = dev_alloc(s->device, (size_t)size * es);
  if (!p) {
    if (s->device.type == LT_CPU)
      LT_FAIL(-1, "out of memory resizing storage to %lld elements", (long long)size);
    return -1;
  }
  size_t keep = (size_t)s->size * es;
  if (keep) {
    if (s->device.type == LT_CPU) memcpy(p, s->data, keep);
    else lt_backend_for(s->device)->memcpy(p, s->device, s->data, s->device, keep);
  }
  if (s->small) {
    s->small = false;
    s->inline_block = true;   /* the inline buffer stays unused until the block is freed */
  } else if (s->data) {
    size_t n = (size_t)s->capacity * es;
    if (s->device.type == LT_CPU) lt_cpu_free(s->data, n);
    else lt_backend_for(s->device)->free(s->data, n, s->device.index);
  }
  s->data = p;
  s->size = size;
  s->capacity = size;
  return 0;
}
