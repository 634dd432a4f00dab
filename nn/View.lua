-- nn.View(sizes...) or nn.View(LongStorage): a view of the input with the given sizes;
-- one size may be -1 (inferred). Leading dimensions beyond the view's element count are
-- a batch dimension (Torch7's View); setNumInputDims(n) says how many trailing input
-- dimensions make one sample, so a batch of one is still seen as a batch.
local nn = require 'nn'
local View, parent = torch.class('nn.View', 'nn.Module')

function View:resetSize(...)
  local n = select('#', ...)
  if n == 1 and torch.typename(select(1, ...)) == 'torch.LongStorage' then
    self.size = select(1, ...)
  else
    local sz = {...}
    for i = 1, n do
      if math.type(sz[i]) ~= 'integer' and not (type(sz[i]) == 'number' and sz[i] == math.floor(sz[i])) then
        error('nn.View: sizes must be integers, got ' .. tostring(sz[i]) .. ' at position ' .. i, 3)
      end
    end
    self.size = torch.LongStorage(sz)
  end
  self.numElements = 1
  local inferdim = false
  for i = 1, #self.size do
    local s = self.size[i]
    if s >= 0 then
      self.numElements = self.numElements * s
    else
      if s ~= -1 then error('nn.View: a size must be positive or -1, got ' .. s, 3) end
      if inferdim then error('nn.View: only one size can be -1', 3) end
      inferdim = true
    end
  end
  return self
end

function View:__init(...)
  parent.__init(self)
  self:resetSize(...)
  self.numInputDims = nil
end

function View:setNumInputDims(numInputDims)
  self.numInputDims = numInputDims
  return self
end

local function sizestr(s) return table.concat(s:totable(), 'x') end

-- the batch size, or nil when the input is one sample (Torch7's rule)
local function batchsize(input, size, numInputDims, numElements)
  local ind = input:dim()
  local maxdim = numInputDims and math.min(numInputDims, ind) or ind
  local ine = 1
  for i = ind, ind - maxdim + 1, -1 do ine = ine * input:size(i) end
  if numElements == 0 or ine % numElements ~= 0 then
    error(string.format('nn.View: input view (%s) and desired view (%s) do not match',
      sizestr(input:size()), sizestr(size)), 4)
  end
  local bsz = ine // numElements
  for i = 1, #size do
    if size[i] == -1 then bsz = 1; break end
  end
  for i = ind - maxdim, 1, -1 do bsz = bsz * input:size(i) end
  if bsz == 1 and (not numInputDims or ind <= numInputDims) then return nil end
  return bsz
end

function View:updateOutput(input)
  if not torch.isTensor(input) then error('nn.View: expected a tensor input, got ' .. torch.type(input), 3) end
  local bsz = batchsize(input, self.size, self.numInputDims, self.numElements)
  local x = input:isContiguous() and input or input:contiguous()
  local sz = self.size:totable()
  if bsz then table.insert(sz, 1, bsz) end
  local ok, r = pcall(x.view, x, table.unpack(sz))
  if not ok then
    error(string.format('nn.View: input view (%s) and desired view (%s) do not match',
      sizestr(input:size()), sizestr(self.size)), 3)
  end
  self.output = r
  return self.output
end

function View:__tostring__()
  return torch.type(self) .. '(' .. table.concat(self.size:totable(), ', ') .. ')'
end

return View
