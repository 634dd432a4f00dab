-- nn and optim edge cases found by an adversarial test: Torch7's backward semantics
-- (the gradient at the arguments given, whatever forward saw last), Narrow's negative
-- lengths, integer inputs, size checks, error messages, Dropout/MapTable/optim details.
require 'nn'
require 'optim'
local tester = torch.Tester()
local T = torch.TestSuite()
local D = torch.DoubleTensor

-- ---- 1. Criterion:backward(input, target) ----

function T.criterion_backward_uses_its_arguments()
  local c = nn.MSECriterion()
  local x = torch.ones(3)
  c:forward(x, torch.zeros(3))
  -- d/dx mean((x - y)^2) = 2 (x - y) / n: zero at y = x
  tester:eq(c:backward(x, torch.ones(3)):sum(), 0, 1e-7, 'target given to backward')
  tester:eq(c:backward(torch.Tensor{3, 1, 1}, torch.ones(3)), torch.Tensor{4 / 3, 0, 0}, 1e-6, 'input given to backward')
  c.sizeAverage = false
  tester:eq(c:backward(torch.Tensor{3, 1, 1}, torch.ones(3)), torch.Tensor{4, 0, 0}, 1e-6, 'sizeAverage read at backward')
  -- a clone and a saved copy of a criterion that ran forward
  local c2 = nn.MSECriterion()
  c2:forward(x, torch.zeros(3))
  tester:eq(c2:clone():backward(x, torch.zeros(3)), torch.Tensor(3):fill(2 / 3), 1e-6, 'clone')
  local f = os.tmpname()
  torch.save(f, c2)
  local c3 = torch.load(f)
  os.remove(f)
  tester:eq(c3:backward(x, torch.zeros(3)), torch.Tensor(3):fill(2 / 3), 1e-6, 'torch.save / torch.load')
  -- backward without forward
  tester:eq(nn.MSECriterion():backward(D{1, 2}, D{0, 0}), D{1, 2}, 1e-12, 'backward before forward')
end

function T.classnll_backward_shape_and_checks()
  local c = nn.ClassNLLCriterion()
  local x = torch.randn(4, 3)
  c:forward(x, torch.LongTensor{1, 2, 3, 1})
  local g = c:backward(x[1], 2)
  tester:eq(g, torch.Tensor{0, -1, 0}, 0, 'one sample given to backward: its gradient (3)')
  tester:assertErrorPattern(function() c:backward(x, torch.LongTensor{1, 2, 3, 9}) end, 'out of range',
                            'backward checks the targets as forward does')
  tester:assertErrorPattern(function() c:backward(nil, 1) end, "nn.ClassNLLCriterion: backward: bad argument #1 'input'",
                            'nil input')
  -- table inputs: each tensor gets its own gradient
  local ce = nn.CosineEmbeddingCriterion()
  local a, b = torch.randn(2, 3), torch.randn(2, 3)
  local y = torch.Tensor{1, -1}
  ce:forward({ a, b }, y)
  local gi = ce:backward({ a, b }, y)
  tester:eq(#gi, 2, 'a gradient for each input of the table')
  tester:eq(gi[1]:size(), a:size(), 0, 'shaped as the input')
end

-- ---- 2. Module:backward: call form, :double(), clearState, clone ----

local function lin()
  local m = nn.Linear(2, 1)
  m.weight:fill(1)
  m.bias:zero()
  return m
end

function T.backward_after_call_form()
  local m = lin()
  local x = torch.ones(3, 2)
  local y = m(x)
  tester:eq(y:sum(), 6, 1e-6, 'output of the call form')
  tester:eq(m:backward(x, torch.ones(3, 1)):sum(), 6, 1e-6, 'gradInput after m(x)')
  tester:eq(m.gradWeight, torch.Tensor{{3, 3}}, 1e-6, 'gradWeight counted once')
end

function T.backward_when_the_graph_is_gone()
  local x = torch.ones(3, 2)
  local g = torch.ones(3, 1)
  local m = lin()
  m:forward(x)
  m:double()
  tester:eq(m:backward(x:double(), g:double()), D(3, 2):fill(1), 1e-12, 'after :double()')
  tester:eq(m.gradWeight, D{{3, 3}}, 1e-12, 'gradWeight after :double()')
  m = lin()
  m:forward(x)
  m:clearState()
  tester:eq(m:backward(x, g):sum(), 6, 1e-6, 'after clearState()')
  m = lin()
  m:forward(x)
  local c = m:clone()
  tester:eq(c:backward(x, g):sum(), 6, 1e-6, 'on a clone')
  tester:eq(c.gradWeight, torch.Tensor{{3, 3}}, 1e-6, 'the clone\'s gradWeight')
  -- another input than the last forward's: the gradient at the input given
  m = nn.Sequential():add(nn.Linear(2, 1)):add(nn.Square())
  m:get(1).weight:fill(1)
  m:get(1).bias:zero()
  m:forward(torch.ones(1, 2))
  tester:eq(m:backward(torch.Tensor{{1, 2}}, torch.ones(1, 1)), torch.Tensor{{6, 6}}, 1e-6,
            'backward at another input than forward\'s')
end

function T.recomputing_keeps_side_effects_once()
  -- BatchNormalization's running statistics move once per forward, not again in backward
  local bn = nn.BatchNormalization(2)
  local x = torch.Tensor{{1, 2}, {3, 6}}
  bn:forward(x)
  local rm = bn.running_mean:clone()
  local c = bn:clone()
  c:backward(x, torch.ones(2, 2))
  tester:eq(c.running_mean, rm, 0, 'no second update of running_mean')
  -- Dropout's mask is reused
  local d = nn.Dropout(0.5)
  local y = d:forward(torch.ones(100))
  local g = d:clone():backward(torch.ones(100), torch.ones(100))
  tester:eq(g, y, 0, 'the clone\'s backward uses the same mask')
end

-- ---- 3. Narrow ----

function T.narrow_negative_length_and_offset()
  local x = torch.Tensor{1, 2, 3, 4}
  tester:eq(nn.Narrow(1, 2, -1):forward(x), torch.Tensor{2, 3, 4}, 0, 'length -1: to the end (Torch7)')
  tester:eq(nn.Narrow(1, 2, -2):forward(x), torch.Tensor{2, 3}, 0, 'length -2')
  tester:eq(nn.Narrow(1, -1, 1):forward(x), torch.Tensor{1, 2, 3}, 0, 'negative offset: the first n - length')
  tester:eq(nn.Narrow(-1, 1, -1):forward(torch.Tensor{{1, 2}, {3, 4}}), torch.Tensor{{1, 2}, {3, 4}}, 0,
            'negative dimension')
  local m = nn.Narrow(1, 2, -1)
  m:forward(x)
  tester:eq(m:backward(x, torch.ones(3)), torch.Tensor{0, 1, 1, 1}, 0, 'gradInput')
  tester:assertErrorPattern(function() nn.Narrow(1, 2, -5):forward(x) end, 'nn.Narrow: offset 2 and length %-5',
                            'a length below the start')
end

-- ---- 4. integer inputs ----

function T.integer_inputs()
  for _, name in ipairs { 'Tanh', 'Sigmoid', 'Exp', 'Log', 'Sqrt' } do
    tester:assertErrorPattern(function() nn[name]():forward(torch.IntTensor{-1, 2}) end,
      'nn.' .. name .. ': the input must be a floating%-point tensor %(FloatTensor or DoubleTensor%), got IntTensor',
      name .. ' refuses an IntTensor')
    local m = nn[name]()
    tester:assertErrorPattern(function() m:backward(torch.IntTensor{-1, 2}, torch.IntTensor{1, 1}) end,
      'floating%-point', name .. ' backward refuses an IntTensor')
  end
  local id = nn.Identity()
  local xi = torch.IntTensor{-1, 2}
  id:forward(xi)
  local gi = id:backward(xi, torch.IntTensor{5, 6})
  tester:eq(gi, torch.IntTensor{5, 6}, 0, 'Identity: gradOutput for an IntTensor')
  local xb = torch.BoolTensor(2)
  id:forward(xb)
  tester:eq(id:backward(xb, torch.Tensor{5, 6}), torch.Tensor{5, 6}, 0, 'Identity: gradOutput for a BoolTensor')
  local xf = torch.randn(3)
  id:forward(xf)
  tester:eq(id:backward(xf, torch.Tensor{1, 2, 3}), torch.Tensor{1, 2, 3}, 0, 'Identity on floats')
  -- an integer input of a module that accepts it: zeros of its size, not an empty tensor
  local s = nn.MulConstant(2)
  s:forward(xi)
  tester:eq(s:backward(xi, torch.IntTensor{1, 1}):nElement(), 2, 'integer input: a gradient of its size')
end

-- ---- 5. size checks ----

function T.size_checks()
  local l = nn.Linear(3, 3)
  local x = torch.ones(2, 3)
  l:forward(x)
  tester:assertErrorPattern(function() l:backward(x, torch.ones(3, 2)) end,
    "nn.Linear: backward: bad argument #2 'gradOutput': 3x2 gradient for a 2x3 output", 'gradOutput of another shape')
  tester:assertErrorPattern(function() nn.ClassNLLCriterion():forward(torch.randn(4, 5), torch.LongTensor{{1, 2}, {3, 4}}) end,
    'nn.ClassNLLCriterion: multi%-target not supported', '2x2 target')
  tester:eq(nn.ClassNLLCriterion():forward(D{{-1, -2}, {-3, -4}}, torch.LongTensor{{1}, {2}}), 2.5, 1e-12,
            'an N x 1 target is still one class a sample')
  tester:assertErrorPattern(function() nn.CAddTable():forward({ torch.ones(2, 3), torch.ones(3, 2) }) end,
    'nn.CAddTable: input 2 %(3x2%) and input 1 %(2x3%) differ in size', 'CAddTable 2x3 + 3x2')
  local bn = nn.BatchNormalization(3):double()
  tester:assertErrorPattern(function() bn:forward(torch.FloatTensor(4, 3):normal()) end,
    'nn.BatchNormalization: the input is a torch.FloatTensor but the module is torch.DoubleTensor',
    'BatchNormalization:double() fed a FloatTensor')
end

-- ---- 6. messages ----

function T.messages()
  tester:assertErrorPattern(function() nn.Linear(2, 2):forward(nil) end, 'nn.Linear: expected a tensor input, got nil',
                            'forward(nil)')
  tester:assertErrorPattern(function() nn.Linear(2, 2):forward({}) end,
                            'nn.Linear: expected a tensor input, got an empty table', 'forward({})')
  tester:assertErrorPattern(function() nn.Linear(2, 2)(nil) end, 'nn.Linear: expected a tensor input, got nil',
                            'call form with nil')
  tester:assertErrorPattern(function() nn.Tanh():forward(3) end, 'nn.Tanh', 'a number input names the module')
  local net = nn.Sequential():add(nn.Linear(2, 2)):add(nn.Linear(2, 2):double())
  tester:assertErrorPattern(function() net:getParameters() end,
    "nn.Sequential:getParameters: the modules' parameters must all be of one type", 'mixed Float/Double')
  local function opf() return 0, torch.LongTensor{1, 1} end
  for _, name in ipairs { 'adam', 'adagrad', 'nag', 'adamax', 'sgd', 'rmsprop', 'adadelta' } do
    local x = torch.LongTensor{1, 2}
    tester:assertErrorPattern(function() optim[name](opf, x, { learningRate = 1 }) end,
      'optim%.' .. name .. ': x must be a FloatTensor or DoubleTensor, got LongTensor', name .. ' on a LongTensor')
    tester:eq(x, torch.LongTensor{1, 2}, 0, name .. ' left x alone')
  end
  local st = {}
  local function g2() return 0, torch.ones(2) end
  local function g3() return 0, torch.ones(3) end
  optim.adam(g2, torch.ones(2), {}, st)
  tester:assertErrorPattern(function() optim.adam(g3, torch.ones(3), {}, st) end,
    'optim%.adam: state%.%w+ has 2 elements but x has 3', 'a state table reused for another x')
  tester:assertErrorPattern(function() optim.sgd(g2, torch.ones(2), { learningRates = torch.ones(3) }) end,
    'optim%.sgd: config%.learningRates has 3 elements but x has 2', 'learningRates of another size')
  tester:assertErrorPattern(function() optim.sgd(g2, torch.ones(2), { weightDecays = torch.ones(3) }, {}) end,
    'optim%.sgd: config%.weightDecays has 3 elements but x has 2', 'weightDecays of another size')
  -- the right sizes still work
  local x = torch.ones(2)
  optim.sgd(g2, x, { learningRate = 0.5, learningRates = torch.Tensor{1, 2} })
  tester:eq(x, torch.Tensor{0.5, 0}, 1e-7, 'per-element learning rates')
end

-- ---- 7. Dropout, Threshold, optim.SGD, MapTable ----

function T.dropout_p_and_inplace()
  tester:assertErrorPattern(function() nn.Dropout(0 / 0) end, 'nn.Dropout: illegal percentage', 'NaN')
  tester:assertErrorPattern(function() nn.Dropout(1) end, 'nn.Dropout: illegal percentage', 'p = 1')
  tester:assertErrorPattern(function() nn.Dropout(-0.1) end, 'nn.Dropout: illegal percentage', 'p < 0')
  tester:assertErrorPattern(function() nn.Dropout(0.5):setp(0 / 0) end, 'nn.Dropout:setp: illegal percentage', 'setp NaN')
  -- in place: the input holds the output afterwards (Torch7), and backward still works
  local d = nn.Dropout(0.5, false, true)
  local x = torch.ones(200)
  local y = d:forward(x)
  tester:eq(x, y, 0, 'the input was overwritten with the output')
  tester:assert(x:eq(0):sum() > 0 and x:eq(2):sum() > 0, 'some dropped, the rest scaled by 2')
  tester:eq(d:backward(x, torch.ones(200)), d.noise, 0, 'gradInput is the mask')
  -- Threshold in place under forward: the output is a new tensor (the graph needs the input),
  -- with grad mode off it is the input itself
  local t = nn.Threshold(0, 0, true)
  local xi = torch.Tensor{-1, 2}
  local out = torch.noGrad(function() return t:forward(xi) end)
  tester:eq(xi, torch.Tensor{0, 2}, 0, 'Threshold in place with grad mode off')
  tester:eq(out, xi, 0, 'the output is the input')
end

function T.optim_duplicate_parameters()
  local w = torch.ones(2):setRequiresGrad()
  tester:assertErrorPattern(function() optim.SGD({ w, w }, { lr = 1 }) end,
    'optim%.SGD: parameters 1 and 2 are the same tensor', 'SGD({w, w})')
  tester:assertErrorPattern(function() optim.Adam({ w, torch.ones(1):setRequiresGrad(), w }) end,
    'optim%.Adam: parameters 1 and 3 are the same tensor', 'Adam')
  local opt = optim.SGD({ w }, { lr = 1 })
  w.grad = torch.ones(2)
  opt:step()
  tester:eq(w:detach(), torch.zeros(2), 0, 'one step once')
end

function T.maptable_get()
  local m = nn.MapTable(nn.Linear(2, 2))
  m:forward({ torch.ones(2), torch.ones(2) })
  tester:assert(m:get(2) ~= nil, 'get(2) after two inputs')
  tester:assert(m:get(2) == m:get(1), 'shared: the one module')
  tester:assert(m:get(3) == nil, 'get(3): no third input')
  local u = nn.MapTable(nn.Linear(2, 2), false)
  u:forward({ torch.ones(2), torch.ones(2) })
  tester:assert(u:get(2) ~= nil and u:get(2) ~= u:get(1), 'not shared: the clone')
end

tester:add(T)
return tester
