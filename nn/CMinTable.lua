-- nn.CMinTable(): the elementwise minimum of the input table's tensors (Torch7's CMinTable). The inputs must have the
-- same number of elements (later ones are viewed as the first one's shape).
return require('nn._elementwise_table')('nn.CMinTable', function(a, b) return torch.cmin(a, b) end)
