-- nn.CAddTable(): the sum of the input table's tensors (Torch7's CAddTable). The inputs must have the
-- same size.
return require('nn._elementwise_table')('nn.CAddTable', function(a, b) return torch.add(a, b) end)
