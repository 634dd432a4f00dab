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

-- updateOutput run through wrap (torch.noGrad or torch.enableGrad); an error is raised
-- again at the user's call, without a position inside the library
local function loss_of(self, wrap, input, target)
  local ok, loss = pcall(wrap, function() return self:updateOutput(input, target) end)
  if not ok then
    local msg = tostring(loss):gsub('^[^\n:]*/[%w_]+/[%w_]+%.lua:%d+: ', '')
    error(msg, 3)
  end
  return loss
end

function Criterion:forward(input, target)
  -- nothing is recorded: backward computes its gradient from the arguments it is given
  local loss = loss_of(self, torch.noGrad, input, target)
  self.output = tonumber_loss(loss)
  return self.output
end

function Criterion:__call__(input, target)
  return self:updateOutput(input, target)
end

-- x with every float tensor replaced by a new leaf that requires grad (sharing its data),
-- tables walked; the leaves in order go to list
local function leaves(x, list)
  if torch.isTensor(x) then
    local tp = x:type()
    if tp:find('Float') or tp:find('Double') or tp:find('Half') or tp:find('BFloat16') or tp == 'torch.CudaTensor' then
      local l = x:detach():setRequiresGrad()
      list[#list + 1] = l
      return l
    end
    return x
  elseif type(x) == 'table' and getmetatable(x) == nil then
    local c = {}
    for k, v in pairs(x) do c[k] = leaves(v, list) end
    return c
  end
  return x
end

-- the target without its history (the gradient is the input's only)
local function detached(t)
  if torch.isTensor(t) then return t.requiresGrad and t:detach() or t end
  if type(t) == 'table' and getmetatable(t) == nil then
    local c = {}
    for k, v in pairs(t) do c[k] = detached(v) end
    return c
  end
  return t
end

-- d loss / d input at the input and target given (Torch7's): the loss is computed again
-- from them, with the checks forward makes and the current settings (sizeAverage ...),
-- so it never depends on what an earlier forward saw
function Criterion:updateGradInput(input, target)
  local name = torch.typename(self) or 'nn.Criterion'
  if input == nil then
    error(name .. ": backward: bad argument #1 'input' (a tensor expected, got nil)", 2)
  end
  local ins = {}
  local x = leaves(input, ins)
  local loss = loss_of(self, torch.enableGrad, x, detached(target))
  local gs = {}
  if #ins > 0 and torch.isTensor(loss) and loss.requiresGrad then
    gs = torch.grad({ loss }, ins, nil, { stopAtInputs = true })
  end
  if torch.isTensor(x) then
    local g = gs[1]
    if g and not g:isContiguous() then g = g:contiguous() end
    self.gradInput = g or x.new():resizeAs(x):zero()
  else
    local grad_of = {}
    for i, l in ipairs(ins) do grad_of[l] = gs[i] end
    local function rebuild(v)
      if torch.isTensor(v) then return grad_of[v] or v.new():resizeAs(v):zero() end
      if type(v) == 'table' then
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
