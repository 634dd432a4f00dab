/* fuzz_idx.c: torch.data.idx (bindings/data.c) on hostile IDX files, plain or gzipped
 * (zlib tells them apart by their first bytes). */
#define FUZZ_PREFIX "torch.data.idx: "
#define FUZZ_READER \
  "local torch = require 'torch'\n" \
  "return function(path) return torch.data.idx(path) end\n"
#include "fuzz_common.h"
