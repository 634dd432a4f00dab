-- nn.Parallel(inputDimension, outputDimension): module i gets input:select(inputDimension, i);
-- the outputs are concatenated along outputDimension (Torch7's Parallel).
local nn = require 'nn'
local Parallel, parent = torch.class('nn.Parallel', 'nn.Container')

function Parallel:__init(inputDimension, outputDimension)
  parent.__init(self)
  if type(inputDimension) ~= 'number' or type(outputDimension) ~= 'number' then
    error('nn.Parallel(inputDimension, outputDimension): expected two dimension numbers', 2)
  end
  self.inputDimension = inputDimension
  self.outputDimension = outputDimension
end

local function sizestr(t) return table.concat(t:size():totable(), 'x') end

function Parallel:updateOutput(input)
  if not torch.isTensor(input) then
    error('nn.Parallel: expected a tensor input, got ' .. torch.type(input), 3)
  end
  local idim = self.inputDimension
  if idim < 0 then idim = input:dim() + idim + 1 end
  if idim < 1 or idim > input:dim() then
    error(string.format('nn.Parallel: inputDimension %d out of range for an input of size %s',
      self.inputDimension, sizestr(input)), 3)
  end
  local n = input:size(idim)
  if n > #self.modules then
    error(string.format('nn.Parallel: the input has %d slices along dimension %d but there are %d modules',
      n, idim, #self.modules), 3)
  end
  local outs = {}
  for i = 1, n do
    outs[i] = self:rethrowErrors(self.modules[i], i, '_forward', input:select(idim, i))
  end
  local first = outs[1]
  local odim = self.outputDimension
  if odim < 0 then odim = first:dim() + odim + 1 end
  for i = 1, n do
    local o = outs[i]
    local ok = o:dim() == first:dim() and odim >= 1 and odim <= o:dim()
    if ok then
      for d = 1, o:dim() do
        if d ~= odim and o:size(d) ~= first:size(d) then ok = false end
      end
    end
    if not ok then
      error(string.format('nn.Parallel: output of module %d (%s) cannot be joined with output 1 (%s) along dimension %d',
        i, sizestr(o), sizestr(first), self.outputDimension), 3)
    end
  end
  self.output = torch.cat(outs, odim)
  return self.output
end

function Parallel:__tostring__()
  -- (Torch7's Parallel marks the last module with |`-> too)
  local tab, line, next = '  ', '\n', '  |`-> '
  local ext, extlast, last = '  |    ', '       ', '   ... -> '
  local str = torch.type(self) .. ' {' .. line .. tab .. 'input'
  for i = 1, #self.modules do
    local s = tostring(self.modules[i])
    if i == #self.modules then
      str = str .. line .. tab .. next .. '(' .. i .. '): ' .. s:gsub(line, line .. tab .. extlast)
    else
      str = str .. line .. tab .. next .. '(' .. i .. '): ' .. s:gsub(line, line .. tab .. ext)
    end
  end
  return str .. line .. tab .. last .. 'output' .. line .. '}'
end

return Parallel
