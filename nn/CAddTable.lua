-- nn.CAddTable(): the sum of the input table's tensors (Torch7's CAddTable). The inputs must have the
-- same number of elements (later ones are viewed as the first one's shape).
return require('nn._elementwise_table')('nn.CAddTable', function(a, b) return torch.add(a, b) end)
