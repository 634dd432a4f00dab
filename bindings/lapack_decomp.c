/* lapack_decomp.c: bindings of the LAPACK decompositions (tensor/lapack_decomp.c).
 *
 * Torch7's forms, as bindings/lapack.c: leading result tensors are optional, and the
 * method form is the function form with the tensor itself first (a:svd() is torch.svd(a);
 * ru:svd(rs, rv, a) is torch.svd(ru, rs, rv, a)).
 *   torch.symeig([rese, resv,] A [, 'N' or 'V'] [, 'U' or 'L']) -> e, V (V empty for 'N')
 *   torch.eig([rese, resv,] A [, 'N' or 'V']) -> e (n x 2: real, imaginary), V
 *   torch.svd([resu, ress, resv,] A [, 'S' or 'A']) -> U, S, V   (A = U diag(S) V^T)
 *   torch.qr([resq, resr,] A) -> Q, R     torch.geqrf([resa, restau,] A) -> a, tau
 *   torch.orgqr([res,] a, tau) -> Q       torch.ormqr([res,] a, tau, C [, 'L' or 'R'] [, 'N' or 'T'])
 *   torch.pinverse([res,] A [, rcond])  (PyTorch's; rcond max(m, n) * eps(A's type)) */
#include "lapack_util.h"
#include <float.h>

/* nothing may follow the last accepted argument */
static void no_more(lua_State *L, int last, const char *name, const char *form) {
  if (lua_gettop(L) > last) usage(L, name, form);
}

/* a one-letter option after the tensors: the letters allowed, the default, its name */
typedef struct { const char *allowed; char def; const char *what; } letter_opt;

/* Torch7's form "[results...,] inputs... [, options...]" with nin input tensors and nres
 * optional leading result tensors: checks the count, reads the nopt one-letter options
 * into val in order, then that nothing follows; returns how many result tensors lead
 * (0 or nres) */
static int parse_form(lua_State *L, const char *name, const char *form, int nin, int nres,
                      int nopt, const letter_opt *opts, char *val) {
  int nt = lead_tensors(L);
  if (nt != nin && nt != nin + nres) return usage(L, name, form);
  for (int i = 0; i < nopt; i++)
    val[i] = opt_char(L, nt + 1 + i, opts[i].allowed, opts[i].def, opts[i].what);
  no_more(L, nt + nopt, name, form);
  return nt == nin ? 0 : nres;
}

/* the second result of symeig/eig without vectors: the given result tensor (untouched),
 * or an empty tensor (PyTorch's) */
static void push_novectors(lua_State *L, int rvi, const lt_tensor *a) {
  if (rvi) lua_pushvalue(L, rvi);
  else ltb_push(L, lt_new_empty(a->dtype, a->device));
}

/* the optional result tensor i (1-based) when o of them lead the arguments */
static lt_tensor *res_arg(lua_State *L, int o, int i) { return o ? ltb_totensor(L, i) : NULL; }

/* symeig's and eig's results: e, then V or (without vectors) push_novectors's */
static int push_eig(lua_State *L, int rc, lt_tensor *e, lt_tensor *v, int o, const lt_tensor *a) {
  if (rc < 0) return ltb_fail(L);
  ltb_push_result(L, e, o ? 1 : 0);
  if (v) ltb_push_result(L, v, o ? 2 : 0);
  else push_novectors(L, o ? 2 : 0, a);
  return 2;
}

static int l_symeig(lua_State *L) {
  char opt[2];   /* jobz, uplo */
  int o = parse_form(L, "symeig", "[rese, resv,] A [, 'N' or 'V'] [, 'U' or 'L']", 1, 2, 2,
                     (const letter_opt[]){{"NV", 'N', "jobz"}, {"UL", 'U', "uplo"}}, opt);
  lt_tensor *a = ltb_totensor(L, o + 1), *e, *v;
  int rc = lt_symeig(res_arg(L, o, 1), res_arg(L, o, 2), a, opt[0] == 'V', opt[1] == 'U', &e, &v);
  return push_eig(L, rc, e, v, o, a);
}

static int l_eig(lua_State *L) {
  char jobvr;
  int o = parse_form(L, "eig", "[rese, resv,] A [, 'N' or 'V']", 1, 2, 1,
                     &(const letter_opt){"NV", 'N', "jobvr"}, &jobvr);
  lt_tensor *a = ltb_totensor(L, o + 1), *e, *v;
  int rc = lt_eig(res_arg(L, o, 1), res_arg(L, o, 2), a, jobvr == 'V', &e, &v);
  return push_eig(L, rc, e, v, o, a);
}

static int l_svd(lua_State *L) {
  char jobu;
  int o = parse_form(L, "svd", "[resu, ress, resv,] A [, 'S' or 'A']", 1, 3, 1,
                     &(const letter_opt){"SA", 'S', "jobu"}, &jobu);
  lt_tensor *u, *s, *v;
  if (lt_svd(res_arg(L, o, 1), res_arg(L, o, 2), res_arg(L, o, 3), ltb_totensor(L, o + 1),
             jobu == 'S', &u, &s, &v) < 0)
    return ltb_fail(L);
  ltb_push_result(L, u, o ? 1 : 0);
  ltb_push_result(L, s, o ? 2 : 0);
  ltb_push_result(L, v, o ? 3 : 0);
  return 3;
}

typedef int (*two_fn)(lt_tensor *, lt_tensor *, const lt_tensor *, lt_tensor **, lt_tensor **);

/* [r1, r2,] A -> two results */
static int two_results(lua_State *L, const char *name, const char *form, two_fn fn) {
  int o = parse_form(L, name, form, 1, 2, 0, NULL, NULL);
  lt_tensor *x, *y;
  if (fn(res_arg(L, o, 1), res_arg(L, o, 2), ltb_totensor(L, o + 1), &x, &y) < 0)
    return ltb_fail(L);
  ltb_push_result(L, x, o ? 1 : 0);
  ltb_push_result(L, y, o ? 2 : 0);
  return 2;
}
static int l_qr(lua_State *L) { return two_results(L, "qr", "[resq, resr,] A", lt_qr); }
static int l_geqrf(lua_State *L) { return two_results(L, "geqrf", "[resa, restau,] A", lt_geqrf); }

static int l_orgqr(lua_State *L) {
  int o = parse_form(L, "orgqr", "[res,] a, tau", 2, 1, 0, NULL, NULL);
  ltb_push_result(L, lt_orgqr(res_arg(L, o, 1), ltb_totensor(L, o + 1), ltb_totensor(L, o + 2)), o);
  return 1;
}

static int l_ormqr(lua_State *L) {
  char opt[2];   /* side, trans */
  int o = parse_form(L, "ormqr", "[res,] a, tau, C [, 'L' or 'R'] [, 'N' or 'T']", 3, 1, 2,
                     (const letter_opt[]){{"LR", 'L', "side"}, {"NT", 'N', "trans"}}, opt);
  ltb_push_result(L, lt_ormqr(res_arg(L, o, 1), ltb_totensor(L, o + 1),
                              ltb_totensor(L, o + 2), ltb_totensor(L, o + 3), opt[0] == 'L',
                              opt[1] == 'T'), o);
  return 1;
}

static int l_pinverse(lua_State *L) {
  const char *form = "[res,] A [, rcond]";
  int nt = lead_tensors(L);
  if (nt != 1 && nt != 2) return usage(L, "pinverse", form);
  /* the default (torch.linalg.pinv's): max(m, n) times the dtype's machine epsilon, so that
   * float32's rounding noise in the singular values is cut off as well as float64's */
  const lt_tensor *a = ltb_totensor(L, nt);
  int64_t mn = a->ndim == 2 ? (a->size[0] > a->size[1] ? a->size[0] : a->size[1]) : 1;
  double rcond = (a->dtype == LT_FLOAT32 ? FLT_EPSILON : DBL_EPSILON) * (double)mn;
  if (!lua_isnoneornil(L, nt + 1)) {
    if (lua_type(L, nt + 1) != LUA_TNUMBER)
      return luaL_argerror(L, nt + 1, lua_pushfstring(L, "rcond must be a number, got %s", luaL_typename(L, nt + 1)));
    rcond = lua_tonumber(L, nt + 1);
  }
  no_more(L, nt + 1, "pinverse", form);
  int o = nt == 2 ? 1 : 0;
  ltb_push_result(L, lt_pinverse(res_arg(L, o, 1), ltb_totensor(L, o + 1), rcond), o);
  return 1;
}

static const luaL_Reg functions[] = {
  {"symeig", l_symeig}, {"eig", l_eig}, {"svd", l_svd}, {"qr", l_qr}, {"geqrf", l_geqrf},
  {"orgqr", l_orgqr}, {"ormqr", l_ormqr}, {"pinverse", l_pinverse}, {NULL, NULL}};

void ltb_open_lapack_decomp(lua_State *L) { ltb_register(L, functions, functions); }
