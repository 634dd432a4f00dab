/* random.c: the random generator (seeds, state), random fills and numbers, and the
 * creation functions rand/randn/randperm/multinomial/range/arange/linspace/logspace/eye. */
#include "lt_lua.h"
#include "philox.h"
#include <string.h>
#include <math.h>

/* Every random function takes Torch7's optional generator (a torch.Generator) after its
 * leading tensors: ltb_opt_generator (generator.c) removes it from the stack, so the
 * argument indices below are those of the call without it. */



/* ---- seeds and state ---- */
static int r_manualSeed(lua_State *L) {
  lt_generator *g = ltb_opt_generator(L);
  lt_generator_seed(g, (uint64_t)luaL_checkinteger(L, 1));
  return 0;
}
static int r_seed(lua_State *L) {
  lua_pushinteger(L, (lua_Integer)lt_generator_random_seed(ltb_opt_generator(L)));
  return 1;
}
static int r_initialSeed(lua_State *L) {
  lua_pushinteger(L, (lua_Integer)ltb_opt_generator(L)->seed);
  return 1;
}

/* the state as bytes: magic, seed, offset, cached normal, its flag */
#define STATE_MAGIC 0x4c
#define STATE_SIZE 26
static int r_getRNGState(lua_State *L) {
  lt_generator *g = ltb_opt_generator(L);
  int64_t n = STATE_SIZE;
  lt_tensor *t = lt_empty(1, &n, LT_UINT8, lt_cpu());
  if (!t) return ltb_fail(L);
  uint8_t *p = lt_data(t);
  p[0] = STATE_MAGIC;
  memcpy(p + 1, &g->seed, 8);
  memcpy(p + 9, &g->offset, 8);
  memcpy(p + 17, &g->next_normal, 8);
  p[25] = g->has_next_normal;
  ltb_push(L, t);
  return 1;
}
static int r_setRNGState(lua_State *L) {
  lt_generator *g = ltb_opt_generator(L);
  if (lua_isnone(L, 1))   /* torch.setRNGState(gen): the generator was taken, no state follows */
    return luaL_error(L, "setRNGState: expects [gen,] state, a ByteTensor returned by torch.getRNGState() (got no state)");
  lt_tensor *t = ltb_checktensor(L, 1);
  if (t->dtype != LT_UINT8 || t->device.type != LT_CPU || lt_numel(t) != STATE_SIZE || !lt_is_contiguous(t) ||
      ((uint8_t *)lt_data(t))[0] != STATE_MAGIC)
    return luaL_argerror(L, 1, "expected a ByteTensor returned by torch.getRNGState()");
  const uint8_t *p = lt_data(t);
  double cached;
  memcpy(&cached, p + 17, 8);
  /* a cached normal is the second half of a Box-Muller pair: finite, with |z| at most
   * sqrt(-2 log 2^-53) (the smallest uniform drawn); anything else was not made by
   * getRNGState and torch.normal() would return it */
  if (p[25] > 1 || (p[25] && !(fabs(cached) <= sqrt(-2.0 * log(0x1p-53)) * (1 + 1e-12))))
    return luaL_argerror(L, 1, lua_pushfstring(L, "not a state returned by torch.getRNGState() (its cached normal "
                                                  "value %f cannot come from the generator)", cached));
  memcpy(&g->seed, p + 1, 8);
  memcpy(&g->offset, p + 9, 8);
  g->next_normal = cached;
  g->has_next_normal = p[25] != 0;
  lua_settop(L, 1);
  return 1;
}

/* ---- fills: t:uniform(...) fills t and returns it; torch.uniform(t, ...) too;
 * torch.uniform(...) without a tensor returns a number ---- */
static int fill_done(lua_State *L, int rc) {
  if (rc < 0) return ltb_fail(L);
  lua_settop(L, 1);
  return 1;
}

static int r_uniform(lua_State *L) {
  lt_generator *g = ltb_opt_generator(L);
  lt_tensor *t = ltb_totensor(L, 1);
  int i = t ? 2 : 1;
  double a = luaL_optnumber(L, i, 0), b = luaL_optnumber(L, i + 1, 1);
  if (t) return fill_done(L, lt_uniform(t, g, a, b));
  if (!isfinite(a) || !isfinite(b) || !(a <= b))   /* the tensor fill's rule and message */
    return luaL_error(L, "uniform: expects finite bounds a <= b, got a=%f b=%f", a, b);
  lua_pushnumber(L, lt_rng_uniform(lt_random_uniform01(g), a, b));
  return 1;
}

static int r_normal(lua_State *L) {
  lt_generator *g = ltb_opt_generator(L);
  lt_tensor *t = ltb_totensor(L, 1);
  int i = t ? 2 : 1;
  double m = luaL_optnumber(L, i, 0), s = luaL_optnumber(L, i + 1, 1);
  if (t) return fill_done(L, lt_normal(t, g, m, s));
  if (!(s >= 0) || !isfinite(s) || !isfinite(m))
    return luaL_error(L, "normal: expects a finite mean and a standard deviation >= 0, got mean=%f std=%f", m, s);
  lua_pushnumber(L, m + s * lt_random_normal(g));
  return 1;
}

static int r_logNormal(lua_State *L) {
  lt_generator *g = ltb_opt_generator(L);
  lt_tensor *t = ltb_totensor(L, 1);
  int i = t ? 2 : 1;
  double m = luaL_optnumber(L, i, 1), s = luaL_optnumber(L, i + 1, 2);
  if (t) return fill_done(L, lt_log_normal(t, g, m, s));
  if (!(s > 0) || !isfinite(s) || !isfinite(m))
    return luaL_error(L, "logNormal: expects a finite mean and a standard deviation > 0, got mean=%f std=%f", m, s);
  lua_pushnumber(L, exp(m + s * lt_random_normal(g)));
  return 1;
}

static int r_exponential(lua_State *L) {
  lt_generator *g = ltb_opt_generator(L);
  lt_tensor *t = ltb_totensor(L, 1);
  double lambda = luaL_optnumber(L, t ? 2 : 1, 1);
  if (t) return fill_done(L, lt_exponential(t, g, lambda));
  if (!(lambda > 0) || !isfinite(lambda)) return luaL_error(L, "exponential: expects lambda > 0, got %f", lambda);
  lua_pushnumber(L, lt_rng_exponential(lt_random_uniform01(g), lambda));
  return 1;
}

static int r_cauchy(lua_State *L) {
  lt_generator *g = ltb_opt_generator(L);
  lt_tensor *t = ltb_totensor(L, 1);
  int i = t ? 2 : 1;
  double m = luaL_optnumber(L, i, 0), s = luaL_optnumber(L, i + 1, 1);
  if (t) return fill_done(L, lt_cauchy(t, g, m, s));
  if (!isfinite(m) || !(s > 0) || !isfinite(s))
    return luaL_error(L, "cauchy: expects a finite median and sigma > 0, got median=%f sigma=%f", m, s);
  lua_pushnumber(L, lt_rng_cauchy(lt_random_uniform01(g), m, s));
  return 1;
}

static int r_geometric(lua_State *L) {
  lt_generator *g = ltb_opt_generator(L);
  lt_tensor *t = ltb_totensor(L, 1);
  double p = luaL_checknumber(L, t ? 2 : 1);
  if (t) return fill_done(L, lt_geometric(t, g, p));
  if (!(p > 0 && p < 1)) return luaL_error(L, "geometric: expects 0 < p < 1, got %f", p);
  double v = lt_rng_geometric(lt_random_uniform01(g), p);
  if (v < 9.2e18) lua_pushinteger(L, (lua_Integer)v); else lua_pushnumber(L, v);
  return 1;
}

/* bernoulli([p=0.5]); t:bernoulli(p) with p a number or a tensor of probabilities */
static int r_bernoulli(lua_State *L) {
  lt_generator *g = ltb_opt_generator(L);
  lt_tensor *t = ltb_totensor(L, 1);
  int i = t ? 2 : 1;
  lt_tensor *pt = ltb_totensor(L, i);
  if (t && pt) return fill_done(L, lt_bernoulli_tensor(t, g, pt));
  double p = luaL_optnumber(L, i, 0.5);
  if (t) return fill_done(L, lt_bernoulli(t, g, p));
  if (!(p >= 0 && p <= 1)) return luaL_error(L, "bernoulli: expects 0 <= p <= 1, got %f", p);
  lua_pushinteger(L, lt_rng_bernoulli(lt_random_uniform01(g), p) != 0);
  return 1;
}

/* the largest integer t:random() draws (Torch7: 2^mantissa for floats, the type's max) */
static int64_t random_max(lt_dtype dt) {
  switch (dt) {
  case LT_FLOAT32: return 1ll << 24;
  case LT_FLOAT64: return 1ll << 53;
  case LT_FLOAT16: return 1ll << 11;
  case LT_BFLOAT16: return 1ll << 8;
  case LT_INT64: return INT64_MAX;
  case LT_INT32: return INT32_MAX;
  case LT_INT16: return INT16_MAX;
  case LT_INT8: return INT8_MAX;
  case LT_UINT8: return UINT8_MAX;
  default: return 1;
  }
}

/* random() / random(b): [1, b] / random(a, b): [a, b]; tensors: t:random() in [0, max] */
static int r_random(lua_State *L) {
  lt_generator *g = ltb_opt_generator(L);
  lt_tensor *t = ltb_totensor(L, 1);
  int i = t ? 2 : 1;
  int nargs = lua_gettop(L) - i + 1;
  int64_t lo, hi;
  if (nargs <= 0) {
    if (t) return fill_done(L, lt_random_int(t, g, 0, random_max(t->dtype)));
    lua_pushinteger(L, (lua_Integer)(lt_random_u64(g) >> 32));   /* 32 random bits */
    return 1;
  } else if (nargs == 1) {
    lo = 1;
    hi = luaL_checkinteger(L, i);
    if (hi < 1) return luaL_argerror(L, i, "upper bound must be at least 1");
  } else {
    lo = luaL_checkinteger(L, i);
    hi = luaL_checkinteger(L, i + 1);
    if (hi < lo) return luaL_argerror(L, i + 1, "upper bound must be at least the lower bound");
  }
  if (t) return fill_done(L, lt_random_int(t, g, lo, hi));
  uint64_t range = (uint64_t)hi - (uint64_t)lo + 1;
  lua_pushinteger(L, (lua_Integer)lt_rng_int64(lt_random_u64(g), lo, range));
  return 1;
}

/* ---- creation ---- */
/* torch.rand([res,] sizes...) / t:rand(sizes...) in the default type */
static int rand_common(lua_State *L, bool normal) {
  lt_generator *g = ltb_opt_generator(L);
  lt_tensor *res = NULL;
  int i = 1;
  if (LTB_METHOD(L) || ltb_totensor(L, 1)) { res = ltb_checktensor(L, 1); i = 2; }
  int64_t size[LT_MAXDIM];
  int top = lua_gettop(L), opt = -1;   /* a trailing {requiresGrad=} table: -1 none */
  if (top >= i && ltb_is_options(L, top)) {
    lua_getfield(L, top, "requiresGrad");
    opt = lua_toboolean(L, -1);
    lua_settop(L, --top);
  }
  int given = top >= i;
  int nd = ltb_checksizes(L, i, size);
  if (given && (lua_type(L, i) == LUA_TNUMBER ? nd != top - i + 1 : top > i || (!lua_istable(L, i) && !lua_isuserdata(L, i))))
    return luaL_argerror(L, nd && lua_type(L, i) == LUA_TNUMBER ? i + nd : i, "sizes expected (numbers or a LongStorage)");
  for (int d = 0; d < nd; d++) if (size[d] < 0) return luaL_argerror(L, i, "sizes must be non-negative");
  lt_tensor *t = res;
  if (res) { if (given && lt_resize(res, nd, size) < 0) return ltb_fail(L); }
  else if (!(t = lt_empty(nd, size, ltb_default_dtype, lt_cpu()))) return ltb_fail(L);
  int rc = normal ? lt_normal(t, g, 0, 1) : lt_uniform(t, g, 0, 1);
  if (rc < 0) { if (!res) lt_release(t); return ltb_fail(L); }
  if (opt >= 0 && lt_set_requires_grad(t, opt) < 0) { if (!res) lt_release(t); return ltb_fail(L); }
  if (res) lua_settop(L, 1); else ltb_push(L, t);
  return 1;
}
static int r_rand(lua_State *L) { return rand_common(L, false); }
static int r_randn(lua_State *L) { return rand_common(L, true); }

/* leading result tensor (method self, or a tensor first argument): its index, or 0 */
static int res_arg(lua_State *L, lt_tensor **res) {
  *res = NULL;
  if (LTB_METHOD(L) || ltb_totensor(L, 1)) { *res = ltb_checktensor(L, 1); return 1; }
  return 0;
}

/* torch.randperm([res,] n): 1..n shuffled */
static int r_randperm(lua_State *L) {
  lt_generator *g = ltb_opt_generator(L);
  lt_tensor *res;
  int resi = res_arg(L, &res);
  lua_Integer n = luaL_checkinteger(L, resi + 1);
  if (n < 0) return luaL_argerror(L, resi + 1, "n must be non-negative");
  lt_dtype dt = res ? res->dtype : ltb_default_dtype;
  ltb_push_into(L, ltb_one_based(lt_randperm(g, n, dt)), res, resi);
  return 1;
}

/* torch.multinomial([res,] p, n [, replacement=false]) / p:multinomial(n [, replacement]) /
 * res:multinomial(p, n [, replacement]) -> LongTensor of 1-based indices */
static int r_multinomial(lua_State *L) {
  lt_generator *g = ltb_opt_generator(L);
  lt_tensor *res = NULL, *p;
  int resi = 0, i;
  if (ltb_totensor(L, 1) && ltb_totensor(L, 2)) { res = ltb_totensor(L, 1); resi = 1; p = ltb_totensor(L, 2); i = 3; }
  else { p = ltb_checktensor(L, 1); i = 2; }
  lua_Integer n = luaL_checkinteger(L, i);
  bool repl = lua_toboolean(L, i + 1);
  ltb_push_into(L, ltb_one_based(lt_multinomial(g, p, n, repl)), res, resi);
  return 1;
}

/* torch.range([res,] a, b [, step=1]) inclusive; torch.arange([res,] [a=0,] b [, step=1]) exclusive */
static int r_range(lua_State *L) {
  lt_tensor *res;
  int resi = res_arg(L, &res);
  double a = luaL_checknumber(L, resi + 1), b = luaL_checknumber(L, resi + 2);
  double step = luaL_optnumber(L, resi + 3, 1);
  ltb_push_into(L, lt_range(a, b, step, res ? res->dtype : ltb_default_dtype), res, resi);
  return 1;
}
static int r_arange(lua_State *L) {
  lt_tensor *res;
  int resi = res_arg(L, &res);
  double a = 0, b, step = 1;
  if (lua_isnoneornil(L, resi + 2)) b = luaL_checknumber(L, resi + 1);
  else {
    a = luaL_checknumber(L, resi + 1);
    b = luaL_checknumber(L, resi + 2);
    step = luaL_optnumber(L, resi + 3, 1);
  }
  ltb_push_into(L, lt_arange(a, b, step, res ? res->dtype : ltb_default_dtype), res, resi);
  return 1;
}

/* torch.linspace([res,] a, b [, n=100]); torch.logspace([res,] a, b [, n=100 [, base=10]]) */
static int r_linspace(lua_State *L) {
  lt_tensor *res;
  int resi = res_arg(L, &res);
  double a = luaL_checknumber(L, resi + 1), b = luaL_checknumber(L, resi + 2);
  lua_Integer n = luaL_optinteger(L, resi + 3, 100);
  ltb_push_into(L, lt_linspace(a, b, n, res ? res->dtype : ltb_default_dtype), res, resi);
  return 1;
}
static int r_logspace(lua_State *L) {
  lt_tensor *res;
  int resi = res_arg(L, &res);
  double a = luaL_checknumber(L, resi + 1), b = luaL_checknumber(L, resi + 2);
  lua_Integer n = luaL_optinteger(L, resi + 3, 100);
  double base = luaL_optnumber(L, resi + 4, 10);
  ltb_push_into(L, lt_logspace(a, b, n, base, res ? res->dtype : ltb_default_dtype), res, resi);
  return 1;
}

/* torch.eye([res,] n [, m=n]) */
static int r_eye(lua_State *L) {
  lt_tensor *res;
  int resi = res_arg(L, &res);
  lua_Integer n = luaL_checkinteger(L, resi + 1);
  lua_Integer m = luaL_optinteger(L, resi + 2, n);
  ltb_push_into(L, lt_eye(n, m, res ? res->dtype : ltb_default_dtype), res, resi);
  return 1;
}

static const luaL_Reg methods[] = {
  {"uniform", r_uniform}, {"normal", r_normal}, {"logNormal", r_logNormal},
  {"exponential", r_exponential}, {"cauchy", r_cauchy}, {"geometric", r_geometric},
  {"bernoulli", r_bernoulli}, {"random", r_random}, {"rand", r_rand}, {"randn", r_randn},
  {"randperm", r_randperm}, {"multinomial", r_multinomial}, {"range", r_range},
  {"linspace", r_linspace}, {"logspace", r_logspace}, {"eye", r_eye}, {NULL, NULL}};
static const luaL_Reg functions[] = {
  {"manualSeed", r_manualSeed}, {"seed", r_seed}, {"initialSeed", r_initialSeed},
  {"getRNGState", r_getRNGState}, {"setRNGState", r_setRNGState},
  {"uniform", r_uniform}, {"normal", r_normal}, {"logNormal", r_logNormal},
  {"exponential", r_exponential}, {"cauchy", r_cauchy}, {"geometric", r_geometric},
  {"bernoulli", r_bernoulli}, {"random", r_random}, {"rand", r_rand}, {"randn", r_randn},
  {"randperm", r_randperm}, {"multinomial", r_multinomial}, {"range", r_range},
  {"arange", r_arange}, {"linspace", r_linspace}, {"logspace", r_logspace}, {"eye", r_eye},
  {NULL, NULL}};

void ltb_open_random(lua_State *L) { ltb_register(L, methods, functions); }
