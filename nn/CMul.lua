-- nn.CMul(sizes...) or nn.CMul(LongStorage): output = input .* w with a learnable weight
-- w of the given sizes (Torch7's CMul): when the input has w's element count it is
-- multiplied element by element; when it has w's dimension count, w is expanded along its
-- singleton dimensions; otherwise the input is a batch (batch x w's elements). reset:
-- uniform in [-1/sqrt(n), 1/sqrt(n)], n = w's element count.
local nn = require 'nn'
local CMul, parent = torch.class('nn.CMul', 'nn.Module')

function CMul:__init(...)
  parent.__init(self)
  local arg = { ... }
  local sz
  if #arg == 1 and torch.typename(arg[1]) == 'torch.LongStorage' then sz = arg[1]:totable() else sz = arg end
  if #sz == 0 then error('nn.CMul(sizes...): expected the weight sizes', 2) end
  for i = 1, #sz do
    if type(sz[i]) ~= 'number' or sz[i] < 1 then
      error('nn.CMul: sizes must be positive numbers, got ' .. tostring(sz[i]) .. ' at position ' .. i, 2)
    end
  end
  self.size = torch.LongStorage(sz)
  self.weight = torch.Tensor(self.size)
  self.gradWeight = torch.Tensor(self.size):zero()
  self:reset()
  self:_linkGrads()
end

function CMul:reset(stdv)
  stdv = stdv and stdv * math.sqrt(3) or 1 / math.sqrt(self.weight:nElement())
  torch.noGrad(function() self.weight:uniform(-stdv, stdv) end)
  return self
end

local function sizestr(t) return table.concat(t:size():totable(), 'x') end

function CMul:updateOutput(input)
  if not torch.isTensor(input) then error('nn.CMul: expected a tensor input, got ' .. torch.type(input), 3) end
  local w = self.weight
  if input:nElement() == w:nElement() then
    self.output = torch.cmul(input, w:view(input:size()))
    return self.output
  end
  local ok = false
  if w:dim() == input:dim() then
    ok = true
    for d = 1, w:dim() do
      if w:size(d) ~= 1 and w:size(d) ~= input:size(d) then ok = false end
    end
    if ok then self.output = torch.cmul(input, w:expandAs(input)) end
  elseif input:dim() >= 1 and input:nElement() == input:size(1) * w:nElement() then
    ok = true
    local n = input:size(1)
    self.output = torch.cmul(input:reshape(n, w:nElement()), w:view(1, w:nElement()):expand(n, w:nElement()))
      :view(input:size())
  end
  if not ok then
    error(string.format('nn.CMul: input of size %s does not match the weight of size %s', sizestr(input), sizestr(w)), 3)
  end
  return self.output
end

return CMul
