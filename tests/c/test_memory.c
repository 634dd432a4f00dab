/* test_memory.c: the CPU allocator's counters and its cache of freed buffers
 * (lt_mem_stats, lt_mem_set_cache_limit, lt_mem_trim). */
#include "harness.h"
#include "internal.h"   /* LT_POOLS: the cache is off under sanitizers */

static lt_tensor *vec(int64_t n) {
  return lt_empty(1, &n, LT_FLOAT32, lt_cpu());
}

TEST(mem_counters_follow_buffers) {
  lt_cpu_mem_stats a, b, c;
  lt_mem_stats(&a, true);    /* reports, then resets the peak to what is allocated */
  lt_mem_stats(&a, false);
  CHECK(a.peak == a.allocated);
  lt_tensor *t = vec(1 << 20);   /* 4 MiB */
  lt_mem_stats(&b, false);
  CHECK(b.allocated - a.allocated >= 4 << 20);
  CHECK(b.peak >= b.allocated);
  CHECK(b.allocated == lt_mem_live_bytes());
  lt_release(t);
  lt_mem_stats(&c, false);
  CHECK(c.allocated == a.allocated);
  CHECK(c.peak == b.peak);   /* the high-water mark stays until reset */
  lt_mem_stats(&c, true);
  lt_mem_stats(&c, false);
  CHECK(c.peak == c.allocated);
}

TEST(mem_cache_cap_and_trim) {
  lt_cpu_mem_stats s;
  int64_t old = lt_mem_set_cache_limit(64 << 20);
  CHECK(lt_mem_set_cache_limit(-1) == 64 << 20);   /* negative: only reads */
  lt_mem_trim();
  lt_mem_stats(&s, false);
  CHECK(s.cached == 0);
  CHECK(s.cache_limit == 64 << 20);
  lt_release(vec(1 << 20));   /* a 4 MiB buffer freed */
  lt_mem_stats(&s, false);
  if (LT_POOLS) {
    CHECK(s.cached >= 4 << 20);
    int64_t hits = s.cache_hits, mallocs = s.mallocs;
    lt_tensor *t = vec(1 << 20);   /* served from the cache */
    lt_mem_stats(&s, false);
    CHECK(s.cache_hits == hits + 1);
    CHECK(s.mallocs == mallocs);
    CHECK(s.cached == 0);
    lt_release(t);
    lt_mem_set_cache_limit(8 << 20);   /* lowering the cap evicts: 4 MiB > 8 MiB / 4 */
    lt_mem_stats(&s, false);
    CHECK(s.cached <= 8 << 20);
    lt_mem_trim();
    lt_release(vec(1 << 20));   /* over a quarter of the cap: freed, not kept */
    lt_mem_stats(&s, false);
    CHECK(s.cached == 0);
    lt_mem_set_cache_limit(0);
    lt_release(vec(1 << 16));
    lt_mem_stats(&s, false);
    CHECK(s.cached == 0);
  } else {
    CHECK(s.cached == 0);
  }
  lt_mem_set_cache_limit(old);
  lt_mem_trim();
  lt_mem_stats(&s, false);
  CHECK(s.cached == 0 && s.cache_limit == old);
}
