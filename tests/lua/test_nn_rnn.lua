-- Recurrent networks (tensor/nn_rnn.c, bindings/nn_rnn.c, nn/RNN.lua, nn/LSTM.lua,
-- nn/GRU.lua): the fused cells torch.lstmCell and torch.gruCell against float64
-- references made of basic recorded ops (mm, sigmoid, tanh, cmul), their gradients
-- (gradcheck of every input and parameter, and against the references' autograd), strided
-- and one-sample operands, bad arguments; the modules nn.LSTM, nn.GRU, nn.RNN against
-- step-by-step references (2 layers, several steps, given initial states), their
-- gradients by finite differences, backward against torch.grad, __tostring.
require 'nn'
local tester = torch.Tester()
local T = torch.TestSuite()

torch.manualSeed(11)

local function leaf(...) return torch.randn(...):double():setRequiresGrad() end
-- a leaf that is a transposed view (non-contiguous)
local function leafT(r, c) return torch.randn(c, r):double():t():setRequiresGrad() end

local function check(f, inputs, what)
  local ok, msg = torch.gradcheck(f, inputs)
  tester:assert(ok, (what or '') .. ': ' .. tostring(msg))
end

-- (a number: tensors that require grad reduce to 0-dim tensors)
local function maxdiff(a, b)
  return torch.noGrad(function() return (a:detach():double() - b:detach():double()):abs():max() end)
end

-- rows of a 1-D bias broadcast over the batch of g
local function addbias(g, b)
  if not b then return g end
  if g:dim() == 1 then return g + b end
  return g + b:view(1, -1):expandAs(g)
end

-- x W^T for a batch (2-D x) or one sample (1-D x)
local function lin(x, w)
  if x:dim() == 1 then return torch.mv(w, x) end
  return torch.mm(x, w:t())
end

local function part(g, k, H) return g:narrow(g:dim(), k * H + 1, H) end

-- the references, made of basic recorded ops (all differentiable, float64)
local function lstm_ref(x, h, c, wi, wh, bi, bh)
  local H = h:size(h:dim())
  local g = addbias(addbias((wi and lin(x, wi) or x) + lin(h, wh), bi), bh)
  local i, f = torch.sigmoid(part(g, 0, H)), torch.sigmoid(part(g, 1, H))
  local gg, o = torch.tanh(part(g, 2, H)), torch.sigmoid(part(g, 3, H))
  local c1 = torch.cmul(f, c) + torch.cmul(i, gg)
  return torch.cmul(o, torch.tanh(c1)), c1
end

local function gru_ref(x, h, wi, wh, bi, bh)
  local H = h:size(h:dim())
  local gi = addbias(wi and lin(x, wi) or x, bi)
  local gh = addbias(lin(h, wh), bh)
  local r = torch.sigmoid(part(gi, 0, H) + part(gh, 0, H))
  local z = torch.sigmoid(part(gi, 1, H) + part(gh, 1, H))
  local n = torch.tanh(part(gi, 2, H) + torch.cmul(r, part(gh, 2, H)))
  return torch.cmul(1 - z, n) + torch.cmul(z, h)
end

local function lstm_args(B, I, H, opts)
  opts = opts or {}
  local x = opts.tx and leafT(B, I) or leaf(B, I)
  local h = opts.narrow and torch.randn(B, 2 * H):double():narrow(2, H + 1, H):setRequiresGrad() or leaf(B, H)
  local c = opts.tx and leafT(B, H) or leaf(B, H)
  local wi = opts.tw and leafT(4 * H, I) or leaf(4 * H, I)
  local wh = opts.tw and leafT(4 * H, H) or leaf(4 * H, H)
  local bi, bh
  if not opts.nobias then bi, bh = leaf(4 * H), torch.randn(8 * H):double():narrow(1, 1, 4 * H):setRequiresGrad() end
  if B == 0 then -- one sample
    x, h, c = leaf(I), leaf(H), leaf(H)
  end
  return x, h, c, wi, wh, bi, bh
end

---------------------------------------------------------------------------------------
-- the LSTM cell
---------------------------------------------------------------------------------------

local variants = {
  { 3, 4, 5, {} }, { 1, 2, 3, {} }, { 2, 3, 2, { tx = true, tw = true } },
  { 4, 5, 3, { narrow = true } }, { 2, 3, 4, { nobias = true } }, { 0, 3, 2, {} },
}

function T.lstm_values()
  for _, v in ipairs(variants) do
    local x, h, c, wi, wh, bi, bh = lstm_args(v[1], v[2], v[3], v[4])
    local h1, c1 = torch.lstmCell(x, h, c, wi, wh, bi, bh)
    local rh, rc = lstm_ref(x, h, c, wi, wh, bi, bh)
    local what = string.format('B=%d I=%d H=%d', v[1], v[2], v[3])
    tester:assertTableEq(h1:size():totable(), rh:size():totable(), what .. ' h size')
    tester:assertTableEq(c1:size():totable(), rc:size():totable(), what .. ' c size')
    tester:assert(maxdiff(h1, rh) < 1e-12, what .. ' h')
    tester:assert(maxdiff(c1, rc) < 1e-12, what .. ' c')
    tester:assert(h1.requiresGrad and c1.requiresGrad, what .. ' recorded')
  end
end

function T.lstm_float32()
  local x, h, c, wi, wh, bi, bh = lstm_args(3, 4, 5)
  local rh, rc = lstm_ref(x, h, c, wi, wh, bi, bh)
  local h1, c1 = torch.lstmCell(x:float(), h:float(), c:float(), wi:float(), wh:float(), bi:float(), bh:float())
  tester:asserteq(h1:type(), 'torch.FloatTensor')
  tester:assert(maxdiff(h1, rh) < 1e-5 and maxdiff(c1, rc) < 1e-5, 'float32 values')
  -- without grad mode nothing is recorded
  local h2 = torch.noGrad(function() return (torch.lstmCell(x, h, c, wi, wh, bi, bh)) end)
  tester:assert(not h2.requiresGrad, 'noGrad')
  tester:assert(maxdiff(h2, rh) < 1e-12, 'noGrad values')
end

function T.lstm_gradcheck()
  for _, v in ipairs(variants) do
    local args = { lstm_args(v[1], v[2], v[3], v[4]) }
    local n = v[4].nobias and 5 or 7
    local ins = {}
    for i = 1, n do ins[i] = args[i] end
    local what = string.format('lstm B=%d I=%d H=%d', v[1], v[2], v[3])
    check(function(...) local a, b = torch.lstmCell(...); return { a, b } end, ins, what)
    check(function(...) return (torch.lstmCell(...)) end, ins, what .. ' (h only)')
    check(function(...) return select(2, torch.lstmCell(...)) end, ins, what .. ' (c only)')
  end
  -- without wIh: x is the input part of the gates
  local xg, h, c, wh, bh = leaf(3, 8), leaf(3, 2), leaf(3, 2), leaf(8, 2), leaf(8)
  check(function(...) local a, b = torch.lstmCell(...); return { a, b } end, { xg, h, c, nil, wh, nil, bh },
        'lstm without wIh')
  local a1, b1 = torch.lstmCell(xg, h, c, nil, wh, nil, bh)
  local a2, b2 = lstm_ref(xg, h, c, nil, wh, nil, bh)
  tester:assert(maxdiff(a1, a2) < 1e-12 and maxdiff(b1, b2) < 1e-12, 'lstm without wIh: values')
end

-- the cell's gradients equal the reference's (autograd through basic ops)
function T.lstm_grad_vs_reference()
  local ins = { lstm_args(3, 4, 5) }
  local gh, gc = torch.randn(3, 5):double(), torch.randn(3, 5):double()
  local h1, c1 = torch.lstmCell(table.unpack(ins))
  local ga = torch.grad({ h1, c1 }, ins, { gh, gc })
  local rh, rc = lstm_ref(table.unpack(ins))
  local gr = torch.grad({ rh, rc }, ins, { gh, gc })
  for i = 1, #ins do tester:assert(maxdiff(ga[i], gr[i]) < 1e-10, 'input ' .. i) end
  -- only some inputs need gradients
  local x, h = leaf(3, 4), torch.randn(3, 5):double()
  local y = torch.lstmCell(x, h, torch.randn(3, 5):double(), torch.randn(20, 4):double(), torch.randn(20, 5):double())
  tester:assert(y.requiresGrad, 'x alone requires grad')
  y:backward(torch.ones(3, 5):double())
  tester:assertTableEq(x.grad:size():totable(), { 3, 4 }, 'x.grad')
end

---------------------------------------------------------------------------------------
-- the GRU cell
---------------------------------------------------------------------------------------

local function gru_args(B, I, H, opts)
  opts = opts or {}
  local x = opts.tx and leafT(B, I) or leaf(B, I)
  local h = opts.narrow and torch.randn(B, 2 * H):double():narrow(2, H + 1, H):setRequiresGrad() or leaf(B, H)
  local wi = opts.tw and leafT(3 * H, I) or leaf(3 * H, I)
  local wh = opts.tw and leafT(3 * H, H) or leaf(3 * H, H)
  local bi, bh
  if not opts.nobias then bi, bh = leaf(3 * H), torch.randn(6 * H):double():narrow(1, 1, 3 * H):setRequiresGrad() end
  if B == 0 then x, h = leaf(I), leaf(H) end
  return x, h, wi, wh, bi, bh
end

function T.gru_values()
  for _, v in ipairs(variants) do
    local x, h, wi, wh, bi, bh = gru_args(v[1], v[2], v[3], v[4])
    local h1 = torch.gruCell(x, h, wi, wh, bi, bh)
    local r = gru_ref(x, h, wi, wh, bi, bh)
    local what = string.format('B=%d I=%d H=%d', v[1], v[2], v[3])
    tester:assertTableEq(h1:size():totable(), r:size():totable(), what .. ' size')
    tester:assert(maxdiff(h1, r) < 1e-12, what)
  end
  local x, h, wi, wh, bi, bh = gru_args(3, 4, 5)
  local r = gru_ref(x, h, wi, wh, bi, bh)
  local h1 = torch.gruCell(x:float(), h:float(), wi:float(), wh:float(), bi:float(), bh:float())
  tester:asserteq(h1:type(), 'torch.FloatTensor')
  tester:assert(maxdiff(h1, r) < 1e-5, 'float32')
end

function T.gru_gradcheck()
  for _, v in ipairs(variants) do
    local args = { gru_args(v[1], v[2], v[3], v[4]) }
    local n = v[4].nobias and 4 or 6
    local ins = {}
    for i = 1, n do ins[i] = args[i] end
    check(function(...) return torch.gruCell(...) end, ins, string.format('gru B=%d I=%d H=%d', v[1], v[2], v[3]))
  end
  local xg, h, wh, bh = leaf(3, 6), leaf(3, 2), leaf(6, 2), leaf(6)
  check(function(...) return torch.gruCell(...) end, { xg, h, nil, wh, nil, bh }, 'gru without wIh')
  tester:assert(maxdiff(torch.gruCell(xg, h, nil, wh, nil, bh), gru_ref(xg, h, nil, wh, nil, bh)) < 1e-12,
                'gru without wIh: values')
  -- against the reference's autograd
  local ins = { gru_args(2, 3, 4) }
  local g = torch.randn(2, 4):double()
  local ga = torch.grad({ torch.gruCell(table.unpack(ins)) }, ins, { g })
  local gr = torch.grad({ gru_ref(table.unpack(ins)) }, ins, { g })
  for i = 1, #ins do tester:assert(maxdiff(ga[i], gr[i]) < 1e-10, 'gru grad input ' .. i) end
end

---------------------------------------------------------------------------------------
-- errors
---------------------------------------------------------------------------------------

local function errs(f, pattern, what)
  local ok, msg = pcall(f)
  tester:assert(not ok, what .. ': no error')
  if not ok then tester:assert(tostring(msg):find(pattern, 1, true) ~= nil, what .. ': ' .. tostring(msg)) end
end

function T.cell_errors()
  local x, h, c, wi, wh, bi, bh = lstm_args(3, 4, 5)
  errs(function() torch.lstmCell(x, h, c, wi, torch.randn(20, 4):double()) end, 'lstmCell: wHh should be 20 x 5', 'wHh')
  errs(function() torch.lstmCell(x, h, c, torch.randn(20, 3):double(), wh) end, 'lstmCell: wIh should be 20 x 4', 'wIh')
  errs(function() torch.lstmCell(x, torch.randn(2, 5):double(), c, wi, wh) end, 'lstmCell: h should be', 'h batch')
  errs(function() torch.lstmCell(x, h, torch.randn(3, 4):double(), wi, wh) end, 'lstmCell: c should be 3 x 5', 'c')
  errs(function() torch.lstmCell(x, h, c, wi, wh, torch.randn(19):double()) end, 'lstmCell: bIh should be a vector of 20', 'bIh')
  errs(function() torch.lstmCell(x, h, c, wi, wh, bi, torch.randn(4, 5):double()) end, 'lstmCell: bHh', 'bHh')
  errs(function() torch.lstmCell(x:float(), h, c, wi, wh) end, 'lstmCell: h is a DoubleTensor but x is a FloatTensor', 'types')
  errs(function() torch.lstmCell(x:long(), h:long(), c:long(), wi:long(), wh:long()) end, 'lstmCell: expected FloatTensor or DoubleTensor', 'long')
  errs(function() torch.lstmCell(x, h, c, wi) end, "bad argument #5 to 'lstmCell'", 'missing wHh')
  errs(function() torch.lstmCell(x, h, 3, wi, wh) end, "bad argument #3 to 'lstmCell'", 'number')
  errs(function() torch.lstmCell(x, h, c, nil, wh) end, 'lstmCell: without wIh, x should hold', 'no wIh')
  errs(function() torch.lstmCell(torch.randn(4):double(), h, c, wi, wh) end, 'lstmCell: with a 1-D x', '1-D x')
  errs(function() torch.lstmCell(torch.randn(2, 3, 4):double(), h, c, wi, wh) end, 'lstmCell: x should be', '3-D x')
  local gx, gh, gwi, gwh = gru_args(3, 4, 5)
  errs(function() torch.gruCell(gx, gh, gwi, torch.randn(20, 5):double()) end, 'gruCell: wHh should be 15 x 5', 'gru wHh')
  errs(function() torch.gruCell(gx, gh, gwi:narrow(2, 1, 3), gwh) end, 'gruCell: wIh should be 15 x 4', 'gru wIh')
  errs(function() torch.gruCell(gx, gh, gwi, gwh, torch.randn(3):double()) end, 'gruCell: bIh', 'gru bIh')
  errs(function() torch.gruCell(gx, gh, gwi, gwh, nil, nil, 1) end, "bad argument #7 to 'gruCell'", 'gru extra')
end

function T.cell_backward_errors()
  -- second derivatives through the fused backward are a clear error
  local ins = { lstm_args(2, 3, 2) }
  local h1 = torch.lstmCell(table.unpack(ins))
  errs(function() torch.grad({ h1 }, { ins[1] }, { torch.ones(2, 2):double() }, { createGraph = true }) end,
       'not differentiable again', 'lstm createGraph')
  local gins = { gru_args(2, 3, 2) }
  local y = torch.gruCell(table.unpack(gins))
  errs(function() torch.grad({ y }, { gins[1] }, { torch.ones(2, 2):double() }, { createGraph = true }) end,
       'not differentiable again', 'gru createGraph')
  -- a weight changed in place between forward and backward
  local x, h, c, wi, wh = lstm_args(2, 3, 2, { nobias = true })
  local a = torch.lstmCell(x, h, c, wi, wh)
  torch.noGrad(function() wh:add(1) end)
  errs(function() a:backward(torch.ones(2, 2):double()) end, 'modified by an in-place operation', 'stale weight')
end

---------------------------------------------------------------------------------------
-- unbindSteps
---------------------------------------------------------------------------------------

function T.unbind_steps()
  local x = leaf(4, 2, 3)
  local s = torch.unbindSteps(x)
  tester:asserteq(#s, 4)
  for k = 1, 4 do
    tester:assertTableEq(s[k]:size():totable(), { 2, 3 }, 'step size')
    tester:assert(maxdiff(s[k], x[k]) == 0, 'step ' .. k)
    tester:assert(s[k].requiresGrad, 'step recorded')
  end
  check(function(x)
    local st = torch.unbindSteps(x)
    return { torch.cmul(st[1], st[3]) + st[4], st[2] * 2 }
  end, { x }, 'unbindSteps')
  -- some steps unused; a non-contiguous source
  local xt = torch.randn(3, 5):double():t():setRequiresGrad()
  check(function(x) return torch.unbindSteps(x)[2] * 3 end, { xt }, 'unbindSteps one step')
  -- twice through a retained graph: the gathered gradient is not carried over
  local y = torch.unbindSteps(x)
  local loss = torch.sum(y[1] * 2 + y[4] * 3)
  loss:backward(nil, { retainGraph = true })
  local g1 = x.grad:clone()
  loss:backward()
  tester:assert(maxdiff(x.grad, g1 * 2) < 1e-12, 'retained graph: accumulates')
  tester:assert(maxdiff(g1[1], torch.DoubleTensor(2, 3):fill(2)) == 0 and maxdiff(g1[2], torch.zeros(2, 3):double()) == 0,
                'gradient values')
  -- without grad
  local p = torch.noGrad(function() return torch.unbindSteps(x) end)
  tester:assert(not p[1].requiresGrad, 'noGrad')
  tester:asserteq(#torch.unbindSteps(torch.randn(0, 3)), 0, 'no steps')
  errs(function() torch.unbindSteps(torch.DoubleTensor()) end, "unbindSteps", 'empty')
  errs(function() torch.unbindSteps(3) end, "bad argument #1 to 'unbindSteps'", 'number')
end

---------------------------------------------------------------------------------------
-- the modules
---------------------------------------------------------------------------------------

-- step-by-step reference of a module: states per layer from h0/c0 (or zeros)
local function module_ref_(m, x, h0, c0)
  local kind = torch.typename(m)
  local Tn, B, H = x:size(1), x:size(2), m.hiddenSize
  local layerIn = x:double()
  local hN, cN = {}, {}
  for l = 0, m.numLayers - 1 do
    local wi, wh = m['weight_ih_l' .. l]:double(), m['weight_hh_l' .. l]:double()
    local bi, bh = m['bias_ih_l' .. l]:double(), m['bias_hh_l' .. l]:double()
    local h = h0 and h0[l + 1]:double() or torch.zeros(B, H):double()
    local c = c0 and c0[l + 1]:double() or torch.zeros(B, H):double()
    local out = {}
    for t = 1, Tn do
      if kind == 'nn.LSTM' then h, c = lstm_ref(layerIn[t], h, c, wi, wh, bi, bh)
      elseif kind == 'nn.GRU' then h = gru_ref(layerIn[t], h, wi, wh, bi, bh)
      else
        local a = addbias(addbias(lin(layerIn[t], wi) + lin(h, wh), bi), bh)
        h = m.nonlinearity == 'relu' and torch.cmax(a, 0) or torch.tanh(a)
      end
      out[t] = h
    end
    hN[l + 1], cN[l + 1] = h, c
    layerIn = torch.stack(out, 1)
  end
  return layerIn, torch.stack(hN, 1), torch.stack(cN, 1)
end
local function module_ref(...)
  local a = { ... }
  return torch.noGrad(function() return module_ref_(table.unpack(a)) end)
end

local function new_module(kind, I, H, L, extra)
  if kind == 'RNN' then return nn.RNN(I, H, L, extra) end
  return nn[kind](I, H, L)
end

function T.module_values()
  for _, kind in ipairs { 'LSTM', 'GRU', 'RNN', 'RNNrelu' } do
    local m = kind == 'RNNrelu' and nn.RNN(3, 4, 2, 'relu') or new_module(kind, 3, 4, 2)
    local x = torch.randn(5, 2, 3)
    local y = m:forward(x)
    local ry, rh, rc = module_ref(m, x)
    tester:assertTableEq(y:size():totable(), { 5, 2, 4 }, kind .. ' output size')
    tester:asserteq(y:type(), 'torch.FloatTensor', kind .. ' output type')
    tester:assert(maxdiff(y, ry) < 1e-5, kind .. ' output')
    tester:assert(maxdiff(m.hN, rh) < 1e-5, kind .. ' hN')
    if kind == 'LSTM' then tester:assert(maxdiff(m.cN, rc) < 1e-5, 'LSTM cN') else tester:assert(m.cN == nil, kind .. ' cN') end
    -- given initial states: a table input, then the fields
    local h0, c0 = torch.randn(2, 2, 4), torch.randn(2, 2, 4)
    local y2 = m:forward(kind == 'LSTM' and { x, h0, c0 } or { x, h0 })
    local ry2, rh2, rc2 = module_ref(m, x, h0, c0)
    tester:assert(maxdiff(y2, ry2) < 1e-5, kind .. ' output with h0')
    tester:assert(maxdiff(m.hN, rh2) < 1e-5, kind .. ' hN with h0')
    if kind == 'LSTM' then tester:assert(maxdiff(m.cN, rc2) < 1e-5, 'LSTM cN with c0') end
    m.h0, m.c0 = h0, c0
    tester:assert(maxdiff(m:forward(x), ry2) < 1e-5, kind .. ' fields h0/c0')
    m.h0, m.c0 = nil, nil
    -- one sequence (2-D input) equals a batch of one
    local x1 = torch.randn(4, 3)
    local y1 = m:forward(x1):clone()
    local hs1 = m.hN:clone()
    tester:assertTableEq(y1:size():totable(), { 4, 4 }, kind .. ' one sequence size')
    tester:assertTableEq(hs1:size():totable(), { 2, 4 }, kind .. ' one sequence hN size')
    tester:assert(maxdiff(y1, m:forward(x1:view(4, 1, 3)):view(4, 4)) < 1e-6, kind .. ' one sequence')
  end
end

function T.empty_batch()
  local x, h, c = leaf(0, 3), leaf(0, 2), leaf(0, 2)
  local wi, wh = leaf(8, 3), leaf(8, 2)
  local h1, c1 = torch.lstmCell(x, h, c, wi, wh)
  tester:assertTableEq(h1:size():totable(), { 0, 2 }, 'lstm empty batch')
  torch.sum(h1 + c1):backward()
  tester:assert(wi.grad:abs():max() == 0, 'empty batch: zero weight gradient')
  local y = nn.GRU(3, 2):forward(torch.randn(4, 0, 3))
  tester:assertTableEq(y:size():totable(), { 4, 0, 2 }, 'gru module empty batch')
end

function T.module_double_and_noncontiguous()
  local m = nn.LSTM(3, 2, 2):double()
  tester:asserteq(m.weight_ih_l1:type(), 'torch.DoubleTensor')
  tester:assert(torch.pointer(m.weight_ih_l1.grad) == torch.pointer(m.gradWeight_ih_l1), 'grad linked after :double()')
  local x = torch.randn(3, 4, 5):double():transpose(1, 3) -- 5 x 4 x 3, non-contiguous
  tester:assert(maxdiff(m:forward(x), module_ref(m, x)) < 1e-12, 'non-contiguous input')
end

-- gradients of the output (and of hN, cN) by finite differences, for the input, the
-- initial states and every parameter
function T.module_gradcheck()
  for _, kind in ipairs { 'LSTM', 'GRU', 'RNN' } do
    local m = new_module(kind, 2, 3, 2):double()
    local params = m:parameters()
    tester:asserteq(#params, 8, kind .. ' parameters')
    local x = leaf(3, 2, 2)
    local h0, c0 = leaf(2, 2, 3), leaf(2, 2, 3)
    local ins = { x, h0 }
    if kind == 'LSTM' then ins[3] = c0 end
    for _, p in ipairs(params) do ins[#ins + 1] = p end
    -- the parameters follow the states in ins: gradcheck perturbs them in place and the
    -- module reads them itself
    local lstm = kind == 'LSTM'
    local f = function(x, h0, c0)
      local y = m:updateOutput(lstm and { x, h0, c0 } or { x, h0 })
      return lstm and { y, m.hN, m.cN } or { y, m.hN }
    end
    check(f, ins, kind .. ' module')
  end
end

-- module:backward fills gradInput and the parameters' gradients (accumulating) as
-- torch.grad computes them
function T.module_backward()
  for _, kind in ipairs { 'LSTM', 'GRU', 'RNN' } do
    local m = new_module(kind, 3, 4, 2):double()
    local x = torch.randn(4, 2, 3):double()
    local go = torch.randn(4, 2, 4):double()
    m:zeroGradParameters()
    local y = m:forward(x)
    local gi = m:backward(x, go)
    local params, grads = m:parameters()
    local xl = x:clone():setRequiresGrad()
    local y2 = m:updateOutput(xl)
    local wrt = { xl }
    for _, p in ipairs(params) do wrt[#wrt + 1] = p end
    local gs = torch.grad({ y2 }, wrt, { go })
    tester:assert(maxdiff(gi, gs[1]) < 1e-10, kind .. ' gradInput')
    for i = 1, #params do tester:assert(maxdiff(grads[i], gs[i + 1]) < 1e-10, kind .. ' gradient ' .. i) end
    m:forward(x)
    m:backward(x, go)
    tester:assert(maxdiff(grads[1], gs[2] * 2) < 1e-10, kind .. ' accumulates')
    -- the autograd style fills the same tensors
    m:zeroGradParameters()
    local out = m:forward(x)
    torch.sum(torch.cmul(out, go)):backward()
    tester:assert(maxdiff(m.gradWeight_hh_l1, gs[7]) < 1e-10, kind .. ' loss:backward()')
    -- a table input gives a table gradInput
    local h0 = torch.randn(2, 2, 4):double()
    m:forward({ x, h0 })
    local gt = m:backward({ x, h0 }, go)
    tester:assert(type(gt) == 'table' and gt[2]:isSameSizeAs(h0), kind .. ' table gradInput')
  end
end

function T.module_flat_parameters()
  local m = nn.LSTM(3, 4)
  local p, g = m:getParameters()
  tester:asserteq(p:nElement(), 16 * 3 + 16 * 4 + 32)
  local x = torch.randn(2, 2, 3)
  m:forward(x)
  m:backward(x, torch.ones(2, 2, 4))
  tester:assert(g:norm() > 0, 'flat gradients filled')
  local before = m:forward(x):clone()
  torch.noGrad(function() p:add(-0.1, g) end)
  tester:assert(maxdiff(before, m:forward(x)) > 0, 'the flat parameters are the weights')
end

function T.module_dropout()
  local m = nn.LSTM(3, 8, 2, 0.5)
  local x = torch.randn(4, 3, 3)
  m:evaluate()
  local a, b = m:forward(x):clone(), m:forward(x):clone()
  tester:assert(maxdiff(a, b) == 0, 'evaluate: deterministic')
  m:training()
  local c, d = m:forward(x):clone(), m:forward(x):clone()
  tester:assert(maxdiff(c, d) > 0, 'training: dropout between layers')
end

function T.module_tostring_and_errors()
  tester:asserteq(tostring(nn.LSTM(128, 256)), 'nn.LSTM(128 -> 256)')
  tester:asserteq(tostring(nn.GRU(10, 20, 2)), 'nn.GRU(10 -> 20, 2 layers)')
  tester:asserteq(tostring(nn.RNN(3, 4, 1, 'relu')), 'nn.RNN(3 -> 4, relu)')
  tester:asserteq(tostring(nn.LSTM(3, 4, 3, 0.25)), 'nn.LSTM(3 -> 4, 3 layers, dropout 0.25)')
  tester:assert(torch.isTypeOf(nn.LSTM(2, 2), 'nn.Module'), 'a module')
  local m = nn.LSTM(3, 4, 2)
  errs(function() m:forward(torch.randn(5, 2, 4)) end, 'nn.LSTM: expected input seqLen x batch x 3', 'input size')
  errs(function() m:forward(torch.randn(5)) end, 'nn.LSTM: expected input', '1-D input')
  errs(function() m:forward({ torch.randn(5, 2, 3), torch.randn(1, 2, 4) }) end, 'nn.LSTM: h0 should be 2 x 2 x 4', 'h0')
  errs(function() m:forward({ torch.randn(5, 2, 3), torch.randn(2, 2, 4), torch.randn(2, 3, 4) }) end,
       'nn.LSTM: c0 should be 2 x 2 x 4', 'c0')
  errs(function() m:forward('x') end, 'nn.LSTM: expected a tensor', 'string input')
  errs(function() m:forward(torch.randn(5, 2, 3):double()) end,
       'nn.LSTM: the input is a torch.DoubleTensor but the module holds torch.FloatTensor weights', 'input type')
  errs(function() m:forward(torch.randn(0, 2, 3)) end, 'nn.LSTM: the input sequence is empty', 'empty sequence')
  errs(function() m:forward({ torch.randn(5, 2, 3), torch.randn(2, 2, 4):double() }) end,
       'nn.LSTM: h0 is a torch.DoubleTensor but the module holds torch.FloatTensor weights', 'h0 type')
  -- a non-contiguous single sequence
  tester:assertTableEq(m:forward(torch.randn(3, 7):t()):size():totable(), { 7, 4 }, 'transposed one sequence')
  m:forward(torch.randn(2, 2, 3))
  m:clearState()
  tester:assert(m.hN == nil and m.cN == nil, 'clearState drops the states')
  errs(function() nn.GRU(0, 3) end, 'nn.GRU: inputSize should be a positive integer', 'inputSize')
  errs(function() nn.LSTM(3, 2.5) end, 'nn.LSTM: hiddenSize should be a positive integer', 'hiddenSize')
  errs(function() nn.LSTM(3, 2, 1, 1.5) end, 'nn.LSTM: dropout should be', 'dropout')
  errs(function() nn.RNN(3, 2, 1, 'sigmoid') end, "nn.RNN: nonlinearity should be 'tanh' or 'relu'", 'nonlinearity')
end

-- graphs are freed: the count of live nodes does not grow from one iteration to the next
function T.graphs_freed()
  if not torch._autogradLiveNodes then tester:skip('no torch._autogradLiveNodes') return end
  for _, kind in ipairs { 'LSTM', 'GRU' } do
    local m = nn[kind](3, 4, 2)
    local x = torch.randn(5, 2, 3)
    local function iter()
      m:forward(x)
      m:backward(x, torch.randn(5, 2, 4))
      local h = m:forward(x)
      torch.sum(h):backward()
      m:clearState()
      m._input = nil
      collectgarbage()
      collectgarbage()
      return torch._autogradLiveNodes()
    end
    iter()
    local n1 = iter()
    tester:asserteq(iter(), n1, kind .. ': live nodes')
  end
end

-- each module learns to output the previous step's input (a one-step memory), Torch7 style
function T.modules_learn()
  torch.manualSeed(3)
  for _, kind in ipairs { 'LSTM', 'GRU', 'RNN' } do
    local rnn, lin = nn[kind](1, 12), nn.Linear(12, 1)
    local crit = nn.MSECriterion()
    local S, B = 8, 16
    local first, last
    for it = 1, 300 do
      local x = torch.Tensor(S, B, 1):bernoulli(0.5):mul(2):add(-1)
      local y = torch.zeros(S, B, 1)
      y:narrow(1, 2, S - 1):copy(x:narrow(1, 1, S - 1))
      rnn:zeroGradParameters()
      lin:zeroGradParameters()
      local h = rnn:forward(x)
      local o = lin:forward(h:view(S * B, 12))
      local loss = crit:forward(o, y:view(S * B, 1))
      local go = crit:backward(o, y:view(S * B, 1))
      rnn:backward(x, lin:backward(h:view(S * B, 12), go):view(S, B, 12))
      rnn:updateParameters(0.5)
      lin:updateParameters(0.5)
      first = first or loss
      last = loss
    end
    tester:assert(first > 0.5 and last < 0.05, string.format('%s: loss %.4f -> %.4f', kind, first, last))
  end
end

tester:add(T)
return tester
