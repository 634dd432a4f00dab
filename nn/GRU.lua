-- nn.GRU(inputSize, hiddenSize[, numLayers[, dropout]]): a gated recurrent unit network
-- (PyTorch's design: gate order r, z, n, n = tanh(W_in x + b_in + r (W_hn h + b_hn)),
-- h' = (1 - z) n + z h) over seqLen x batch x inputSize input; each step is the fused
-- torch.gruCell. Everything else (weights and their names, the state self.hN, the initial
-- state from {input, h0} or the field self.h0, dropout, one-sequence input) is nn.RNN's:
-- see nn/RNN.lua.
local nn = require 'nn'
local _ = nn.RNN
local GRU, parent = torch.class('nn.GRU', 'nn.RNN')

function GRU:__init(inputSize, hiddenSize, numLayers, dropout)
  self:_setup('nn.GRU', 3, inputSize, hiddenSize, numLayers, dropout)
end

-- b_hn sits inside r * (W_hn h + b_hn), so the GRU keeps b_hh out of the input projection
function GRU:_step(x, h, c, whh, whhT, bhh)
  return torch.gruCell(x, h, nil, whh, nil, bhh)
end

return GRU
