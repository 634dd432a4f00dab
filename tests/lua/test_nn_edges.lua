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

-- ---- in-place flags (Torch7: the output is written into the input and shares it) ----

local function shares(a, b) return torch.pointer(a:storage()) == torch.pointer(b:storage()) end

function T.inplace_flags_write_the_input()
  local x0 = D{ -2, -0.5, 0.3, 0.7, 1.5 }
  local go = D{ 1, 2, 3, 4, 5 }
  local e = function(v) return 0.7 * (math.exp(v) - 1) end
  local cases = {
    { 'ReLU', function(ip) return nn.ReLU(ip) end, D{ 0, 0, 0.3, 0.7, 1.5 }, D{ 0, 0, 3, 4, 5 }, true },
    { 'Threshold', function(ip) return nn.Threshold(0.5, 0.1, ip) end, D{ 0.1, 0.1, 0.1, 0.7, 1.5 }, D{ 0, 0, 0, 4, 5 }, true },
    { 'HardTanh', function(ip) return nn.HardTanh(-1, 1, ip) end, D{ -1, -0.5, 0.3, 0.7, 1 }, D{ 0, 2, 3, 4, 0 }, true },
    -- not idempotent: the flag is accepted, the output is a new tensor (a backward that
    -- computes forward again from an overwritten input would apply them twice)
    { 'LeakyReLU', function(ip) return nn.LeakyReLU(0.1, ip) end, D{ -0.2, -0.05, 0.3, 0.7, 1.5 }, D{ 0.1, 0.2, 3, 4, 5 }, false },
    { 'ELU', function(ip) return nn.ELU(0.7, ip) end, D{ e(-2), e(-0.5), 0.3, 0.7, 1.5 },
      D{ 0.7 * math.exp(-2), 2 * 0.7 * math.exp(-0.5), 3, 4, 5 }, false },
    { 'MulConstant', function(ip) return nn.MulConstant(3, ip) end, x0 * 3, go * 3, false },
    { 'AddConstant', function(ip) return nn.AddConstant(2, ip) end, x0 + 2, go, false },
  }
  for _, c in ipairs(cases) do
    local name, mk, want, wantGi, writes = c[1], c[2], c[3], c[4], c[5]
    for _, flag in ipairs { false, true } do
      local ip = flag and writes
      local what = name .. (flag and '(inplace)' or '')
      -- forward with grad mode on, and under noGrad (nothing recorded: backward computes again)
      for _, nograd in ipairs { false, true } do
        local w2 = what .. (nograd and ' noGrad' or '')
        local m = mk(flag):double()
        local x = x0:clone()
        local y = nograd and torch.noGrad(function() return m:forward(x) end) or m:forward(x)
        tester:eq(y, want, 1e-12, w2 .. ': output')
        tester:eq(x, ip and want or x0, 1e-12, w2 .. (ip and ': the input was overwritten' or ': the input is kept'))
        tester:assert(shares(y, x) == ip, w2 .. ': the output shares the input\'s storage only in place')
        tester:eq(m:backward(x, go:clone()), wantGi, 1e-12, w2 .. ': gradInput')
      end
    end
  end
end

function T.inplace_relu_after_linear_hand_values()
  for _, ip in ipairs { false, true } do
    local m = nn.Sequential():add(nn.Linear(2, 2)):add(nn.ReLU(ip)):double()
    local lin = m.modules[1]
    lin.weight:copy(D{ { 1, 0 }, { 0, -1 } })
    lin.bias:zero()
    m:zeroGradParameters()
    local x = D{ 1, 2 }
    -- h = W x = (1, -2); relu: (1, 0)
    tester:eq(m:forward(x), D{ 1, 0 }, 0, 'output ' .. tostring(ip))
    tester:eq(lin.output, ip and D{ 1, 0 } or D{ 1, -2 }, 0, 'the Linear\'s output ' .. tostring(ip))
    tester:eq(x, D{ 1, 2 }, 0, 'the network\'s input is the Linear\'s: kept ' .. tostring(ip))
    -- d/dh = (3, 0); gradInput = W^T (3, 0) = (3, 0); gradWeight = (3, 0) x^T
    tester:eq(m:backward(x, D{ 3, 4 }), D{ 3, 0 }, 0, 'gradInput ' .. tostring(ip))
    tester:eq(lin.gradWeight, D{ { 3, 6 }, { 0, 0 } }, 0, 'gradWeight ' .. tostring(ip))
    tester:eq(lin.gradBias, D{ 3, 0 }, 0, 'gradBias ' .. tostring(ip))
    -- module by module
    lin:zeroGradParameters()
    local g = m.modules[2]:backward(lin.output, D{ 3, 4 })
    tester:eq(g, D{ 3, 0 }, 0, 'ReLU\'s own gradInput ' .. tostring(ip))
    tester:eq(lin:backward(x, g), D{ 3, 0 }, 0, 'the Linear\'s own gradInput ' .. tostring(ip))
    tester:eq(lin.gradWeight, D{ { 3, 6 }, { 0, 0 } }, 0, 'the Linear\'s own gradWeight ' .. tostring(ip))
  end
end

function T.inplace_relu_in_a_network()
  local X, Y = torch.randn(6, 4):double(), torch.randn(6, 3):double()
  local function net(ip)
    torch.manualSeed(5)
    return nn.Sequential():add(nn.Linear(4, 5)):add(nn.ReLU(ip)):add(nn.Linear(5, 3))
      :add(nn.LeakyReLU(0.2, ip)):add(nn.MulConstant(0.5, ip)):double()
  end
  local nets = { net(false), net(true) }
  for _, m in ipairs(nets) do
    local crit = nn.MSECriterion():double()
    for _ = 1, 4 do
      m:zeroGradParameters()
      local o = m:forward(X)
      crit:forward(o, Y)
      m:backward(X, crit:backward(o, Y))
      m:updateParameters(0.1)
    end
  end
  local p1, p2 = nets[1]:getParameters(), nets[2]:getParameters()
  tester:eq(p2, p1, 1e-12, 'training with ReLU(true) gives the weights ReLU() gives')
  -- the Linear's output was overwritten by the ReLU(true) after it, and is its output
  local m = nets[2]
  m:forward(X)
  tester:assert(m.modules[2].output == m.modules[1].output, 'ReLU(true): output is its input')
  tester:eq(m.modules[1].output:min(), 0, 0, 'the Linear\'s output holds the relu')
  -- module by module backward (Torch7 style) equals the whole network's
  local ref = nets[1]
  ref:forward(X)
  local g = torch.randn(6, 3):double()
  local gi, giRef = m:backward(X, g):clone(), ref:backward(X, g)
  tester:eq(gi, giRef, 1e-12, 'network gradInput')
  local gcur = g
  for i = #m.modules, 1, -1 do
    local inp = i == 1 and X or m.modules[i - 1].output
    m.modules[i]:zeroGradParameters()
    gcur = m.modules[i]:backward(inp, gcur)
  end
  tester:eq(gcur, giRef, 1e-12, 'module by module: gradInput')
  ref.modules[1]:zeroGradParameters()
  local gr = g
  for i = #ref.modules, 1, -1 do
    gr = ref.modules[i]:backward(i == 1 and X or ref.modules[i - 1].output, gr)
  end
  tester:eq(m.modules[1].gradWeight, ref.modules[1].gradWeight, 1e-12,
            'module by module: the Linear before ReLU(true) (its output was overwritten)')
  -- the autograd style: loss:backward()
  for _, n in ipairs { m, ref } do n:zeroGradParameters() end
  for _, n in ipairs { m, ref } do torch.cmul(n(X), g):sum():backward() end
  tester:eq(m.modules[1].gradWeight, ref.modules[1].gradWeight, 1e-12, 'loss:backward() through ReLU(true)')
end

function T.inplace_keeps_the_copy_when_unsafe()
  -- a leaf of the user's that requires grad
  local x = D{ -1, 2 }:setRequiresGrad()
  local m = nn.ReLU(true)
  local y = m:forward(x)
  tester:eq(x:detach(), D{ -1, 2 }, 0, 'a leaf requiring grad keeps its values')
  tester:assert(not shares(y, x), 'a leaf: a new output')
  tester:eq(m:backward(x, D{ 5, 7 }), D{ 0, 7 }, 0, 'a leaf: gradInput')
  -- after a module whose backward needs its output (Sigmoid): not overwritten
  local s = nn.Sequential():add(nn.Sigmoid()):add(nn.MulConstant(2, true)):double()
  local x2 = D{ -1, 0, 1 }
  local out = s:forward(x2)
  local sg = torch.sigmoid(D{ -1, 0, 1 })
  tester:eq(s.modules[1].output, sg, 1e-12, 'Sigmoid\'s output kept')
  tester:eq(out, sg * 2, 1e-12, 'output')
  tester:eq(s:backward(x2, D{ 1, 1, 1 }), torch.cmul(sg, 1 - sg) * 2, 1e-12, 'gradient through Sigmoid')
  -- an input another branch already used: not overwritten, gradients right
  local function branches(ip)
    torch.manualSeed(2)
    return nn.Sequential():add(nn.Linear(3, 3))
      :add(nn.ConcatTable():add(nn.Linear(3, 2)):add(nn.ReLU(ip))):add(nn.JoinTable(1)):double()
  end
  local a, b = branches(false), branches(true)
  local x3 = torch.randn(3):double()
  local g = torch.randn(5):double()
  a:forward(x3)
  b:forward(x3)
  tester:eq(b:backward(x3, g), a:backward(x3, g), 1e-12, 'a used input: gradInput')
  tester:eq(b.modules[2].modules[1].gradWeight, a.modules[2].modules[1].gradWeight, 1e-12,
            'a used input: the other branch\'s gradWeight')
end

function T.inplace_addconstant_broadcast()
  -- a constant larger than the input: the sum is a new tensor, the input keeps its size
  local x = torch.ones(3)
  local y = nn.AddConstant(torch.ones(2, 3), true):forward(x)
  tester:eq(x, torch.ones(3), 0, 'input kept')
  tester:eq(y, torch.Tensor(2, 3):fill(2), 0, 'output')
  -- one that broadcasts to the input: a new tensor too (AddConstant never writes in place)
  local x2 = torch.ones(2, 3)
  local y2 = nn.AddConstant(torch.Tensor{ 1, 2, 3 }, true):forward(x2)
  tester:eq(y2, torch.Tensor{ { 2, 3, 4 }, { 2, 3, 4 } }, 0, 'broadcast constant')
  tester:eq(x2, torch.ones(2, 3), 0, 'broadcast constant: input kept')
  tester:assertErrorPattern(function() nn.ReLU(true):forward('x') end, 'nn.ReLU: expected a tensor input, got string',
                            'not a tensor')
  tester:assertErrorPattern(function() nn.MulConstant(2, 'yes') end, 'in%-place flag must be a boolean', 'flag type')
end

-- backward after the call form computes forward again from the network's input: with an
-- in-place module first, that input now holds its output. Only idempotent modules (ReLU,
-- Threshold, HardTanh) write in place, so the gradients stay right; MulConstant (x2 would
-- become x4) and an ELU in the middle (fed a fresh pre-activation) used to be wrong
function T.inplace_then_recompute_from_the_input()
  local function pair(mk)
    torch.manualSeed(3)
    local a = nn.Sequential():add(mk(false)):add(nn.Linear(3, 2)):double()
    torch.manualSeed(3)
    local b = nn.Sequential():add(mk(true)):add(nn.Linear(3, 2)):double()
    return a, b
  end
  local x0, g = D{ -1, 0.5, 2 }, D{ 1, -2 }
  for _, c in ipairs { { 'MulConstant', function(ip) return nn.MulConstant(2, ip) end },
                       { 'AddConstant', function(ip) return nn.AddConstant(1, ip) end },
                       { 'ReLU', function(ip) return nn.ReLU(ip) end },
                       { 'HardTanh', function(ip) return nn.HardTanh(-0.5, 0.5, ip) end } } do
    local a, b = pair(c[2])
    local xa, xb = x0:clone(), x0:clone()
    a(xa); b(xb)
    local ga, gb = a:backward(xa, g), b:backward(xb, g)
    tester:eq(b.modules[2].gradWeight, a.modules[2].gradWeight, 1e-12, c[1] .. ': gradWeight after the call form')
    tester:eq(gb, ga, 1e-12, c[1] .. ': gradInput after the call form')
  end
  for _, ip in ipairs { false, true } do
    torch.manualSeed(4)
    local m = nn.Sequential():add(nn.Linear(3, 3)):add(nn.ELU(1, ip)):add(nn.Linear(3, 2)):double()
    local ref = m:clone()
    m(x0:clone())
    m:backward(x0:clone(), g)
    ref:forward(x0:clone())
    ref:backward(x0:clone(), g)
    tester:eq(m.modules[1].gradWeight, ref.modules[1].gradWeight, 1e-12, 'ELU in the middle, call form ' .. tostring(ip))
  end
  -- Threshold checks val <= threshold at every forward (Torch7), not only in __init
  local t = nn.Threshold(0, 5)
  t.inplace = true
  tester:assertErrorPattern(function() t:forward(D{ -1, 1 }) end, 'in%-place processing requires value',
                            'Threshold with val > threshold made in place later')
end

function T.inplace_nonleaf_function_form()
  -- torch.relu(x, true) on a non-leaf nothing used yet: recorded in place
  local a = D{ -1, 2 }:setRequiresGrad()
  local h = a * 3
  tester:assert(torch.relu(h, true) == h, 'the same tensor')
  h:sum():backward()
  tester:eq(a.grad, D{ 0, 3 }, 0, 'its gradient')
end

-- ---- in-place writes into leaves inside a module's forward ----

function T.leaf_write_in_forward_refused()
  local W, parentW = torch.class('nn._EdgeBumpWeight', 'nn.Linear')
  function W:updateOutput(input) self.weight:add(1); return parentW.updateOutput(self, input) end
  local I = torch.class('nn._EdgeDoubleInput', 'nn.Module')
  function I:updateOutput(input) input:mul(2); self.output = input * 3; return self.output end
  local m = nn._EdgeBumpWeight(2, 2)
  local w0 = m.weight:clone()
  tester:assertErrorPattern(function() m:forward(torch.randn(2)) end,
    'nn._EdgeBumpWeight: .*add: in%-place operation on a leaf tensor that requires grad', 'parameter, forward')
  tester:eq(m.weight, w0, 0, 'refused before writing')
  tester:assertErrorPattern(function() m(torch.randn(2)) end, 'add: in%-place operation on a leaf', 'call form')
  tester:assertErrorPattern(function() nn.Sequential():add(nn.Identity()):add(m):forward(torch.randn(2)) end,
    'add: in%-place operation on a leaf', 'inside a container')
  local x = D{ 1, 2 }
  tester:assertErrorPattern(function() nn._EdgeDoubleInput():forward(x) end,
    'mul: in%-place operation on a leaf tensor that requires grad', 'the input')
  tester:eq(x, D{ 1, 2 }, 0, 'the input untouched')
  -- under noGrad nothing is recorded: allowed; and outside forward a leaf update is allowed
  torch.noGrad(function() m:forward(torch.randn(2)) end)
  tester:eq(m.weight, w0 + 1, 1e-6, 'under noGrad: written')
  local p = torch.randn(3):setRequiresGrad()
  p:add(1)
  m.weight:fill(0.5)
  tester:eq(m.weight, torch.Tensor(2, 2):fill(0.5), 0, 'outside forward: a value update (an optimizer step)')
  -- a real optimizer step and updateParameters still work
  local lin = nn.Linear(2, 1)
  local crit = nn.MSECriterion()
  local o = lin:forward(torch.ones(2))
  crit:forward(o, torch.zeros(1))
  lin:zeroGradParameters()
  lin:backward(torch.ones(2), crit:backward(o, torch.zeros(1)))
  lin:updateParameters(0.1)
  local params, grads = lin:getParameters()
  optim.sgd(function() return 0, grads end, params, { learningRate = 0.1 })
end

-- a module's output changed in place after forward: backward computes forward again
function T.output_changed_after_forward()
  local lin = nn.Linear(3, 2):double()
  local x = torch.randn(3):double():setRequiresGrad()
  local out = lin(x)
  out:mul(2)   -- recorded in place: out's history now includes the * 2
  local g = D{ 1, -1 }
  local gi = lin:backward(x, g)
  tester:eq(gi, lin.weight:t() * g, 1e-12, 'the Linear\'s own gradient (not times 2)')
end

-- ---- RNN / LSTM / GRU under backward's recomputation ----

local function rnn_grads(m)
  local _, gs = m:parameters()
  local t = {}
  for i, g in ipairs(gs) do t[i] = g:clone() end
  return t
end

local function rnn_make(cls, drop)
  torch.manualSeed(3)
  if cls == 'RNN' then return nn.RNN(3, 4, 2, 'tanh', drop):double() end
  return nn[cls](3, 4, 2, drop):double()
end

function T.rnn_backward_after_recompute()
  for _, cls in ipairs { 'RNN', 'LSTM', 'GRU' } do
    for _, drop in ipairs { 0, 0.5 } do
      local m = rnn_make(cls, drop)
      local x, go = torch.randn(5, 2, 3):double(), torch.randn(5, 2, 4):double()
      local cases = {
        { 'call form', function() m(x); return m end },
        { ':double()', function() m:forward(x); return m:double() end },
        { 'clearState()', function() m:forward(x); return m:clearState() end },
        { 'clone()', function() m:forward(x); local c = m:clone(); c:zeroGradParameters(); return c end },
      }
      for _, c in ipairs(cases) do
        local what = string.format('%s dropout %g %s', cls, drop, c[1])
        local r = m:clone()
        r:zeroGradParameters()
        torch.manualSeed(11)
        r:forward(x)
        local rgi, rg = r:backward(x, go):clone(), rnn_grads(r)
        m:zeroGradParameters()
        torch.manualSeed(11)
        local mm = c[2]()
        tester:eq(mm:backward(x, go), rgi, 1e-10, what .. ': gradInput')
        local gs = rnn_grads(mm)
        for i = 1, #gs do tester:eq(gs[i], rg[i], 1e-10, what .. ': parameter gradient ' .. i) end
      end
    end
  end
end

function T.rnn_carried_state()
  for _, cls in ipairs { 'RNN', 'LSTM', 'GRU' } do
    for _, inSeq in ipairs { false, true } do
      local m = rnn_make(cls, 0)
      local net = inSeq and nn.Sequential():add(m) or m
      local x1, x2 = torch.randn(4, 2, 3):double(), torch.randn(4, 2, 3):double()
      local go = torch.randn(4, 2, 4):double()
      net:forward(x1)
      net:backward(x1, go)
      -- the state carried over into the next call
      m.h0, m.c0 = m.hN, m.cN
      local r = m:clone()
      r.h0, r.c0 = m.hN:detach():clone(), m.cN and m.cN:detach():clone()
      r:zeroGradParameters()
      r:forward(x2)
      local rgi, rg = r:backward(x2, go):clone(), rnn_grads(r)
      net:zeroGradParameters()
      net:forward(x2)
      local what = cls .. (inSeq and ' in a Sequential' or '') .. ' carried state'
      tester:eq(net:backward(x2, go), rgi, 1e-10, what .. ': gradInput')
      local gs = rnn_grads(m)
      for i = 1, #gs do tester:eq(gs[i], rg[i], 1e-10, what .. ': parameter gradient ' .. i) end
    end
  end
  -- a leaf state that requires grad (a learnt initial state) still gets its .grad
  local m = nn.RNN(2, 3):double()
  m.h0 = torch.zeros(1, 2, 3):double():setRequiresGrad()
  local x = torch.randn(4, 2, 2):double()
  m:forward(x)
  m:backward(x, torch.ones(4, 2, 3):double())
  tester:assert(m.h0.grad ~= nil and m.h0.grad:abs():sum() > 0, 'a leaf h0 field accumulates its gradient')
end

tester:add(T)
return tester
