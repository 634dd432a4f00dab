-- nn.CSubTable(): input[1] - input[2] (Torch7's CSubTable). The inputs must have the same number of elements
-- (the second is viewed as the first one's shape).
return require('nn._elementwise_table')('nn.CSubTable', function(a, b) return torch.csub(a, b) end, true)
