-- nn.Mean(dimension[, nInputDims]): the mean over dimension; Torch7's Mean, which is
-- nn.Sum(dimension, nInputDims, true).
local nn = require 'nn'
local Mean, parent = torch.class('nn.Mean', 'nn.Sum')

function Mean:__init(dimension, nInputDims)
  parent.__init(self, dimension, nInputDims, true)
end

return Mean
