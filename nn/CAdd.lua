-- nn.CAdd(sizes...) or nn.CAdd(LongStorage): output = input + b with a learnable bias b
-- of the given sizes (Torch7's CAdd): when the input has b's element count it is added
-- element by element; when it has b's dimension count, b is expanded along its singleton
-- dimensions; otherwise the input is a batch (batch x b's elements). reset: uniform in
-- [-1/sqrt(n), 1/sqrt(n)], n = b's element count.
local nn = require 'nn'
local CAdd, parent = torch.class('nn.CAdd', 'nn.Module')

function CAdd:__init(...)
  parent.__init(self)
  local arg = { ... }
  local sz
  if #arg == 1 and torch.typename(arg[1]) == 'torch.LongStorage' then sz = arg[1]:totable() else sz = arg end
  if #sz == 0 then error('nn.CAdd(sizes...): expected the bias sizes', 2) end
  for i = 1, #sz do
    if type(sz[i]) ~= 'number' or sz[i] < 1 then
      error('nn.CAdd: sizes must be positive numbers, got ' .. tostring(sz[i]) .. ' at position ' .. i, 2)
    end
  end
  self.size = torch.LongStorage(sz)
  self.bias = torch.Tensor(self.size)
  self.gradBias = torch.Tensor(self.size):zero()
  self:reset()
  self:_linkGrads()
end

function CAdd:reset(stdv)
  stdv = stdv and stdv * math.sqrt(3) or 1 / math.sqrt(self.bias:nElement())
  torch.noGrad(function() self.bias:uniform(-stdv, stdv) end)
  return self
end

local function sizestr(t) return table.concat(t:size():totable(), 'x') end

function CAdd:updateOutput(input)
  if not torch.isTensor(input) then error('nn.CAdd: expected a tensor input, got ' .. torch.type(input), 3) end
  local b = self.bias
  if input:nElement() == b:nElement() then
    self.output = torch.add(input, b:view(input:size()))
    return self.output
  end
  local ok = false
  if b:dim() == input:dim() then
    ok = true
    for d = 1, b:dim() do
      if b:size(d) ~= 1 and b:size(d) ~= input:size(d) then ok = false end
    end
    if ok then self.output = torch.add(input, b:expandAs(input)) end
  elseif input:dim() >= 1 and input:nElement() == input:size(1) * b:nElement() then
    ok = true
    local n = input:size(1)
    self.output = torch.add(input:reshape(n, b:nElement()), b:view(1, b:nElement()):expand(n, b:nElement()))
      :view(input:size())
  end
  if not ok then
    error(string.format('nn.CAdd: input of size %s does not match the bias of size %s', sizestr(input), sizestr(b)), 3)
  end
  return self.output
end

return CAdd
