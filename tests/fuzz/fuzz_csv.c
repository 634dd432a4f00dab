/* fuzz_csv.c: torch.data.csv (stdlib/torch/data.lua) on hostile CSV files, with the
 * default options (header detected, comma) and then with a header, ';', NaN for
 * non-numbers and a column picked by number. */
#define FUZZ_PREFIX "torch.data.csv: "
#define FUZZ_READER \
  "local torch = require 'torch'\n" \
  "local function clean(ok, err)\n" \
  "  if not ok and not (type(err) == 'string' and err:gsub('^[^ ]-:%d+: ', ''):find('^torch%.data%.csv: ')) then\n" \
  "    error(err, 0)\n" \
  "  end\n" \
  "end\n" \
  "return function(path)\n" \
  "  local oka, a, an = pcall(torch.data.csv, path)\n" \
  "  clean(oka, a)\n" \
  "  local okb, b, bn = pcall(torch.data.csv, path, {header = true, separator = ';', nan = true, columns = {1}})\n" \
  "  clean(okb, b)\n" \
  "  if not oka and not okb then error(b, 0) end\n" \
  "  return oka and a or nil, an, okb and b or nil, bn\n" \
  "end\n"
#include "fuzz_common.h"
