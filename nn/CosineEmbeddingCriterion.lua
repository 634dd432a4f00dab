-- nn.CosineEmbeddingCriterion([margin]): for input {x1, x2} (vectors, or N x D batches) and
-- targets y of 1 or -1: 1 - cos(x1, x2) where y = 1, max(0, cos(x1, x2) - margin) where
-- y = -1 (margin 0 by default); averaged over the samples when sizeAverage.
local nn = require 'nn'
local CosineEmbeddingCriterion, parent = torch.class('nn.CosineEmbeddingCriterion', 'nn.Criterion')

function CosineEmbeddingCriterion:__init(margin)
  parent.__init(self)
  if margin ~= nil and type(margin) ~= 'number' then error('nn.CosineEmbeddingCriterion([margin]): a number expected', 2) end
  self.margin = margin or 0
  self.sizeAverage = true
end

-- the loss (errors are raised without the name, which updateOutput adds)
local function compute(self, input, y)
  if type(input) ~= 'table' or not torch.isTensor(input[1]) or not torch.isTensor(input[2]) then
    error('the input must be a table of two tensors {x1, x2}', 0)
  end
  local x1, x2 = input[1], input[2]
  if not x1:isSameSizeAs(x2) or (x1:dim() ~= 1 and x1:dim() ~= 2) then
    error('x1 and x2 must be vectors or N x D matrices of the same size', 0)
  end
  if x1:dim() == 1 then x1, x2 = x1:reshape(1, x1:size(1)), x2:reshape(1, x2:size(1)) end
  local N = x1:size(1)
  local yt = torch.isTensor(y) and y:double():reshape(y:nElement()) or torch.DoubleTensor{ y }
  if yt:nElement() ~= N then error(string.format('%d targets for %d samples', yt:nElement(), N), 0) end
  local eps = 1e-12
  local w1 = torch.cmul(x1, x2):sum(2)
  local w22 = torch.cmul(x1, x1):sum(2) + eps
  local w32 = torch.cmul(x2, x2):sum(2) + eps
  local cos = torch.cdiv(w1, torch.sqrt(torch.cmul(w22, w32))):reshape(N)
  local pos = yt:eq(1):type(x1:type())
  local neg = yt:eq(-1):type(x1:type())
  local l = torch.cmul(-cos + 1, pos) + torch.cmul(torch.clamp(cos - self.margin, 0, math.huge), neg)
  local loss = l:sum()
  if self.sizeAverage then loss = loss / N end
  return loss
end

function CosineEmbeddingCriterion:updateOutput(input, target)
  local ok, loss = pcall(compute, self, input, target)
  if not ok then
    local msg = tostring(loss)
    if not msg:find(torch.typename(self), 1, true) then msg = torch.typename(self) .. ': ' .. msg end
    error(msg, 3)
  end
  return loss
end

return CosineEmbeddingCriterion
