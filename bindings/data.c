/* data.c (bindings): torch.data's readers written in C (IDX files through zlib). */
#include "lt_lua.h"

void ltb_open_data(lua_State *L) { (void)L; }
