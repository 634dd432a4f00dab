-- nn.LSTM(inputSize, hiddenSize[, numLayers[, dropout]]): a long short-term memory
-- network (PyTorch's design and gate order i, f, g, o) over seqLen x batch x inputSize
-- input; each step is the fused torch.lstmCell. Everything else (weights and their names,
-- states self.hN and self.cN, initial states from {input, h0, c0} or the fields self.h0
-- and self.c0, dropout, one-sequence input) is nn.RNN's: see nn/RNN.lua.
local nn = require 'nn'
local _ = nn.RNN
local LSTM, parent = torch.class('nn.LSTM', 'nn.RNN')

function LSTM:__init(inputSize, hiddenSize, numLayers, dropout)
  self:_setup('nn.LSTM', 4, inputSize, hiddenSize, numLayers, dropout)
end

function LSTM:_step(x, h, c, whh)
  return torch.lstmCell(x, h, c, nil, whh)
end

return LSTM
