-- nn.RNN(inputSize, hiddenSize[, numLayers[, nonlinearity[, dropout]]]): an Elman
-- recurrent network, h_t = act(W_ih x_t + b_ih + W_hh h_(t-1) + b_hh), act 'tanh'
-- (default) or 'relu'; stacked numLayers deep (PyTorch's design).
--
-- It is also the base class of nn.LSTM and nn.GRU, which share everything here but the
-- step (their fused cells torch.lstmCell and torch.gruCell):
--   input:   seqLen x batch x inputSize (or seqLen x inputSize, one sequence);
--   output:  seqLen x batch x hiddenSize, the last layer's h at every step;
--   states:  the final states are kept in self.hN (and self.cN for the LSTM),
--            numLayers x batch x hiddenSize (numLayers x hiddenSize for one sequence);
--            initial states are zeros, or given as module:forward({input, h0[, c0]}), or
--            set in the fields self.h0 (and self.c0) before forward (a table input wins;
--            the fields stay until set to nil);
--   weights: weight_ih_l<k> (gates*hidden x in), weight_hh_l<k> (gates*hidden x hidden),
--            bias_ih_l<k>, bias_hh_l<k> for layer k = 0 .. numLayers-1, with gradients
--            gradWeight_ih_l<k>, gradWeight_hh_l<k>, gradBias_ih_l<k>, gradBias_hh_l<k>
--            (each the .grad of its parameter); PyTorch's initialisation, uniform in
--            +-1/sqrt(hiddenSize);
--   dropout: between layers (not after the last), in training mode only.
-- Gradients through time come from autograd over the unrolled loop of recorded ops:
-- the input projection of a whole layer is one product (seqLen*batch rows), each step is
-- a handful of recorded ops.
local nn = require 'nn'
local RNN, parent = torch.class('nn.RNN', 'nn.Module')

-- the shared constructor: name for messages, gates per step (1, 3 or 4)
function RNN:_setup(name, gates, inputSize, hiddenSize, numLayers, dropout)
  parent.__init(self)
  local function positive(v, what)
    if math.type(v) ~= 'integer' and not (type(v) == 'number' and v == math.floor(v)) or v < 1 then
      error(string.format('%s: %s should be a positive integer, got %s', name, what, tostring(v)), 4)
    end
    return math.tointeger(v)
  end
  self._name = name
  self.gates = gates
  self.inputSize = positive(inputSize, 'inputSize')
  self.hiddenSize = positive(hiddenSize, 'hiddenSize')
  self.numLayers = positive(numLayers or 1, 'numLayers')
  -- each layer is eight Lua tensors: a count like 2^63 would allocate until memory ran out
  if self.numLayers > 65536 then
    error(string.format('%s: numLayers should be at most 65536, got %d', name, self.numLayers), 4)
  end
  dropout = dropout or 0
  if type(dropout) ~= 'number' or dropout < 0 or dropout >= 1 then
    error(string.format('%s: dropout should be a number in [0, 1), got %s', name, tostring(dropout)), 4)
  end
  self.dropout = dropout
  local G, H = gates * self.hiddenSize, self.hiddenSize
  for l = 0, self.numLayers - 1 do
    local nin = l == 0 and self.inputSize or H
    self['weight_ih_l' .. l] = torch.Tensor(G, nin)
    self['weight_hh_l' .. l] = torch.Tensor(G, H)
    self['bias_ih_l' .. l] = torch.Tensor(G)
    self['bias_hh_l' .. l] = torch.Tensor(G)
    self['gradWeight_ih_l' .. l] = torch.Tensor(G, nin):zero()
    self['gradWeight_hh_l' .. l] = torch.Tensor(G, H):zero()
    self['gradBias_ih_l' .. l] = torch.Tensor(G):zero()
    self['gradBias_hh_l' .. l] = torch.Tensor(G):zero()
  end
  self:reset()
  self:_linkGrads()
end

function RNN:__init(inputSize, hiddenSize, numLayers, nonlinearity, dropout)
  nonlinearity = nonlinearity or 'tanh'
  if nonlinearity ~= 'tanh' and nonlinearity ~= 'relu' then
    error(string.format("nn.RNN: nonlinearity should be 'tanh' or 'relu', got %s", tostring(nonlinearity)), 2)
  end
  self.nonlinearity = nonlinearity
  self:_setup('nn.RNN', 1, inputSize, hiddenSize, numLayers, dropout)
end

local kinds = { 'weight_ih_l', 'weight_hh_l', 'bias_ih_l', 'bias_hh_l' }
local gradKinds = { 'gradWeight_ih_l', 'gradWeight_hh_l', 'gradBias_ih_l', 'gradBias_hh_l' }

-- per layer: weight_ih, weight_hh, bias_ih, bias_hh (and their gradients)
function RNN:parameters()
  local ps, gs = {}, {}
  for l = 0, self.numLayers - 1 do
    for k = 1, 4 do
      ps[#ps + 1] = self[kinds[k] .. l]
      gs[#gs + 1] = self[gradKinds[k] .. l]
    end
  end
  return ps, gs
end

-- PyTorch's default: uniform in [-1/sqrt(hiddenSize), 1/sqrt(hiddenSize)] (stdv: Torch7's
-- reset(stdv), uniform in +-stdv*sqrt(3))
function RNN:reset(stdv)
  stdv = stdv and stdv * math.sqrt(3) or 1 / math.sqrt(self.hiddenSize)
  torch.noGrad(function()
    for _, p in ipairs((self:parameters())) do p:uniform(-stdv, stdv) end
  end)
  return self
end

local function shape(t)
  local s = {}
  for i = 1, t:dim() do s[i] = tostring(t:size(i)) end
  return #s > 0 and table.concat(s, 'x') or '[]'
end

-- a state given by the user: numLayers x B x H (one sequence: numLayers x H)
function RNN:_checkState(s, what, B, unbatched)
  local L, H = self.numLayers, self.hiddenSize
  if not torch.isTensor(s) then
    error(string.format('%s: %s should be a tensor, got %s', self._name, what, type(s)), 4)
  end
  if s:type() ~= self.weight_hh_l0:type() then
    error(string.format('%s: %s is a %s but the module holds %s weights', self._name, what, s:type(),
                        self.weight_hh_l0:type()), 4)
  end
  if unbatched then
    if s:dim() ~= 2 or s:size(1) ~= L or s:size(2) ~= H then
      error(string.format('%s: %s should be %d x %d (numLayers x hiddenSize) for one sequence, got %s',
                          self._name, what, L, H, shape(s)), 4)
    end
    return s:view(L, 1, H)
  end
  if s:dim() ~= 3 or s:size(1) ~= L or s:size(2) ~= B or s:size(3) ~= H then
    error(string.format('%s: %s should be %d x %d x %d (numLayers x batch x hiddenSize), got %s',
                        self._name, what, L, B, H, shape(s)), 4)
  end
  return s
end

-- one step: x the input part of the gates (B x gates*H, biases included), h (and c) the
-- states, whh the layer's W_hh and whhT its transpose, bhh its b_hh (for the GRU, whose
-- x leaves it out); returns the new h (and c)
function RNN:_step(x, h, c, whh, whhT, bhh)
  local a = torch.addmm(x, h, whhT)
  if self.nonlinearity == 'relu' then return torch.cmax(a, 0) end
  return torch.tanh(a)
end

function RNN:updateOutput(input)
  local name = self._name
  local x, h0, c0 = input, self.h0, self.c0
  if type(input) == 'table' and not torch.isTensor(input) then
    x = input[1]
    if input[2] ~= nil then h0 = input[2] end
    if input[3] ~= nil then c0 = input[3] end
  end
  -- states from the fields are inputs of this call: backward cuts the graph there
  -- (Module.lua's field_stops), as it does at the input
  self._graphStops = {}
  if rawequal(h0, self.h0) then self._graphStops[1] = h0 end
  if rawequal(c0, self.c0) then self._graphStops[2] = c0 end
  if not torch.isTensor(x) then
    error(string.format('%s: expected a tensor seqLen x batch x %d (or a table {input, h0%s}), got %s', name,
                        self.inputSize, self.gates == 4 and ', c0' or '', type(x)), 3)
  end
  local lstm = self.gates == 4
  local unbatched = x:dim() == 2
  if (x:dim() ~= 3 and not unbatched) or x:size(x:dim()) ~= self.inputSize then
    error(string.format('%s: expected input seqLen x batch x %d (or seqLen x %d), got %s', name,
                        self.inputSize, self.inputSize, shape(x)), 3)
  end
  local wt = self.weight_ih_l0:type()
  if x:type() ~= wt then
    error(string.format('%s: the input is a %s but the module holds %s weights (convert one of them)',
                        name, x:type(), wt), 3)
  end
  local T = x:size(1)
  if T == 0 then error(name .. ': the input sequence is empty', 3) end
  local I = self.inputSize
  if unbatched then x = x:reshape(T, 1, I) end
  local B, H, L, G = x:size(2), self.hiddenSize, self.numLayers, self.gates * self.hiddenSize
  if h0 ~= nil then h0 = self:_checkState(h0, 'h0', B, unbatched) end
  if lstm and c0 ~= nil then c0 = self:_checkState(c0, 'c0', B, unbatched) end
  local hN, cN = {}, {}
  local layerIn = x
  -- the dropout masks: backward computing forward again (after the call form m(x),
  -- :double(), clearState() or clone()) reuses the last forward's
  local oldMasks = self._recomputing and self._dropMasks or nil
  local masks = {}
  for l = 0, L - 1 do
    local wih, whh = self['weight_ih_l' .. l], self['weight_hh_l' .. l]
    local bih, bhh = self['bias_ih_l' .. l], self['bias_hh_l' .. l]
    local nin = layerIn:size(3)
    -- the input part of every step's gates, biases included (the GRU keeps b_hh for its
    -- step: b_hn is inside r * (W_hn h + b_hn)): one product for the whole layer
    local gru = self.gates == 3
    local xp = torch.addmm(gru and bih or torch.add(bih, bhh), layerIn:reshape(T * B, nin), wih:t()):view(T, B, G)
    local h = h0 and h0:select(1, l + 1) or x.new(B, H):zero()
    local c = lstm and (c0 and c0:select(1, l + 1) or x.new(B, H):zero()) or nil
    local whhT = whh:t()
    local xs = torch.unbindSteps(xp)   -- the steps, with one gather node for xp's gradient
    local outs = {}
    for t = 1, T do
      h, c = self:_step(xs[t], h, c, whh, whhT, bhh)
      outs[t] = h
    end
    hN[l + 1], cN[l + 1] = h, c
    layerIn = torch.stack(outs, 1)
    if self.dropout > 0 and self.train ~= false and l < L - 1 then
      local keep = 1 - self.dropout
      local mask = oldMasks and oldMasks[l + 1]
      if not (torch.isTensor(mask) and mask:isSameSizeAs(layerIn) and mask:type() == layerIn:type()) then
        mask = torch.noGrad(function() return layerIn.new(layerIn:size()):bernoulli(keep):div(keep) end)
      end
      masks[l + 1] = mask
      layerIn = torch.cmul(layerIn, mask)
    end
  end
  local out, hs = layerIn, torch.stack(hN, 1)
  local cs = lstm and torch.stack(cN, 1) or nil
  if unbatched then
    out = out:view(T, H)
    hs = hs:view(L, H)
    if cs then cs = cs:view(L, H) end
  end
  self.output, self.hN, self.cN = out, hs, cs
  self._dropMasks = masks
  return self.output
end

-- drops the final states too (the dropout masks stay: backward after clearState() is
-- still the gradient of the last forward)
function RNN:clearState()
  self.hN, self.cN = nil, nil
  return parent.clearState(self)
end

function RNN:__tostring__()
  local extra = {}
  if self.numLayers > 1 then extra[#extra + 1] = self.numLayers .. ' layers' end
  if self.nonlinearity == 'relu' then extra[#extra + 1] = 'relu' end
  if self.dropout > 0 then extra[#extra + 1] = 'dropout ' .. self.dropout end
  return string.format('%s(%d -> %d%s)', self._name, self.inputSize, self.hiddenSize,
                       #extra > 0 and ', ' .. table.concat(extra, ', ') or '')
end

return RNN
