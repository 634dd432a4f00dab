-- nn.CMaxTable(): the elementwise maximum of the input table's tensors (Torch7's CMaxTable). The inputs must have the
-- same number of elements (later ones are viewed as the first one's shape).
return require('nn._elementwise_table')('nn.CMaxTable', function(a, b) return torch.cmax(a, b) end)
