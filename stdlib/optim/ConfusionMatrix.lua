-- optim.ConfusionMatrix(nclasses | classes): counts (target, prediction) pairs.
--   conf = optim.ConfusionMatrix({'cat', 'dog'})
--   conf:add(net:forward(x), label)      -- scores (the arg max is the prediction) or an index
--   conf:batchAdd(outputs, labels)       -- N x nclasses scores, or N indices
--   print(conf)                          -- the matrix, per-class and global accuracy
-- mat[t][p] counts samples of class t predicted as p (rows are targets). Targets <= 0
-- count as missing and are skipped (Torch7). updateValids() sets valids (per-class
-- accuracy), unionvalids, totalValid (global accuracy), averageValid (mean per-class
-- accuracy over the classes seen), averageUnionValid.
local torch = require 'torch'
local optim = require 'optim'

local ConfusionMatrix = torch.class('optim.ConfusionMatrix', optim)

function ConfusionMatrix:__init(nclasses, classes)
  if type(nclasses) == 'table' then
    classes = nclasses
    nclasses = #classes
  end
  if math.type(nclasses) ~= 'integer' and not (type(nclasses) == 'number' and nclasses == math.floor(nclasses)) then
    error("bad argument #1 to 'optim.ConfusionMatrix' (a number of classes or a table of class names expected, got "
      .. torch.type(nclasses) .. ")", 3)
  end
  nclasses = math.tointeger(nclasses)
  if nclasses < 1 then error("optim.ConfusionMatrix: needs at least one class", 3) end
  self.mat = torch.LongTensor(nclasses, nclasses):zero()
  self.valids = torch.FloatTensor(nclasses):zero()
  self.unionvalids = torch.FloatTensor(nclasses):zero()
  self.nclasses = nclasses
  self.totalValid = 0
  self.averageValid = 0
  self.averageUnionValid = 0
  self.classes = classes or {}
end

local function index(self, v, what)
  if type(v) ~= 'number' then
    error(string.format("optim.ConfusionMatrix: %s must be a class index, got %s", what, torch.type(v)), 4)
  end
  local i = math.tointeger(v)
  if not i then error(string.format("optim.ConfusionMatrix: %s %s is not an integer", what, tostring(v)), 4) end
  if i > self.nclasses or (what == 'prediction' and i < 1) then
    error(string.format("optim.ConfusionMatrix: %s %d out of range (1..%d)", what, i, self.nclasses), 4)
  end
  return i
end

-- one pair of class indices
function ConfusionMatrix:_add(p, t)
  t = index(self, t, 'target')
  p = index(self, p, 'prediction')
  if t > 0 then self.mat[t][p] = self.mat[t][p] + 1 end
end

-- a class index from a number, a one-element tensor or a vector of scores (arg max)
local function classof(self, v, what)
  if type(v) == 'number' then return v end
  if not torch.isTensor(v) then
    error(string.format("optim.ConfusionMatrix: %s must be a number or a tensor, got %s", what, torch.type(v)), 4)
  end
  local n = v:nElement()
  if n == self.nclasses and n > 1 then
    local _, i = v:contiguous():view(n):double():max(1)
    return i[1]
  elseif n == 1 then
    return v:contiguous():view(1)[1]
  end
  error(string.format("optim.ConfusionMatrix: %s has %d elements (expected %d scores or one index)",
    what, n, self.nclasses), 4)
end

-- conf:add(prediction, target): prediction a vector of nclasses scores or a class
-- index; target a class index (or a one-hot vector)
function ConfusionMatrix:add(prediction, target)
  self:_add(classof(self, prediction, 'prediction'), classof(self, target, 'target'))
  return self
end

-- a list of class indices from N indices, N x 1 indices or N x nclasses scores
local function classes_of(self, t, what)
  if not torch.isTensor(t) then
    error(string.format("optim.ConfusionMatrix: %s must be a tensor, got %s", what, torch.type(t)), 4)
  end
  local out = {}
  if t:dim() == 1 or (t:dim() == 2 and t:size(2) == 1) then
    local v = t:contiguous():view(t:size(1))
    for i = 1, v:size(1) do out[i] = v[i] end
  elseif t:dim() == 2 then
    if t:size(2) ~= self.nclasses then
      error(string.format("optim.ConfusionMatrix: %s has %d columns, expected %d (the number of classes)",
        what, t:size(2), self.nclasses), 4)
    end
    local _, idx = t:double():max(2)
    for i = 1, idx:size(1) do out[i] = idx[i][1] end
  else
    error(string.format("optim.ConfusionMatrix: %s has an invalid number of dimensions (%d)", what, t:dim()), 4)
  end
  return out
end

-- conf:batchAdd(predictions, targets): N x nclasses scores or N indices, and N
-- indices (or N x nclasses one-hot rows)
function ConfusionMatrix:batchAdd(predictions, targets)
  local preds = classes_of(self, predictions, 'predictions')
  local targs = classes_of(self, targets, 'targets')
  if #preds ~= #targs then
    error(string.format("optim.ConfusionMatrix: %d predictions for %d targets", #preds, #targs), 2)
  end
  for i = 1, #preds do
    index(self, targs[i], 'target'); index(self, preds[i], 'prediction')
  end
  for i = 1, #preds do self:_add(preds[i], targs[i]) end
  return self
end

function ConfusionMatrix:zero()
  self.mat:zero()
  self.valids:zero()
  self.unionvalids:zero()
  self.totalValid = 0
  self.averageValid = 0
  self.averageUnionValid = 0
  return self
end

local function isnan(x) return x ~= x end

function ConfusionMatrix:updateValids()
  local total = 0
  local mat = self.mat
  for t = 1, self.nclasses do
    local row, col, diag = mat:select(1, t):sum(), mat:select(2, t):sum(), mat[t][t]
    self.valids[t] = diag / row
    self.unionvalids[t] = diag / (row + col - diag)
    total = total + diag
  end
  self.totalValid = total / mat:sum()
  local av, auv, nv, nuv = 0, 0, 0, 0
  for t = 1, self.nclasses do
    local v, u = self.valids[t], self.unionvalids[t]
    if not isnan(v) then av = av + v; nv = nv + 1 end
    if not isnan(v) and not isnan(u) then auv = auv + u; nuv = nuv + 1 end
  end
  self.averageValid = av / nv
  self.averageUnionValid = auv / nuv
  return self
end

function ConfusionMatrix:__tostring__()
  self:updateValids()
  local str = { 'ConfusionMatrix:\n' }
  local n = self.nclasses
  table.insert(str, '[')
  for t = 1, n do
    local pclass = string.format('%2.3f', self.valids[t] * 100)
    table.insert(str, t == 1 and '[' or ' [')
    for p = 1, n do table.insert(str, string.format('%8d', self.mat[t][p])) end
    local close = t == n and ']]  ' or ']   '
    if self.classes and self.classes[1] then
      table.insert(str, close .. pclass .. '% \t[class: ' .. tostring(self.classes[t] or '') .. ']\n')
    else
      table.insert(str, close .. pclass .. '% \n')
    end
  end
  table.insert(str, ' + average row correct: ' .. (self.averageValid * 100) .. '% \n')
  table.insert(str, ' + average rowUcol correct (VOC measure): ' .. (self.averageUnionValid * 100) .. '% \n')
  table.insert(str, ' + global correct: ' .. (self.totalValid * 100) .. '%')
  return table.concat(str)
end
