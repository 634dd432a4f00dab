-- nn.Min(dimension[, nInputDims]): the minimum over dimension (Torch7's Min); see
-- nn/_reduce_dim_module.lua.
return require('nn._reduce_dim_module')('nn.Min', function(x, dim) return torch.min(x, dim) end)
