-- Learning-rate schedules for the object form (PyTorch's lr_scheduler):
--   local sched = optim.StepLR(opt, 30, 0.1)
--   for epoch = 1, n do train(); sched:step() end
-- Each reads the optimizer's lr once (the base rate) and sets opt.lr at each
-- sched:step([epoch]) (the epoch counter starts at 0 and step advances it by one, or
-- sets it). sched:getLR() is the rate it last set. Classes: optim.StepLR(opt,
-- stepSize[, gamma=0.1]), optim.ExponentialLR(opt, gamma), optim.CosineAnnealingLR(opt,
-- tMax[, etaMin=0]), subclasses of optim.LRScheduler.
local torch = require 'torch'
local optim = require 'optim'

local LRScheduler = torch.class('optim.LRScheduler', optim)

function LRScheduler:__init(opt, name)
  self.name = name or 'LRScheduler'
  if type(opt) ~= 'table' or type(opt.lr) ~= 'number' then
    error(string.format("bad argument #1 to 'optim.%s' (an optimizer with an lr field expected, got %s)",
      self.name, torch.type(opt)), 4)
  end
  self.optimizer = opt
  self.baseLR = opt.lr
  self.lastEpoch = 0
  self.lr = opt.lr
end

function LRScheduler:step(epoch)
  if epoch ~= nil and (type(epoch) ~= 'number' or epoch < 0) then
    error(string.format("bad argument #1 to 'step' (an epoch >= 0 expected, got %s)", tostring(epoch)), 2)
  end
  self.lastEpoch = epoch or self.lastEpoch + 1
  self.lr = self:lrAt(self.lastEpoch)
  self.optimizer.lr = self.lr
  return self.lr
end

function LRScheduler:getLR()
  return self.lr
end

local function positive(v, what, name)
  if type(v) ~= 'number' or not (v > 0) then
    error(string.format("optim.%s: %s must be a number > 0, got %s", name, what, tostring(v)), 4)
  end
end

-- lr = base * gamma^floor(epoch/stepSize)
local StepLR = torch.class('optim.StepLR', 'optim.LRScheduler', optim)
function StepLR:__init(opt, stepSize, gamma)
  LRScheduler.__init(self, opt, 'StepLR')
  positive(stepSize, 'stepSize', 'StepLR')
  gamma = gamma or 0.1
  positive(gamma, 'gamma', 'StepLR')
  self.stepSize, self.gamma = stepSize, gamma
end
function StepLR:lrAt(epoch)
  return self.baseLR * self.gamma ^ (epoch // self.stepSize)
end

-- lr = base * gamma^epoch
local ExponentialLR = torch.class('optim.ExponentialLR', 'optim.LRScheduler', optim)
function ExponentialLR:__init(opt, gamma)
  LRScheduler.__init(self, opt, 'ExponentialLR')
  positive(gamma, 'gamma', 'ExponentialLR')
  self.gamma = gamma
end
function ExponentialLR:lrAt(epoch)
  return self.baseLR * self.gamma ^ epoch
end

-- lr = etaMin + (base - etaMin) * (1 + cos(pi*epoch/tMax)) / 2
local CosineAnnealingLR = torch.class('optim.CosineAnnealingLR', 'optim.LRScheduler', optim)
function CosineAnnealingLR:__init(opt, tMax, etaMin)
  LRScheduler.__init(self, opt, 'CosineAnnealingLR')
  positive(tMax, 'tMax', 'CosineAnnealingLR')
  etaMin = etaMin or 0
  if type(etaMin) ~= 'number' or etaMin < 0 then
    error("optim.CosineAnnealingLR: etaMin must be a number >= 0, got " .. tostring(etaMin), 3)
  end
  self.tMax, self.etaMin = tMax, etaMin
end
function CosineAnnealingLR:lrAt(epoch)
  return self.etaMin + (self.baseLR - self.etaMin) * (1 + math.cos(math.pi * epoch / self.tMax)) / 2
end
