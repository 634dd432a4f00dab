-- nn.MarginCriterion([margin]): the hinge loss sum(max(0, margin - x y)) for targets y of
-- 1 or -1 (margin 1 by default), averaged over the elements when sizeAverage.
local nn = require 'nn'
local MarginCriterion, parent = torch.class('nn.MarginCriterion', 'nn.Criterion')

function MarginCriterion:__init(margin)
  parent.__init(self)
  if margin ~= nil and type(margin) ~= 'number' then error('nn.MarginCriterion([margin]): a number expected', 2) end
  self.margin = margin or 1
  self.sizeAverage = true
end

-- the loss (errors are raised without the name, which updateOutput adds)
local function compute(self, input, target)
  if not torch.isTensor(target) or target:nElement() ~= input:nElement() then
    error('the target must be a tensor of 1 and -1 with as many elements as the input', 0)
  end
  local y = target:type() == input:type() and target or target:type(input:type())
  if y:dim() ~= input:dim() or not y:isSameSizeAs(input) then y = y:reshape(input:size()) end
  local h = torch.clamp(-torch.cmul(input, y) + self.margin, 0, math.huge)
  local loss = h:sum()
  if self.sizeAverage then loss = loss / input:nElement() end
  return loss
end

function MarginCriterion:updateOutput(input, target)
  local ok, loss = pcall(compute, self, input, target)
  if not ok then
    local msg = tostring(loss)
    if not msg:find(torch.typename(self), 1, true) then msg = torch.typename(self) .. ': ' .. msg end
    error(msg, 3)
  end
  return loss
end

return MarginCriterion
