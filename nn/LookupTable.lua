-- nn.LookupTable(nIndex, nOutput[, paddingValue, maxNorm, normType]): an embedding
-- (Torch7's module): a vector of indices (1..nIndex) gives a #indices x nOutput matrix of
-- the rows of weight (nIndex x nOutput, initialised normal(0, 1)), a batch x n matrix of
-- indices a batch x n x nOutput tensor. The gradient adds into the rows picked (an index
-- seen twice gets both). Rows of index paddingValue (0: none) get no gradient; with
-- maxNorm, rows picked are first renormalized to at most that normType-norm (2 by
-- default). Computed by torch.embedding (recorded for autograd).
local nn = require 'nn'
local LookupTable, parent = torch.class('nn.LookupTable', 'nn.Module')

function LookupTable:__init(nIndex, nOutput, paddingValue, maxNorm, normType)
  parent.__init(self)
  for i, v in ipairs { nIndex, nOutput } do
    if type(v) ~= 'number' or math.floor(v) ~= v or v < 1 then
      error(string.format('nn.LookupTable: %s must be a positive integer, got %s',
                          i == 1 and 'nIndex' or 'nOutput', tostring(v)), 2)
    end
  end
  self.weight = torch.Tensor(nIndex, nOutput)
  self.gradWeight = torch.Tensor(nIndex, nOutput):zero()
  self.paddingValue = paddingValue or 0
  self.maxNorm = maxNorm or nil
  self.normType = normType or nil
  self:reset()
  self:_linkGrads()
end

function LookupTable:setPadding(paddingValue)
  self.paddingValue = paddingValue
  return self
end

function LookupTable:setMaxNorm(maxNorm)
  self.maxNorm = maxNorm
  return self
end

function LookupTable:setNormType(normType)
  self.normType = normType
  return self
end

function LookupTable:reset(stdv)
  stdv = stdv or 1
  torch.noGrad(function() self.weight:normal(0, stdv) end)
  return self
end

-- the input as a LongTensor of indices (Torch7 accepts any tensor type)
local function as_indices(self, input)
  local name = torch.typename(self)
  if not torch.isTensor(input) then error(name .. ': expected a tensor of indices, got ' .. type(input), 4) end
  if input:dim() ~= 1 and input:dim() ~= 2 then error(name .. ': input must be a vector or matrix', 4) end
  -- (kept on its device: a CUDA input gives a CudaLongTensor, as the weight after :cuda()
  -- needs; :long() would copy it to the CPU)
  local tp = torch.type(input)
  if tp ~= 'torch.LongTensor' and tp ~= 'torch.CudaLongTensor' then
    input = input:detach():type(tp:find('^torch%.Cuda') and 'torch.CudaLongTensor' or 'torch.LongTensor')
  end
  return input
end

function LookupTable:renorm(input)
  if not self.maxNorm then return end
  local p = self.normType or 2
  torch.noGrad(function()
    local seen = {}
    local flat = input:long():contiguous():view(-1)   -- (read on the CPU: one copy from a GPU)
    for i = 1, flat:nElement() do
      local k = flat[i]
      if not seen[k] and k >= 1 and k <= self.weight:size(1) then
        seen[k] = true
        local row = self.weight:select(1, k)
        local norm = row:norm(p)
        if norm > self.maxNorm then row:mul(self.maxNorm / (norm + 1e-7)) end
      end
    end
  end)
end

function LookupTable:updateOutput(input)
  local name = torch.typename(self)
  local ix = as_indices(self, input)
  self:renorm(ix)
  local ok, out = pcall(torch.embedding, self.weight, ix)
  if not ok then error(name .. ': ' .. tostring(out), 3) end
  local pv = self.paddingValue
  if pv and pv > 0 and out.requiresGrad and ix:eq(pv):any() then
    -- the padding rows: the same values, taken from the weight without its gradient
    local fixed = torch.embedding(self.weight:detach(), ix)
    local sz = ix:size():totable()
    sz[#sz + 1] = 1
    local mask = ix:eq(pv):view(table.unpack(sz)):expandAs(out)
    out = torch.where(mask, fixed, out)
  end
  self.output = out
  return self.output
end

-- Torch7: the indices get a zero gradient (of the input's type and size)
function LookupTable:updateGradInput(input, gradOutput)
  if torch.isTensor(input) then
    self.gradInput = input.new():resizeAs(input):zero()
  end
  return self.gradInput
end

return LookupTable
