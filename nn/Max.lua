-- nn.Max(dimension[, nInputDims]): the maximum over dimension (Torch7's Max); see
-- nn/_reduce_dim_module.lua.
return require('nn._reduce_dim_module')('nn.Max', function(x, dim) return torch.max(x, dim) end)
