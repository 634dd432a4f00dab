-- nn.Concat(dimension): every module gets the same input; their outputs are
-- concatenated along `dimension` (Torch7's Concat; a negative dimension counts from the
-- end of the outputs' dimensions).
local nn = require 'nn'
local Concat, parent = torch.class('nn.Concat', 'nn.Container')

function Concat:__init(dimension)
  parent.__init(self)
  if type(dimension) ~= 'number' then
    error('nn.Concat(dimension): expected a dimension number, got ' .. type(dimension), 2)
  end
  self.outputSize = torch.LongStorage()
  self.dimension = dimension
end

local function sizestr(t) return table.concat(t:size():totable(), 'x') end

function Concat:updateOutput(input)
  if #self.modules == 0 then error('nn.Concat: no modules to concatenate', 3) end
  local outs = {}
  for i, m in ipairs(self.modules) do
    outs[i] = self:rethrowErrors(m, i, '_forward', input)
  end
  local first = outs[1]
  if not torch.isTensor(first) then error('nn.Concat: module 1 did not return a tensor', 3) end
  local dim = self.dimension
  if dim < 0 then dim = first:dim() + dim + 1 end
  if dim < 1 or dim > first:dim() then
    error(string.format('nn.Concat: dimension %d out of range for outputs of size %s', self.dimension, sizestr(first)), 3)
  end
  for i = 2, #outs do
    local o = outs[i]
    local ok = torch.isTensor(o) and o:dim() == first:dim()
    if ok then
      for d = 1, o:dim() do
        if d ~= dim and o:size(d) ~= first:size(d) then ok = false end
      end
    end
    if not ok then
      error(string.format('nn.Concat: output of module %d (%s) does not match output 1 (%s) outside dimension %d',
        i, torch.isTensor(o) and sizestr(o) or type(o), sizestr(first), dim), 3)
    end
  end
  self.output = torch.cat(outs, dim)
  self.outputSize = self.output:size()
  return self.output
end

function Concat:__tostring__()
  local tab, line, next, lastNext = '  ', '\n', '  |`-> ', '   `-> '
  local ext, extlast, last = '  |    ', '       ', '   ... -> '
  local str = torch.type(self) .. ' {' .. line .. tab .. 'input'
  for i = 1, #self.modules do
    local s = tostring(self.modules[i])
    if i == #self.modules then
      str = str .. line .. tab .. lastNext .. '(' .. i .. '): ' .. s:gsub(line, line .. tab .. extlast)
    else
      str = str .. line .. tab .. next .. '(' .. i .. '): ' .. s:gsub(line, line .. tab .. ext)
    end
  end
  return str .. line .. tab .. last .. 'output' .. line .. '}'
end

return Concat
