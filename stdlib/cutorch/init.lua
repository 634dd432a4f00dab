-- cutorch: Torch7's GPU package, here a thin layer over torch.cuda (the CUDA backend is
-- part of torch). Devices are numbered from 1. Requiring it without a GPU works; the
-- functions that need a device then raise a clear error.
local torch = require 'torch'
local cuda = torch.cuda

local cutorch = {}

function cutorch.isAvailable() return cuda.isAvailable() end
function cutorch.getDeviceCount() return cuda.deviceCount() end
function cutorch.setDevice(n) return cuda.setDevice(n) end
function cutorch.getDevice() return cuda.getDevice() end
-- synchronize(): every device; synchronize(n)/synchronizeAll() as cutorch
function cutorch.synchronize(n) return cuda.synchronize(n) end
function cutorch.synchronizeAll() return cuda.synchronize() end
-- free, total bytes of a device (the current one by default)
function cutorch.getMemoryUsage(n) return cuda.memoryUsage(n) end
function cutorch.memoryStats(n) return cuda.memoryStats(n) end
function cutorch.emptyCache(n) return cuda.emptyCache(n) end
function cutorch.manualSeed(s) return cuda.manualSeed(s) end
function cutorch.manualSeedAll(s) return cuda.manualSeed(s) end
function cutorch.seed() return torch.seed() end
function cutorch.initialSeed() return torch.initialSeed() end
function cutorch.getRNGState() return torch.getRNGState() end
function cutorch.setRNGState(s) return torch.setRNGState(s) end
-- name, totalGlobalMem, major, minor, multiProcessorCount, freeGlobalMem
function cutorch.getDeviceProperties(n)
  local p = cuda.getDeviceProperties(n)
  local ok, free = pcall(cuda.memoryUsage, n)
  if ok then p.freeGlobalMem = free end
  return p
end
function cutorch.setTF32(on) return cuda.setTF32(on) end
-- runs fn with device n current, then restores the previous one
function cutorch.withDevice(n, fn)
  local prev = cuda.getDevice()
  cuda.setDevice(n)
  local res = table.pack(pcall(fn))
  cuda.setDevice(prev)
  if not res[1] then error(res[2], 0) end
  return table.unpack(res, 2, res.n)
end

-- cutorch's names for the tensor types (they live in torch: torch.CudaTensor ...)
cutorch.CudaTensor = torch.CudaTensor

package.loaded.cutorch = cutorch
return cutorch
