-- nn.SpatialBatchNormalization(nOutput[, eps, momentum, affine]): batch normalization of
-- a batch x nOutput x H x W input, each plane normalized with its statistics over the
-- batch and the H x W positions (Torch7's module; see nn.BatchNormalization for the rest;
-- a single nOutput x H x W sample is accepted in evaluation).
local nn = require 'nn'
local _ = nn.BatchNormalization
local BN, parent = torch.class('nn.SpatialBatchNormalization', 'nn.BatchNormalization')

-- expected dimension of input
BN.nDim = 4

return BN
