-- Calls found by the API fuzzer (tests/fuzz/) that crashed, hung or corrupted memory.
-- Each test is the reproducing call, reduced, with the outcome it must have now: a Lua
-- error naming the function and argument, or the right value.
local optim = require 'optim'
local nn = require 'nn'
local tester = torch.Tester()
local T = torch.TestSuite()

-- optim.cg hung: maxEval = maxIter * 1.25 made the line search's budget fractional
-- (0.5), which counted down past 0 without ever equalling it, so a search that kept
-- extrapolating never stopped. A NaN loss (no comparison holds) did the same.
function T.cg_fractional_budget_ends()
  local g = torch.DoubleTensor{-1, -1}
  local x = torch.DoubleTensor{0, 0}
  local _, fx, evals = optim.cg(function(p) return -p:sum(), g end, x, {maxIter = 2})
  tester:eq(evals, 3)               -- 1 + 2 evaluations, within maxEval = 2.5
  tester:eq(#fx, 1)
  tester:eq(fx[1], 0)
end

function T.cg_nan_loss_ends()
  local g = torch.FloatTensor(4, 2, 1):fill(0.5)
  local x = torch.FloatTensor(4, 2, 1):fill(1)
  local config = {maxIter = 2}
  for _ = 1, 3 do
    local _, fx, evals = optim.cg(function() return 0 / 0, g end, x, config, config)
    tester:assert(evals <= 3, 'evaluations: ' .. evals)
    tester:assert(fx[1] ~= fx[1], 'the NaN loss is reported')
  end
end

-- nn.GRU(1, 1, math.maxinteger) made layers until memory ran out (a hang)
function T.rnn_layer_count_is_bounded()
  for _, cls in ipairs{'GRU', 'LSTM', 'RNN'} do
    tester:assertErrorPattern(function() return nn[cls](1, 1, math.maxinteger) end,
      'nn%.' .. cls .. ': numLayers should be at most 65536, got ' .. math.maxinteger)
  end
  tester:eq(nn.GRU(1, 1, 2).numLayers, 2)
end

-- torch.batchNorm on zero channels passed a NULL data pointer to memcpy (UBSan: "null
-- pointer passed as argument 2"), forward (running stats, weight, bias) and backward
function T.batch_norm_zero_channels()
  local x = torch.DoubleTensor(2, 0, 1)
  local e = torch.DoubleTensor(0)
  for _, training in ipairs{false, true} do
    local y = torch.batchNorm(x, e, e, e, e, training, 0.1, 1e-5)
    tester:eq(y:size():totable(), {2, 0, 1})
  end
  tester:eq(torch.batchNorm(x:float(), nil, nil, nil, nil, true):size():totable(), {2, 0, 1})
  local xg = torch.DoubleTensor(2, 0, 3):setRequiresGrad(true)
  local w = torch.DoubleTensor(0):setRequiresGrad(true)
  local b = torch.DoubleTensor(0):setRequiresGrad(true)
  torch.batchNorm(xg, nil, nil, w, b, true):sum():backward()
  tester:eq(xg.grad:size():totable(), {2, 0, 3})
  tester:eq(w.grad:nElement(), 0)
  tester:eq(b.grad:nElement(), 0)
end

return tester:add(T)
