-- nn.CDivTable(): input[1] / input[2], elementwise, (Torch7's CDivTable). The inputs must have the same number of elements
-- (the second is viewed as the first one's shape).
return require('nn._elementwise_table')('nn.CDivTable', function(a, b) return torch.cdiv(a, b) end, true)
