/* fuzz_t7.c: torch.load (stdlib/torch/File.lua, bindings/serialize.c) on hostile .t7
 * files, in both of Torch7's encodings: the same bytes read as binary, then as ascii. */
#define FUZZ_PREFIX "torch.load: "
#define FUZZ_READER \
  "local torch = require 'torch'\n" \
  "-- a refusal with the reader's own message is fine; anything else goes to the harness\n" \
  "local function clean(ok, err)\n" \
  "  if not ok and not (type(err) == 'string' and err:gsub('^[^ ]-:%d+: ', ''):find('^torch%.load: ')) then\n" \
  "    error(err, 0)\n" \
  "  end\n" \
  "end\n" \
  "return function(path)\n" \
  "  local oka, a = pcall(torch.load, path)\n" \
  "  clean(oka, a)\n" \
  "  local okb, b = pcall(torch.load, path, 'ascii')\n" \
  "  clean(okb, b)\n" \
  "  if not oka and not okb then error(b, 0) end\n" \
  "  return oka and a or nil, okb and b or nil\n" \
  "end\n"
#include "fuzz_common.h"
