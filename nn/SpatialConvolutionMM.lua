-- nn.SpatialConvolutionMM: Torch7's im2col ("matrix multiply") convolution, the same
-- module as nn.SpatialConvolution here (which already computes that way); kept so that
-- old scripts load. Same arguments, weight layout and results.
local nn = require 'nn'
local _ = nn.SpatialConvolution
local SpatialConvolutionMM = torch.class('nn.SpatialConvolutionMM', 'nn.SpatialConvolution')
return SpatialConvolutionMM
