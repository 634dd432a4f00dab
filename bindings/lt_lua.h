/* lt_lua.h: what the binding files share. Bindings are thin: check arguments, call the
 * engine, turn engine errors into Lua errors. No math here.
 *
 * Conventions (Torch7's):
 *  - indices and dims are 1-based in Lua, negative counts from the end; ltb_checkdim and
 *    ltb_checkindex convert to the engine's 0-based.
 *  - a C function registered with ltb_register gets upvalue 1 = true when called as a
 *    method (t:add(b) writes into t) and false as torch.add (returns a new tensor, or
 *    writes into a leading result tensor: torch.add(res, a, b)). Test with LTB_METHOD(L).
 *  - engine failures: return ltb_fail(L) (raises lt_errmsg(), which names the op).
 *  - argument errors: luaL_argerror / luaL_error with the function's name, e.g.
 *    "bad argument #2 to 'narrow' (number expected, got string)".
 */
#ifndef LT_LUA_H
#define LT_LUA_H

#include "luatorch.h"
#include <lua.h>
#include <lauxlib.h>

/* the userdata: one pointer to an engine tensor (owned reference), and a tag, the address
 * of ltb_box_tag, that tells a tensor's userdata apart from any other by one comparison */
typedef struct { lt_tensor *t; const void *tag; } ltb_box;
extern const char ltb_box_tag;

/* Lua-visible tensor types: one per (device type, dtype): torch.FloatTensor ... torch.CudaTensor */
#define LTB_NTYPES (LT_NDEVTYPES * LT_NDTYPES)
static inline int ltb_typeidx(lt_dtype dt, lt_device dev) { return dev.type * LT_NDTYPES + dt; }
extern const void *ltb_mt[LTB_NTYPES];       /* metatable identities, for fast checks */
extern int ltb_mt_ref[LTB_NTYPES];           /* registry refs of the metatables */
extern int ltb_methods_ref, ltb_torch_ref;   /* the shared methods table, the torch table */
extern lt_dtype ltb_default_dtype;           /* torch.setdefaulttensortype */
const char *ltb_typename(lt_dtype dt, lt_device dev); /* "torch.FloatTensor", "torch.CudaTensor" */

/* The tensor at idx, or NULL when it is not a tensor (or a closed one). A full userdata of
 * ltb_box's size carrying the tag: type checks by pointer, with no metatable lookup (this
 * is on every op's path). Light userdata have no length, so their memory is never read. */
static inline lt_tensor *ltb_totensor(lua_State *L, int idx) {
  ltb_box *b = (ltb_box *)lua_touserdata(L, idx);
  if (!b || lua_rawlen(L, idx) != sizeof(ltb_box) || b->tag != &ltb_box_tag) return NULL;
  return b->t;
}
/* The tensor at idx or a Lua error "bad argument #idx to 'fname' (tensor expected, got X)" */
lt_tensor *ltb_checktensor(lua_State *L, int idx);
/* Pushes a tensor, taking over the caller's reference; t == NULL raises lt_errmsg(). */
void ltb_push(lua_State *L, lt_tensor *t);
/* Pushes t as the result of an in-place/out= op: when t is the tensor at index `same`
 * (already on the stack) that value is pushed again, else t is pushed as new. */
void ltb_push_result(lua_State *L, lt_tensor *t, int same);
int ltb_fail(lua_State *L);                   /* raises lt_errmsg() */
/* Pushes r (taking its reference), or copies it into res (resized; res is at index resi)
 * and pushes res when res is given. r == NULL raises lt_errmsg(). */
void ltb_push_into(lua_State *L, lt_tensor *r, lt_tensor *res, int resi);
/* 0-based engine indices to Lua's 1-based, in place; takes and returns the reference */
lt_tensor *ltb_one_based(lt_tensor *ix);

/* dim argument: 1-based (negative from the end) -> 0-based, checked against ndim */
int ltb_checkdim(lua_State *L, int idx, int ndim);
int ltb_optdim(lua_State *L, int idx, int ndim, int def0);  /* def0 is 0-based */
/* index argument along a dim of size n: 1-based (negative from the end) -> 0-based */
int64_t ltb_checkindex(lua_State *L, int idx, int64_t n);
/* sizes: numbers, a table of numbers, or a torch.LongStorage/LongTensor at idx..top;
 * returns ndim (into size[LT_MAXDIM]) */
int ltb_checksizes(lua_State *L, int idx, int64_t *size);
/* a trailing options table {requiresGrad=true} of creation functions: is the value at idx
 * one; apply it to a new tensor t (on error t is released and a Lua error raised) */
bool ltb_is_options(lua_State *L, int idx);
void ltb_apply_options(lua_State *L, int idx, lt_tensor *t);
/* an INT64 tensor of 0-based indices converted from a 1-based LongTensor (or table) */
lt_tensor *ltb_checkindices(lua_State *L, int idx);
/* a dtype from a name: "torch.FloatTensor", "Float", "float" ... ; -1 when unknown */
int ltb_dtype_from_name(const char *name, lt_device *dev);

/* Registers methods (into the shared methods table, upvalue true) and functions (into the
 * torch table, upvalue false). Either list may be NULL. */
void ltb_register(lua_State *L, const luaL_Reg *methods, const luaL_Reg *functions);
#define LTB_METHOD(L) lua_toboolean((L), lua_upvalueindex(1))

/* storages: torch.FloatStorage ... (one metatable per dtype) */
typedef struct { lt_storage *s; } ltb_sbox;
extern const void *ltb_smt[LT_NDTYPES];
static inline lt_storage *ltb_tostorage(lua_State *L, int idx) {
  if (lua_type(L, idx) != LUA_TUSERDATA || !lua_getmetatable(L, idx)) return NULL;
  const void *p = lua_topointer(L, -1);
  lua_pop(L, 1);
  for (int i = 0; i < LT_NDTYPES; i++)
    if (ltb_smt[i] == p) return ((ltb_sbox *)lua_touserdata(L, idx))->s;
  return NULL;
}
void ltb_pushstorage(lua_State *L, lt_storage *s);   /* takes over the reference */

/* Torch7's optional [gen,] argument (generator.c): removes the first torch.Generator
 * among the leading tensor arguments and returns its generator, else the default one.
 * Call it first: the argument indices after it are those of the call without the
 * generator. The generator lives in its Lua object, which after the removal is kept alive
 * only by a registry slot holding the last generator argument: the pointer is valid for
 * the rest of the call unless Lua code run during it (a __gc or other metamethod) itself
 * passes another generator to a random function. So use it for the draws and do not
 * keep it past the call. */
lt_generator *ltb_opt_generator(lua_State *L);

/* Tell Lua's collector about n bytes of tensor data allocated outside Lua. */
void ltb_account(lua_State *L, int64_t nbytes);

/* the family openers, called by luaopen_torch_core in this order */
void ltb_open_tensor(lua_State *L);     /* tensor.c: constructors, views, types */
void ltb_open_tensor_access(lua_State *L);   /* tensor_access.c: item, totable, apply, map */
/* tensor.c: a number argument (booleans as 0/1), and one element of t pushed as a Lua
 * value (any device) */
double ltb_checkvalue(lua_State *L, int idx);
/* fill t with the number at idx: a Lua integer exactly (beyond 2^53 in a LongTensor) */
int ltb_fill(lua_State *L, lt_tensor *t, int idx);
void ltb_push_element(lua_State *L, const lt_tensor *t, const int64_t *index);
/* tensor.c: a view of all of t (recorded when t is in the graph) */
lt_tensor *ltb_view_alias(const lt_tensor *t);
/* tensor.c: Torch7's constructor forms (torch.FloatTensor(...)) from argument `first` on:
 * _on on device dev, ltb_tensor_new on the current CUDA device for a CUDA type */
int ltb_tensor_new_on(lua_State *L, lt_dtype dt, lt_device dev, int first);
int ltb_tensor_new(lua_State *L, lt_dtype dt, lt_device dev, int first);
void ltb_open_math(lua_State *L);       /* math.c: pointwise ops and operators */
void ltb_open_reduce(lua_State *L);     /* reduce.c */
void ltb_open_linalg(lua_State *L);     /* linalg.c */
void ltb_open_index(lua_State *L);      /* index.c: index/gather/scatter/masked/sort/topk */
void ltb_open_shape(lua_State *L);      /* shape.c: cat/stack/split/chunk/repeat/flip/roll */
void ltb_open_random(lua_State *L);     /* random.c: random, ranges, eye */
void ltb_open_util(lua_State *L);
void ltb_open_autograd(lua_State *L);   /* autograd.c */
void ltb_open_nn_conv(lua_State *L);    /* nn_conv.c: convolutions */
void ltb_open_nn_spatial(lua_State *L); /* nn_spatial.c: pooling, batch norm, dropout, embedding */
void ltb_open_nn_act(lua_State *L);     /* nn_act.c: activations, softmax, losses */
void ltb_open_nn_rnn(lua_State *L);     /* nn_rnn.c: LSTM and GRU cells */
void ltb_open_data(lua_State *L);       /* data.c: IDX files */
void ltb_open_serialize(lua_State *L);  /* serialize.c: raw storage bytes for torch.save/load */
/* t.requiresGrad, t.grad, t.gradFn: 1 when k is one of them (value pushed / assigned) */
int ltb_autograd_index(lua_State *L, lt_tensor *t, const char *k);
int ltb_autograd_newindex(lua_State *L, lt_tensor *t, const char *k);       /* util.c: Timer, threads, misc */

#endif
