/* fuzz_safetensors.c: torch.loadSafetensors (stdlib/torch/safetensors.lua) on hostile
 * safetensors files. */
#define FUZZ_PREFIX "torch.loadSafetensors: "
#define FUZZ_READER \
  "local torch = require 'torch'\n" \
  "return function(path) return torch.loadSafetensors(path) end\n"
#include "fuzz_common.h"
