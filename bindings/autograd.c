/* autograd.c (bindings): t.requiresGrad, t.grad, t.gradFn, t:backward, t:detach,
 * t:zeroGrad, t:isLeaf, t:setRequiresGrad, t:registerHook, torch.grad, torch.noGrad,
 * torch.setGradEnabled, torch.isGradEnabled and the C side of torch.Function. The
 * engine does the work (tensor/autograd.c); gradcheck and the functional form are Lua
 * (stdlib/torch/autograd.lua, stdlib/autograd/init.lua). */
#include "lt_lua.h"
#include <stdlib.h>
#include <string.h>

#define NODE_MT "torch.Node"

/* the Lua state hooks and custom backward functions call into: the one running the
 * backward (set around every call into the engine's backward) */
static lua_State *cur_L;
static lua_State *main_L;   /* for releasing registry references outside a backward */

/* ---- grad_fn nodes as Lua values ---- */
typedef struct { lt_tensor *owner; } node_box;

static void push_node(lua_State *L, lt_tensor *t) {
  const char *name = lt_grad_fn_name(t);
  if (!name) { lua_pushnil(L); return; }
  node_box *b = lua_newuserdatauv(L, sizeof(node_box), 0);
  b->owner = t;          /* the tensor keeps the node; the box keeps the tensor */
  lt_retain(t);
  luaL_setmetatable(L, NODE_MT);
}
static int node_gc(lua_State *L) {
  node_box *b = luaL_checkudata(L, 1, NODE_MT);
  lt_release(b->owner);
  b->owner = NULL;
  return 0;
}
static int node_tostring(lua_State *L) {
  node_box *b = luaL_checkudata(L, 1, NODE_MT);
  const char *name = b->owner ? lt_grad_fn_name(b->owner) : NULL;
  lua_pushfstring(L, "<%s>", name ? name : "freed node");
  return 1;
}
static int node_index(lua_State *L) {
  node_box *b = luaL_checkudata(L, 1, NODE_MT);
  const char *k = luaL_checkstring(L, 2);
  if (!strcmp(k, "name")) {
    const char *name = b->owner ? lt_grad_fn_name(b->owner) : NULL;
    if (name) lua_pushstring(L, name); else lua_pushnil(L);
    return 1;
  }
  lua_pushnil(L);
  return 1;
}

/* ---- fields: t.requiresGrad, t.grad, t.gradFn (called by the tensor __index/__newindex) ---- */
int ltb_autograd_index(lua_State *L, lt_tensor *t, const char *k) {
  if (!strcmp(k, "requiresGrad")) { lua_pushboolean(L, t->requires_grad); return 1; }
  if (!strcmp(k, "grad")) {
    if (t->grad) { lt_retain(t->grad); ltb_push(L, t->grad); } else lua_pushnil(L);
    return 1;
  }
  if (!strcmp(k, "gradFn")) { push_node(L, t); return 1; }
  return 0;
}

int ltb_autograd_newindex(lua_State *L, lt_tensor *t, const char *k) {
  if (!strcmp(k, "requiresGrad")) {
    if (!lua_isboolean(L, 3))
      return luaL_error(L, "requiresGrad: expected a boolean, got %s", luaL_typename(L, 3));
    if (lt_set_requires_grad(t, lua_toboolean(L, 3)) < 0) return ltb_fail(L);
    return 1;
  }
  if (!strcmp(k, "grad")) {
    if (lua_isnil(L, 3)) { lt_release(t->grad); t->grad = NULL; return 1; }
    lt_tensor *g = ltb_totensor(L, 3);
    if (!g) return luaL_error(L, "grad: expected a tensor or nil, got %s", luaL_typename(L, 3));
    if (g == t) return luaL_error(L, "grad: a tensor cannot be its own gradient");
    if (lt_numel(g) != lt_numel(t) || g->dtype != t->dtype || !lt_same_device(g->device, t->device)) {
      char b1[64], b2[64];
      return luaL_error(L, "grad: expected a %s of size %s, got a %s of size %s",
                        ltb_typename(t->dtype, t->device), lt_shape_str(t, b1, sizeof b1),
                        ltb_typename(g->dtype, g->device), lt_shape_str(g, b2, sizeof b2));
    }
    lt_retain(g);
    lt_release(t->grad);
    t->grad = g;
    return 1;
  }
  if (!strcmp(k, "gradFn")) return luaL_error(L, "gradFn: read-only (use detach() for a tensor without history)");
  return 0;
}

/* ---- methods ---- */

static int t_setRequiresGrad(lua_State *L) {
  lt_tensor *t = ltb_checktensor(L, 1);
  bool on = lua_isnoneornil(L, 2) ? true : lua_toboolean(L, 2);
  if (lt_set_requires_grad(t, on) < 0) return ltb_fail(L);
  lua_settop(L, 1);
  return 1;
}

static int t_isLeaf(lua_State *L) {
  lua_pushboolean(L, lt_is_leaf(ltb_checktensor(L, 1)));
  return 1;
}

static int t_detach(lua_State *L) {
  ltb_push(L, lt_detach(ltb_checktensor(L, 1)));
  return 1;
}

static int t_zeroGrad(lua_State *L) {
  lt_tensor *t = ltb_checktensor(L, 1);
  if (t->grad) {
    if (t->grad->grad_fn) {   /* a gradient with history (createGraph): drop it */
      lt_release(t->grad);
      t->grad = NULL;
    } else if (lt_fill(t->grad, 0) < 0) return ltb_fail(L);
  }
  lua_settop(L, 1);
  return 1;
}

/* options {retainGraph=, createGraph=} at idx (a table or nil) */
static void read_opts(lua_State *L, int idx, const char *fname, bool *retain, bool *create) {
  *retain = *create = false;
  if (lua_isnoneornil(L, idx)) return;
  if (!lua_istable(L, idx))
    luaL_error(L, "bad argument #%d to '%s' (options table {retainGraph=, createGraph=} expected, got %s)",
               idx, fname, luaL_typename(L, idx));
  lua_getfield(L, idx, "retainGraph");
  *retain = lua_toboolean(L, -1);
  lua_getfield(L, idx, "createGraph");
  *create = lua_toboolean(L, -1);
  lua_pop(L, 2);
}

static int run_engine(lua_State *L, int n, lt_tensor **outs, lt_tensor **gouts, int ni, lt_tensor **ins,
                      lt_tensor **grads, bool retain, bool create, bool stop, bool accumulate) {
  lua_State *prev = cur_L;
  cur_L = L;
  int rc = !grads ? lt_backward(n, outs, gouts, retain, create)
           : stop || accumulate ? lt_grad_between(n, outs, gouts, ni, ins, grads, retain, create, accumulate)
                                : lt_grad(n, outs, gouts, ni, ins, grads, retain, create);
  cur_L = prev;
  return rc;
}

/* t:backward([gradOutput][, {retainGraph=, createGraph=}]) */
static int t_backward(lua_State *L) {
  lt_tensor *t = ltb_checktensor(L, 1);
  lt_tensor *g = NULL;
  int oi = 2;
  if (!lua_isnoneornil(L, 2) && !lua_istable(L, 2)) {
    if (!(g = ltb_totensor(L, 2)))
      return luaL_argerror(L, 2, lua_pushfstring(L, "gradOutput tensor expected, got %s", luaL_typename(L, 2)));
    oi = 3;
  } else if (lua_isnil(L, 2)) oi = 3;
  bool retain, create;
  read_opts(L, oi, "backward", &retain, &create);
  if (run_engine(L, 1, &t, g ? &g : NULL, 0, NULL, NULL, retain, create, false, false) < 0) return ltb_fail(L);
  return 0;
}

/* a tensor or a list of tensors at idx into a malloc'd array (in a userdata kept on the stack) */
static int tensor_list(lua_State *L, int idx, const char *fname, const char *what, lt_tensor ***out, bool allow_nil_entries) {
  lt_tensor *t = ltb_totensor(L, idx);
  if (t) {
    lt_tensor **a = lua_newuserdatauv(L, sizeof(lt_tensor *), 0);
    a[0] = t;
    *out = a;
    return 1;
  }
  if (!lua_istable(L, idx))
    return luaL_error(L, "bad argument #%d to '%s' (%s: a tensor or a table of tensors expected, got %s)", idx, fname,
                      what, luaL_typename(L, idx));
  int n = (int)lua_rawlen(L, idx);
  lt_tensor **a = lua_newuserdatauv(L, sizeof(lt_tensor *) * (n ? n : 1), 0);
  for (int i = 0; i < n; i++) {
    lua_rawgeti(L, idx, i + 1);
    a[i] = ltb_totensor(L, -1);
    if (!a[i] && !(allow_nil_entries && lua_isnil(L, -1)))
      return luaL_error(L, "bad argument #%d to '%s' (%s[%d]: tensor expected, got %s)", idx, fname, what, i + 1,
                        luaL_typename(L, -1));
    lua_pop(L, 1);   /* the table keeps the tensor alive */
  }
  *out = a;
  return n;
}

/* torch.grad(outputs, inputs[, gradOutputs][, {retainGraph=, createGraph=}]) */
static int f_grad(lua_State *L) {
  lt_tensor **outs, **ins, **gouts = NULL;
  lua_settop(L, 4);   /* the lists below are pushed above the arguments */
  int n = tensor_list(L, 1, "grad", "outputs", &outs, false);
  int ni = tensor_list(L, 2, "grad", "inputs", &ins, false);
  int oi = 3;
  if (!lua_isnoneornil(L, 3) && (ltb_totensor(L, 3) || (lua_istable(L, 3) && lua_rawlen(L, 3) > 0))) {
    int ng = tensor_list(L, 3, "grad", "gradOutputs", &gouts, true);
    if (ng != n) return luaL_error(L, "grad: %d outputs but %d gradOutputs", n, ng);
    oi = 4;
  } else if (lua_isnil(L, 3)) oi = 4;
  else if (lua_istable(L, 3) && lua_rawlen(L, 3) == 0 && !lua_isnoneornil(L, 4)) oi = 4;
  bool retain, create, stop = false, accumulate = false;
  read_opts(L, oi, "grad", &retain, &create);
  if (lua_istable(L, oi)) {
    lua_getfield(L, oi, "stopAtInputs");
    stop = lua_toboolean(L, -1);
    lua_getfield(L, oi, "accumulate");
    accumulate = lua_toboolean(L, -1);
    lua_pop(L, 2);
  }
  if (n == 0) return luaL_error(L, "grad: no outputs given");
  lt_tensor **grads = lua_newuserdatauv(L, sizeof(lt_tensor *) * (ni ? ni : 1), 0);
  if (run_engine(L, n, outs, gouts, ni, ins, grads, retain, create, stop, accumulate) < 0) return ltb_fail(L);
  bool single = ltb_totensor(L, 2) != NULL;
  if (single) { ltb_push(L, grads[0]); return 1; }
  lua_createtable(L, ni, 0);
  for (int i = 0; i < ni; i++) {
    ltb_push(L, grads[i]);
    lua_rawseti(L, -2, i + 1);
  }
  return 1;
}

/* torch._version(t): the write count of t's storage (the version autograd checks: a
 * storage view's is its root's) */
static int f_version(lua_State *L) {
  lt_tensor *t = ltb_checktensor(L, 1);
  const lt_storage *s = t->storage ? (t->storage->base ? t->storage->base : t->storage) : NULL;
  lua_pushinteger(L, s ? (lua_Integer)s->version : 0);
  return 1;
}

static int f_liveNodes(lua_State *L) {
  lua_pushinteger(L, (lua_Integer)lt_autograd_live_nodes());
  return 1;
}

static int f_setGradEnabled(lua_State *L) {
  luaL_checktype(L, 1, LUA_TBOOLEAN);
  lua_pushboolean(L, lt_set_grad_enabled(lua_toboolean(L, 1)));
  return 1;
}
static int f_isGradEnabled(lua_State *L) {
  lua_pushboolean(L, lt_grad_enabled());
  return 1;
}
/* torch.noGrad(f, ...): f(...) with grad mode off; its results are returned */
static int f_noGrad(lua_State *L) {
  luaL_checktype(L, 1, LUA_TFUNCTION);
  bool prev = lt_set_grad_enabled(false);
  int rc = lua_pcall(L, lua_gettop(L) - 1, LUA_MULTRET, 0);
  lt_set_grad_enabled(prev);
  if (rc != LUA_OK) return lua_error(L);
  return lua_gettop(L);
}
static int f_enableGrad(lua_State *L) {
  luaL_checktype(L, 1, LUA_TFUNCTION);
  bool prev = lt_set_grad_enabled(true);
  int rc = lua_pcall(L, lua_gettop(L) - 1, LUA_MULTRET, 0);
  lt_set_grad_enabled(prev);
  if (rc != LUA_OK) return lua_error(L);
  return lua_gettop(L);
}

/* ---- hooks: a Lua function kept in the registry ---- */
typedef struct { int ref; } lua_hook;

static void hook_free(void *p) {
  lua_hook *h = p;
  lua_State *L = cur_L ? cur_L : main_L;
  if (L) luaL_unref(L, LUA_REGISTRYINDEX, h->ref);
  free(h);
}

static lt_tensor *hook_call(void *ud, const lt_tensor *grad, int *err) {
  lua_hook *h = ud;
  lua_State *L = cur_L;
  if (!L) { lt_seterr("backward: a hook ran outside Lua"); *err = 1; return NULL; }
  lua_rawgeti(L, LUA_REGISTRYINDEX, h->ref);
  lt_retain((lt_tensor *)grad);
  ltb_push(L, (lt_tensor *)grad);
  if (lua_pcall(L, 1, 1, 0) != LUA_OK) {
    lt_seterr("backward: error in a hook: %s", lua_tostring(L, -1));
    lua_pop(L, 1);
    *err = 1;
    return NULL;
  }
  lt_tensor *r = NULL;
  if (!lua_isnil(L, -1)) {
    r = ltb_totensor(L, -1);
    if (!r) {
      lt_seterr("backward: a hook must return nil or a tensor, not %s", luaL_typename(L, -1));
      lua_pop(L, 1);
      *err = 1;
      return NULL;
    }
    lt_retain(r);
  }
  lua_pop(L, 1);
  return r;
}

static int t_registerHook(lua_State *L) {
  lt_tensor *t = ltb_checktensor(L, 1);
  luaL_checktype(L, 2, LUA_TFUNCTION);
  lua_hook *h = malloc(sizeof *h);
  if (!h) return luaL_error(L, "registerHook: out of memory");
  lua_pushvalue(L, 2);
  h->ref = luaL_ref(L, LUA_REGISTRYINDEX);
  lua_State *prev = cur_L;
  cur_L = L;
  int rc = lt_register_hook(t, hook_call, h, hook_free);
  cur_L = prev;
  if (rc < 0) { luaL_unref(L, LUA_REGISTRYINDEX, h->ref); free(h); return ltb_fail(L); }
  lua_settop(L, 1);
  return 1;
}

/* ---- torch.Function: torch._recordFunction(output, inputs, backward, name) ----
 * backward(gradOutput) returns one gradient (or nil) per input. */
typedef struct { int ref; } lua_fn;

static void fn_free(void *p) {
  lua_fn *f = p;
  lua_State *L = cur_L ? cur_L : main_L;
  if (L) luaL_unref(L, LUA_REGISTRYINDEX, f->ref);
  free(f);
}

static int fn_backward(void *ud, const lt_tensor *grad, int n, lt_tensor **grads) {
  lua_fn *f = ud;
  lua_State *L = cur_L;
  if (!L) { lt_seterr("backward: a custom function ran outside Lua"); return -1; }
  lua_rawgeti(L, LUA_REGISTRYINDEX, f->ref);
  lt_retain((lt_tensor *)grad);
  ltb_push(L, (lt_tensor *)grad);
  if (lua_pcall(L, 1, n, 0) != LUA_OK) {
    lt_seterr("%s", lua_tostring(L, -1));
    lua_pop(L, 1);
    return -1;
  }
  int base = lua_gettop(L) - n;
  for (int i = 0; i < n; i++) {
    if (lua_isnil(L, base + 1 + i)) continue;
    lt_tensor *g = ltb_totensor(L, base + 1 + i);
    if (!g) {
      const char *tn = luaL_typename(L, base + 1 + i);
      lua_settop(L, base);
      for (int j = 0; j < i; j++) { lt_release(grads[j]); grads[j] = NULL; }
      lt_seterr("backward of a torch.Function returned %s for input %d (a tensor or nil expected)", tn, i + 1);
      return -1;
    }
    lt_retain(g);
    grads[i] = g;
  }
  lua_settop(L, base);
  return 0;
}

static int f_recordFunction(lua_State *L) {
  lua_settop(L, 4);
  lt_tensor *out = ltb_checktensor(L, 1);
  lt_tensor **ins;
  int n = tensor_list(L, 2, "Function", "inputs", &ins, false);
  luaL_checktype(L, 3, LUA_TFUNCTION);
  const char *name = luaL_optstring(L, 4, "FunctionBackward");
  /* the node keeps its name: intern it in the registry (names are few) */
  lua_getfield(L, LUA_REGISTRYINDEX, "luatorch.fnames");
  if (!lua_istable(L, -1)) {
    lua_pop(L, 1);
    lua_newtable(L);
    lua_pushvalue(L, -1);
    lua_setfield(L, LUA_REGISTRYINDEX, "luatorch.fnames");
  }
  lua_pushstring(L, name);
  lua_pushvalue(L, -1);
  lua_rawset(L, -3);
  lua_pushstring(L, name);
  lua_rawget(L, -2);
  name = lua_tostring(L, -1);   /* anchored in the registry table from now on */
  lua_fn *f = malloc(sizeof *f);
  if (!f) return luaL_error(L, "Function: out of memory");
  lua_pushvalue(L, 3);
  f->ref = luaL_ref(L, LUA_REGISTRYINDEX);
  lua_State *prev = cur_L;
  cur_L = L;
  int rc = lt_custom_record(out, name, n, (const lt_tensor *const *)ins, fn_backward, f, fn_free);
  cur_L = prev;
  if (rc < 0) return ltb_fail(L);
  lua_settop(L, 1);
  return 1;
}

static const luaL_Reg methods[] = {
  {"setRequiresGrad", t_setRequiresGrad}, {"isLeaf", t_isLeaf}, {"detach", t_detach},
  {"zeroGrad", t_zeroGrad}, {"backward", t_backward}, {"registerHook", t_registerHook},
  {NULL, NULL}};
static const luaL_Reg functions[] = {
  {"grad", f_grad}, {"setGradEnabled", f_setGradEnabled}, {"isGradEnabled", f_isGradEnabled},
  {"noGrad", f_noGrad}, {"enableGrad", f_enableGrad}, {"_recordFunction", f_recordFunction},
  {"_autogradLiveNodes", f_liveNodes}, {"_version", f_version},
  {NULL, NULL}};

void ltb_open_autograd(lua_State *L) {
  lua_rawgeti(L, LUA_REGISTRYINDEX, LUA_RIDX_MAINTHREAD);
  main_L = lua_tothread(L, -1);
  lua_pop(L, 1);
  luaL_newmetatable(L, NODE_MT);
  lua_pushstring(L, NODE_MT);
  lua_setfield(L, -2, "__typename");
  lua_pushcfunction(L, node_gc);
  lua_setfield(L, -2, "__gc");
  lua_pushcfunction(L, node_tostring);
  lua_setfield(L, -2, "__tostring");
  lua_pushcfunction(L, node_index);
  lua_setfield(L, -2, "__index");
  lua_pop(L, 1);
  ltb_register(L, methods, functions);
}
