-- nn.Criterion: the base class of losses. updateOutput(input, target) computes the loss
-- as a 0-dim tensor with recorded ops; then, as in Torch7,
--   forward(input, target)  returns the loss as a Lua number (kept in self.output),
--   backward(input, target) returns d loss / d input (kept in self.gradInput);
-- and, in the autograd style, crit(input, target) returns the loss tensor on the graph
-- for loss:backward().
local nn = require 'nn'
local Criterion = torch.class('nn.Criterion')

function Criterion:__init()
  self.gradInput = torch.Tensor()
  self.output = 0
  self.sizeAverage = true
end

function Criterion:updateOutput(input, target)
  error(torch.typename(self) .. ' does not define updateOutput', 2)
end

local function tonumber_loss(l)
  if torch.isTensor(l) then return l:item() end
  return l
end

function Criterion:forward(input, target)
  local x = nn._asGraphInput(input)
  self._input = x
  self._recorded = torch.isGradEnabled()
  local loss = self:updateOutput(x, target)
  self._loss = loss
  self.output = tonumber_loss(loss)
  return self.output
end

function Criterion:__call__(input, target)
  self._input = input
  self._recorded = torch.isGradEnabled()
  local loss = self:updateOutput(input, target)
  self._loss = loss
  return loss
end

function Criterion:updateGradInput(input, target)
  local x, loss = self._input, self._loss
  if x == nil then error(torch.typename(self) .. ': backward called before forward', 2) end
  local ins = nn._tensorsOf(x, {}, function(t) return t.requiresGrad end)
  local gs = {}
  if #ins > 0 and torch.isTensor(loss) and loss.requiresGrad then
    gs = torch.grad({ loss }, ins, nil, { retainGraph = true, stopAtInputs = true })
  elseif #ins > 0 and not self._recorded then
    error(torch.typename(self) .. ': backward: forward ran with grad mode off, so nothing was recorded', 2)
  end
  if torch.isTensor(x) then
    self.gradInput = gs[1] or x.new():resizeAs(x):zero()
  else
    local pos = 0
    local function rebuild(v)
      if torch.isTensor(v) then
        if v.requiresGrad then pos = pos + 1; return gs[pos] or v.new():resizeAs(v):zero() end
        return v.new():resizeAs(v):zero()
      elseif type(v) == 'table' then
        local c = {}
        for i = 1, #v do c[i] = rebuild(v[i]) end
        return c
      end
      return v
    end
    self.gradInput = rebuild(x)
  end
  return self.gradInput
end

function Criterion:backward(input, target)
  return self:updateGradInput(input, target)
end

-- floating tensors take typename; integer ones keep their dtype and follow the device
-- (a LongTensor becomes a CudaLongTensor under :cuda())
function Criterion:type(typename)
  for k, v in pairs(self) do
    if torch.isTensor(v) and k ~= '_input' then
      self[k] = v:type(nn._typeFor(v:type(), typename))   -- integer buffers keep their dtype (Module:type)
    end
  end
  return self
end
function Criterion:float() return self:type('torch.FloatTensor') end
function Criterion:double() return self:type('torch.DoubleTensor') end
function Criterion:cuda() return self:type('torch.CudaTensor') end

function Criterion:clone()
  local c = setmetatable({}, getmetatable(self))
  for k, v in pairs(self) do
    if torch.isTensor(v) then c[k] = v:clone() elseif k ~= '_input' and k ~= '_loss' then c[k] = v end
  end
  return c
end

function Criterion:__tostring__()
  return torch.typename(self)
end

return Criterion
