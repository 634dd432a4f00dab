-- cunn: Torch7's GPU versions of the nn modules. Here every nn module runs on CUDA
-- tensors itself, so cunn is nn (and cutorch) loaded together: model:cuda() and
-- criterion:cuda() move parameters, gradients and buffers to the GPU.
require 'cutorch'
local nn = require 'nn'
package.loaded.cunn = nn
return nn
