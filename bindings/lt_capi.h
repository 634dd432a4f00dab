/* lt_capi.h: what torch/core.so hands to other C modules (distributed/core.so ...).
 *
 * Lua loads each C module with RTLD_LOCAL, so a second module cannot link against
 * core.so's symbols (and a copy of the engine of its own would not know core.so's
 * tensors: their userdata tag is core.so's &ltb_box_tag). So core.so publishes a table
 * of function pointers as the light userdata torch._capi; a module reads it once at
 * load time and checks `version`. Only what such a module needs is here; a new field
 * goes at the end, with the version bumped. */
#ifndef LT_CAPI_H
#define LT_CAPI_H
#include "luatorch.h"
#include <lua.h>

#define LTB_CAPI_VERSION 1
typedef struct {
  int version;
  size_t size;                                      /* sizeof(ltb_capi) in core.so */
  lt_tensor *(*totensor)(lua_State *L, int idx);    /* NULL when not a (live) tensor */
  int64_t (*numel)(const lt_tensor *t);
  bool (*is_contiguous)(const lt_tensor *t);
  size_t (*dtype_size)(lt_dtype t);
  const char *(*dtype_name)(lt_dtype t);            /* "Float", "Double", ... */
} ltb_capi;
#endif
