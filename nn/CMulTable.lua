-- nn.CMulTable(): the elementwise product of the input table's tensors (Torch7's CMulTable). The inputs must have the
-- same number of elements (later ones are viewed as the first one's shape).
return require('nn._elementwise_table')('nn.CMulTable', function(a, b) return torch.cmul(a, b) end)
