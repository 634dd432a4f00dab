/* generator.c: torch.Generator objects (each its own Philox stream, see tensor/philox.h),
 * the optional generator argument of the random functions (ltb_opt_generator),
 * torch.multinomialAliasSetup / torch.multinomialAlias (Walker's alias method), and
 * torch.setheaptracking. */
#include "lt_lua.h"
#include "internal.h"   /* lt_check_writable */
#include <stdbool.h>
#include <string.h>

#define GEN_MT "torch.Generator"

/* g points at own, or at the engine's default generator for torch._gen */
typedef struct {
  lt_generator *g;
  lt_generator own;
} gen_box;

static lt_generator *togen(lua_State *L, int idx) {
  if (lua_type(L, idx) != LUA_TUSERDATA) return NULL;
  gen_box *b = (gen_box *)luaL_testudata(L, idx, GEN_MT);
  return b ? b->g : NULL;
}

/* the registry slot that holds the last generator argument (see ltb_opt_generator) */
static char gen_anchor;

/* Torch7's [gen,] argument: the first generator among the leading tensors (Torch7 puts it
 * after the result tensor: torch.rand(res, gen, 3), t:uniform(gen, 0, 1)) is removed from
 * the stack and returned; none: the default generator. Removing it would leave a
 * temporary (torch.rand(torch.Generator(), 3)) referenced by nothing, free for a
 * collection that the call's own allocations can start; the registry's anchor slot keeps
 * it alive until the next call with a generator (the contract is in lt_lua.h). */
lt_generator *ltb_opt_generator(lua_State *L) {
  int top = lua_gettop(L);
  for (int i = 1; i <= top; i++) {
    if (ltb_totensor(L, i)) continue;   /* the cheap test first: this is on every random call */
    lt_generator *g = togen(L, i);
    if (!g) break;
    lua_pushvalue(L, i);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &gen_anchor);
    lua_remove(L, i);
    return g;
  }
  return lt_default_generator();
}

/* torch.Generator(): a new generator, seeded from /dev/urandom like the default one;
 * torch.manualSeed(gen, s) makes it reproducible. */
static int gen_new(lua_State *L) {
  gen_box *b = (gen_box *)lua_newuserdatauv(L, sizeof(gen_box), 0);
  memset(b, 0, sizeof *b);
  b->g = &b->own;
  lt_generator_random_seed(b->g);
  luaL_setmetatable(L, GEN_MT);
  return 1;
}

static int gen_tostring(lua_State *L) {
  gen_box *b = (gen_box *)luaL_checkudata(L, 1, GEN_MT);
  lua_pushfstring(L, "torch.Generator (seed %I%s)", (lua_Integer)b->g->seed,
                  b->g == lt_default_generator() ? ", the default generator" : "");
  return 1;
}

/* ---- alias method ---- */

/* a state table {J, q} (Torch7's) or J, q as two arguments, from idx: J (1-based) and q */
static void alias_state(lua_State *L, int idx, lt_tensor **J, lt_tensor **q) {
  if (lua_istable(L, idx)) {
    lua_rawgeti(L, idx, 1);
    lua_rawgeti(L, idx, 2);
    *J = ltb_totensor(L, -2);
    *q = ltb_totensor(L, -1);
    lua_pop(L, 2);   /* the table keeps them alive */
    if (!*J || !*q)
      luaL_argerror(L, idx, "expected the state {J, q} returned by torch.multinomialAliasSetup");
    return;
  }
  *J = ltb_totensor(L, idx);
  *q = ltb_totensor(L, idx + 1);
  if (!*J || !*q)
    luaL_argerror(L, idx, lua_pushfstring(L, "expected the state {J, q} returned by torch.multinomialAliasSetup "
                                             "(or J and q), got %s", luaL_typename(L, idx)));
}

/* copies the tensor at stack index ri into res (resized), keeping res */
static void store_into(lua_State *L, lt_tensor *res, int ri) {
  lt_tensor *r = ltb_totensor(L, ri);
  if (lt_resize_as(res, r) < 0 || lt_copy(res, r) < 0) ltb_fail(L);
}

/* torch.multinomialAliasSetup(probs [, state]) -> state = {J, q}: J a LongTensor of
 * 1-based aliases, q the keep probabilities (probs's type); a given state's tensors are
 * reused (Torch7) */
static int alias_setup(lua_State *L) {
  lt_tensor *p = ltb_checktensor(L, 1);
  lt_tensor *J, *q;
  if (lt_multinomial_alias_setup(p, &J, &q) < 0) return ltb_fail(L);
  J = ltb_one_based(J);
  if (!J) { lt_release(q); return ltb_fail(L); }
  /* J and q go to Lua first, so that an error below (no memory, a failed copy) leaks
   * neither */
  lua_settop(L, 2);
  ltb_push(L, J);   /* index 3 */
  ltb_push(L, q);   /* index 4 */
  lt_tensor *oldJ = NULL, *oldq = NULL;
  if (lua_istable(L, 2)) {
    lua_rawgeti(L, 2, 1);
    lua_rawgeti(L, 2, 2);
    oldJ = ltb_totensor(L, -2);
    oldq = ltb_totensor(L, -1);
    lua_pop(L, 2);   /* the table keeps them alive */
    /* not reusable (another type or device than the new J and q): replaced */
    if (oldJ && (oldJ->dtype != LT_INT64 || !lt_same_device(oldJ->device, J->device))) oldJ = NULL;
    if (oldq && (oldq->dtype != q->dtype || !lt_same_device(oldq->device, q->device))) oldq = NULL;
  } else {
    lua_createtable(L, 2, 0);
    lua_replace(L, 2);
  }
  /* a reused tensor whose elements share memory (expand) would keep one value for all */
  if (oldJ && lt_check_writable("multinomialAliasSetup", "state[1] (J)", oldJ) < 0) return ltb_fail(L);
  if (oldq && lt_check_writable("multinomialAliasSetup", "state[2] (q)", oldq) < 0) return ltb_fail(L);
  if (oldJ) store_into(L, oldJ, 3);
  else { lua_pushvalue(L, 3); lua_rawseti(L, 2, 1); }
  if (oldq) store_into(L, oldq, 4);
  else { lua_pushvalue(L, 4); lua_rawseti(L, 2, 2); }
  lua_settop(L, 2);
  return 1;
}

/* torch.multinomialAlias([gen,] output, state) or ([gen,] output, J, q): fills output
 * with 1-based samples and returns it */
static int alias_draw(lua_State *L) {
  lt_generator *g = ltb_opt_generator(L);
  lt_tensor *out = ltb_checktensor(L, 1);
  lt_tensor *J, *q;
  alias_state(L, 2, &J, &q);
  if (lt_dtype_is_float(out->dtype) || out->dtype == LT_BOOL)
    return luaL_argerror(L, 1, lua_pushfstring(L, "output must be an integer tensor (a LongTensor), got %s",
                                                  ltb_typename(out->dtype, out->device)));
  /* Torch7's J is 1-based, and so are the samples: drawn straight from J, O(n) whatever
   * the number of categories (no copy of J or q) */
  if (lt_multinomial_alias_draw_base(out, g, J, q, 1) < 0) return ltb_fail(L);
  lua_settop(L, 1);
  return 1;
}

/* ---- torch.setheaptracking(on): Torch7 lets Lua's collector know of tensor memory with
 * it; here that accounting (ltb_account, bindings/init.c: collections driven by the bytes
 * tensors hold) is on by default, and this turns it off and on. Returns the previous
 * setting. */
extern bool ltb_heaptracking;
static int set_heap_tracking(lua_State *L) {
  luaL_checktype(L, 1, LUA_TBOOLEAN);
  bool old = ltb_heaptracking;
  ltb_heaptracking = lua_toboolean(L, 1);
  lua_pushboolean(L, old);
  return 1;
}

static const luaL_Reg functions[] = {
  {"Generator", gen_new}, {"multinomialAliasSetup", alias_setup}, {"multinomialAlias", alias_draw},
  {"setheaptracking", set_heap_tracking}, {NULL, NULL}};

void ltb_open_generator(lua_State *L) {
  luaL_newmetatable(L, GEN_MT);
  lua_pushstring(L, GEN_MT);
  lua_setfield(L, -2, "__typename");
  lua_pushcfunction(L, gen_tostring);
  lua_setfield(L, -2, "__tostring");
  lua_pop(L, 1);
  ltb_register(L, NULL, functions);
  /* torch._gen: the default generator as an object (Torch7's name) */
  lua_rawgeti(L, LUA_REGISTRYINDEX, ltb_torch_ref);
  gen_box *b = (gen_box *)lua_newuserdatauv(L, sizeof(gen_box), 0);
  memset(b, 0, sizeof *b);
  b->g = lt_default_generator();
  luaL_setmetatable(L, GEN_MT);
  lua_setfield(L, -2, "_gen");
  lua_pop(L, 1);
}
