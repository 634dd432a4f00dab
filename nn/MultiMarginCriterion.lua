-- nn.MultiMarginCriterion([p[, weights[, margin]]]): the multi-class hinge loss: for a
-- sample x of C scores with target class y (1-based),
--   sum over j ~= y of max(0, margin - x[y] + x[j])^p * w[y] / C
-- (p 1 or 2, margin 1 by default); input C or N x C; averaged over the N samples when
-- sizeAverage.
local nn = require 'nn'
require 'nn.ClassNLLCriterion'
local MultiMarginCriterion, parent = torch.class('nn.MultiMarginCriterion', 'nn.Criterion')

function MultiMarginCriterion:__init(p, weights, margin)
  parent.__init(self)
  if not (p == nil or p == 1 or p == 2) then error('nn.MultiMarginCriterion: only p = 1 and p = 2 are supported', 2) end
  self.p = p or 1
  self.weights = nn._checkWeights('nn.MultiMarginCriterion', weights)
  self.margin = margin or 1
  self.sizeAverage = true
end

-- the loss (errors are raised without the name, which updateOutput adds)
local function compute(self, input, target)
  if input:dim() ~= 1 and input:dim() ~= 2 then
    error('the input must be a vector (C) or a matrix (N x C)', 0)
  end
  local N = input:dim() == 2 and input:size(1) or 1
  local C = input:size(input:dim())
  local x = input:dim() == 2 and input or input:reshape(1, C)
  local t = nn._classTargets('nn.MultiMarginCriterion', target)
  t = torch.isTensor(t) and t:long() or torch.LongTensor{ t }
  if t:nElement() ~= N then
    error(string.format('%d targets for %d samples', t:nElement(), N), 0)
  end
  for i = 1, N do
    local c = t[i]
    if c < 1 or c > C then
      error(string.format('target %d out of range: the input has %d classes (1 to %d)', c, C, C), 0)
    end
  end
  -- (checked on the CPU; the indices then go where the input is)
  if x:type():find('^torch%.Cuda') then t = t:type('torch.CudaLongTensor') end
  local idx = t:reshape(N, 1)
  local xy = x:gather(2, idx)                                       -- N x 1
  local h = torch.clamp(x - xy + self.margin, 0, math.huge)         -- N x C
  if self.p == 2 then h = torch.cmul(h, h) end
  local keep = torch.ones(N, C):type(x:type()):scatter(2, idx, 0)   -- not the target class
  h = torch.cmul(h, keep)
  if self.weights then
    h = torch.cmul(h, self.weights:type(x:type()):index(1, t):reshape(N, 1):expand(N, C))
  end
  local loss = h:sum() / C
  if self.sizeAverage then loss = loss / N end
  return loss
end

function MultiMarginCriterion:updateOutput(input, target)
  local ok, loss = pcall(compute, self, input, target)
  if not ok then
    local msg = tostring(loss)
    if not msg:find(torch.typename(self), 1, true) then msg = torch.typename(self) .. ': ' .. msg end
    error(msg, 3)
  end
  return loss
end

return MultiMarginCriterion
