-- nn.Reshape(sizes... [, batchMode]) or nn.Reshape(LongStorage [, batchMode]): the input
-- reshaped to the sizes (Torch7's Reshape). With batchMode nil the first dimension is a
-- batch unless the input has exactly the sizes' element count and a first size other than
-- 1; batchMode true always keeps the first dimension as a batch, false never does.
local nn = require 'nn'
local Reshape, parent = torch.class('nn.Reshape', 'nn.Module')

function Reshape:__init(...)
  parent.__init(self)
  local arg = {...}
  if type(arg[#arg]) == 'boolean' then
    self.batchMode = arg[#arg]
    table.remove(arg, #arg)
  end
  local sz
  if #arg == 1 and torch.typename(arg[1]) == 'torch.LongStorage' then
    sz = arg[1]:totable()
  else
    sz = arg
  end
  for i = 1, #sz do
    if type(sz[i]) ~= 'number' or sz[i] < 1 or sz[i] ~= math.floor(sz[i]) then
      error('nn.Reshape: sizes must be positive integers, got ' .. tostring(sz[i]) .. ' at position ' .. i, 2)
    end
  end
  self.size = torch.LongStorage(sz)
  self.nelement = 1
  local bs = { 1 }
  for i = 1, #sz do
    self.nelement = self.nelement * sz[i]
    bs[i + 1] = sz[i]
  end
  self.batchsize = torch.LongStorage(bs)
end

local function sizestr(s) return table.concat(s:totable(), 'x') end

function Reshape:updateOutput(input)
  if not torch.isTensor(input) then error('nn.Reshape: expected a tensor input, got ' .. torch.type(input), 3) end
  local x = input:isContiguous() and input or input:contiguous()
  local sz
  if self.batchMode == false or
     (self.batchMode == nil and input:nElement() == self.nelement and input:size(1) ~= 1) then
    sz = self.size:totable()
  else
    sz = self.size:totable()
    table.insert(sz, 1, input:dim() > 0 and input:size(1) or 1)
  end
  local ok, r = pcall(x.view, x, table.unpack(sz))
  if not ok then
    error(string.format('nn.Reshape: input of size %s cannot be reshaped to %s', sizestr(input:size()),
      table.concat(sz, 'x')), 3)
  end
  self.output = r
  return self.output
end

function Reshape:__tostring__()
  return torch.type(self) .. '(' .. table.concat(self.size:totable(), 'x') .. ')'
end

return Reshape
