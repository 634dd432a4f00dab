-- Signal functions (bindings/signal.c, tensor/signal.c): conv2/xcorr2/conv3/xcorr3 in both
-- modes and every shape form, against hand-computed values and a plain Lua-loop float64
-- reference, and their gradients (gradcheck, gradgradcheck); renorm and bhistc with their
-- edge cases.
local tester = torch.Tester()
local T = torch.TestSuite()

local seed = 1234
local function rnd()
  seed = (seed * 1103515245 + 12345) % 2147483648
  return seed / 2147483648 * 2 - 1
end
local function randd(...)
  local t = torch.DoubleTensor(...)
  t:apply(function() return rnd() end)
  return t
end

-- ---- the reference: Lua loops over flat tables, in double ----
-- valid/full cross-correlation or convolution of one nd-D block (sizes is, ks) as Torch7
-- defines them: full conv r[y] = sum_j x[y - j] k[j]; valid xcorr r[y] = sum_j x[y + j] k[j]
local function ref_block(x, is, k, ks, full, flip)
  local nd = #is
  local os = {}
  for d = 1, nd do os[d] = full and is[d] + ks[d] - 1 or is[d] - ks[d] + 1 end
  local function lin(idx, sz)        -- 0-based subscripts -> 1-based flat index
    local p = 0
    for d = 1, nd do p = p * sz[d] + idx[d] end
    return p + 1
  end
  local function each(sz, f)         -- every 0-based subscript of sz
    local idx = {}
    for d = 1, nd do idx[d] = 0 end
    local total = 1
    for d = 1, nd do total = total * sz[d] end
    for _ = 1, total do
      f(idx)
      for d = nd, 1, -1 do
        idx[d] = idx[d] + 1
        if idx[d] < sz[d] then break end
        idx[d] = 0
      end
    end
  end
  local r = {}
  each(os, function(o)
    local s = 0
    each(ks, function(j)
      local xi, kj = {}, {}
      local inside = true
      for d = 1, nd do
        -- with x read at o + j (valid) or o - (K - 1) + j (full), conv reads the kernel
        -- flipped in both modes: full conv is sum_j x[o - j] k[j]
        kj[d] = flip and ks[d] - 1 - j[d] or j[d]
        xi[d] = full and o[d] - (ks[d] - 1) + j[d] or o[d] + j[d]
        if xi[d] < 0 or xi[d] >= is[d] then inside = false end
      end
      if inside then s = s + x[lin(xi, is)] * k[lin(kj, ks)] end
    end)
    r[lin(o, os)] = s
  end)
  return r, os
end

-- gradcheck: central differences in float64 along a random direction
local function gcheck(f, inputs, what)
  local ok, msg = torch.gradcheck(f, inputs)
  tester:assert(ok, what .. ': ' .. tostring(msg))
end

local function flat(t) return t:double():contiguous():view(-1):totable() end
local function sizes(t, from, to)
  local s = {}
  for d = from, to do s[#s + 1] = t:size(d) end
  return s
end

-- the reference of conv2/xcorr2 (nd = 2) or conv3/xcorr3 (nd = 3) in all three forms
local function ref(x, k, nd, full, flip)
  local xd, kd = x:dim(), k:dim()
  if xd == nd then
    local r, os = ref_block(flat(x), sizes(x, 1, nd), flat(k), sizes(k, 1, nd), full, flip)
    return torch.DoubleTensor(r):view(table.unpack(os))
  end
  local P = x:size(1)
  local is, ks = sizes(x, 2, nd + 1), sizes(k, kd - nd + 1, kd)
  local planes, os = {}, nil
  if kd == nd + 1 then               -- plane i with kernel i
    for i = 1, P do
      planes[i], os = ref_block(flat(x[i]), is, flat(k[i]), ks, full, flip)
    end
  else                               -- output plane j sums x[i] * k[j][i]
    for j = 1, k:size(1) do
      local acc
      for i = 1, P do
        local r
        r, os = ref_block(flat(x[i]), is, flat(k[j][i]), ks, full, flip)
        if not acc then acc = r else for e = 1, #r do acc[e] = acc[e] + r[e] end end
      end
      planes[j] = acc
    end
  end
  local out = torch.DoubleTensor(#planes, table.unpack(os))
  for j = 1, #planes do out[j]:copy(torch.DoubleTensor(planes[j]):view(table.unpack(os))) end
  return out
end

local fns = {[2] = {conv = torch.conv2, xcorr = torch.xcorr2}, [3] = {conv = torch.conv3, xcorr = torch.xcorr3}}

-- ---- hand-computed ----
function T.conv2_hand_computed()
  local x = torch.Tensor{{1, 2, 3}, {4, 5, 6}, {7, 8, 9}}
  local k = torch.Tensor{{1, 0}, {0, -1}}
  -- xcorr: x[i][j] - x[i+1][j+1] = -4 everywhere
  tester:eq(torch.xcorr2(x, k), torch.Tensor{{-4, -4}, {-4, -4}}, 0, 'xcorr2 V')
  -- conv flips the kernel: -x[i][j] + x[i+1][j+1] = 4
  tester:eq(torch.conv2(x, k), torch.Tensor{{4, 4}, {4, 4}}, 0, 'conv2 V')
  tester:eq(torch.conv2(x, k, 'V'), torch.Tensor{{4, 4}, {4, 4}}, 0, "conv2 'V'")
  -- full convolution: r[y] = sum_j x[y - j] k[j] = x[y] - x[y - (1,1)]
  local full = torch.Tensor{{1, 2, 3, 0}, {4, 4, 4, -3}, {7, 4, 4, -6}, {0, -7, -8, -9}}
  tester:eq(torch.conv2(x, k, 'F'), full, 0, 'conv2 F')
  -- full cross-correlation: the kernel flipped: -x[y] + x[y - (1,1)]
  tester:eq(torch.xcorr2(x, k, 'F'), -full, 0, 'xcorr2 F')
  -- 1xN and Nx1 kernels
  tester:eq(torch.conv2(torch.Tensor{{1, 2, 3, 4}}, torch.Tensor{{1, 10}}), torch.Tensor{{12, 23, 34}}, 0)
  tester:eq(torch.xcorr2(torch.Tensor{{1, 2, 3, 4}}, torch.Tensor{{1, 10}}), torch.Tensor{{21, 32, 43}}, 0)
  tester:eq(torch.conv2(torch.Tensor{{1}, {2}}, torch.Tensor{{1}, {10}}, 'F'), torch.Tensor{{1}, {12}, {20}}, 0)
end

function T.conv3_hand_computed()
  local x = torch.Tensor(2, 2, 2)
  for i = 1, 8 do x:storage()[i] = i end
  local k = torch.Tensor(2, 2, 2):zero()
  k[1][1][1] = 1; k[2][2][2] = 2
  -- xcorr V: one output, x[1,1,1] + 2 x[2,2,2] = 1 + 16
  tester:eq(torch.xcorr3(x, k), torch.Tensor(1, 1, 1):fill(17), 0, 'xcorr3 V')
  -- conv V flips: 2 x[1,1,1] + x[2,2,2] = 10
  tester:eq(torch.conv3(x, k), torch.Tensor(1, 1, 1):fill(10), 0, 'conv3 V')
  local f = torch.conv3(x, k, 'F')
  tester:eq(f:size():totable(), {3, 3, 3}, 'conv3 F size')
  -- full conv: r = x shifted by (0,0,0) plus 2 x shifted by (1,1,1)
  tester:eq(f[1][1][1], 1, 0); tester:eq(f[3][3][3], 16, 0); tester:eq(f[2][2][2], 8 + 2, 0)
  tester:eq(f:sum(), 36 + 72, 0, 'conv3 F total = sum(x) * sum(k)')
end

function T.conv2_planes_forms_hand_computed()
  -- 3-D input, 3-D kernel: plane i with kernel i
  local x = torch.Tensor(2, 2, 2)
  x[1]:copy(torch.Tensor{{1, 2}, {3, 4}}); x[2]:copy(torch.Tensor{{5, 6}, {7, 8}})
  local k = torch.Tensor(2, 1, 1)
  k[1][1][1] = 2; k[2][1][1] = -1
  local r = torch.conv2(x, k)
  tester:eq(r[1], torch.Tensor{{2, 4}, {6, 8}}, 0, 'plane 1 * 2')
  tester:eq(r[2], torch.Tensor{{-5, -6}, {-7, -8}}, 0, 'plane 2 * -1')
  -- 3-D input, 4-D kernel (q x p x kh x kw): output plane j sums x[i] * k[j][i]
  local k4 = torch.Tensor(3, 2, 1, 1)
  k4[1][1][1][1] = 1; k4[1][2][1][1] = 1        -- x1 + x2
  k4[2][1][1][1] = 1; k4[2][2][1][1] = -1       -- x1 - x2
  k4[3][1][1][1] = 0; k4[3][2][1][1] = 10       -- 10 x2
  local m = torch.xcorr2(x, k4)
  tester:eq(m:size():totable(), {3, 2, 2})
  tester:eq(m[1], torch.Tensor{{6, 8}, {10, 12}}, 0)
  tester:eq(m[2], torch.Tensor{{-4, -4}, {-4, -4}}, 0)
  tester:eq(m[3], torch.Tensor{{50, 60}, {70, 80}}, 0)
end

function T.docs_sizes()
  -- maths.md's examples (smaller inputs, the same arithmetic of sizes)
  local x, k = torch.rand(30, 25), torch.rand(10, 4)
  tester:eq(torch.conv2(x, k):size():totable(), {21, 22})
  tester:eq(torch.conv2(x, k, 'F'):size():totable(), {39, 28})
  local x3, k3 = torch.rand(12, 11, 10), torch.rand(3, 4, 5)
  tester:eq(torch.conv3(x3, k3):size():totable(), {10, 8, 6})
  tester:eq(torch.xcorr3(x3, k3, 'F'):size():totable(), {14, 14, 14})
  -- full mode allows a kernel larger than the input
  tester:eq(torch.conv2(torch.rand(2, 2), torch.rand(3, 5), 'F'):size():totable(), {4, 6})
end

-- ---- against the reference on random inputs ----
local cases2 = {
  {{5, 6}, {2, 3}}, {{4, 4}, {4, 4}}, {{7, 3}, {1, 1}}, {{6, 9}, {3, 1}}, {{1, 8}, {1, 5}},
  {{3, 5, 6}, {3, 2, 2}}, {{2, 4, 7}, {3, 2, 3, 2}}, {{1, 3, 3}, {2, 1, 3, 3}},
  {{4, 16, 13}, {2, 4, 5, 3}},       -- enough work for several threads
}
local cases3 = {
  {{4, 5, 6}, {2, 3, 2}}, {{3, 3, 3}, {3, 3, 3}}, {{2, 4, 4, 3}, {2, 2, 2, 1}},
  {{2, 3, 4, 5}, {3, 2, 2, 2, 3}},
}

local function check_against_ref(nd, cases)
  for _, c in ipairs(cases) do
    local x, k = randd(table.unpack(c[1])), randd(table.unpack(c[2]))
    for _, mode in ipairs({'V', 'F'}) do
      for _, kind in ipairs({'conv', 'xcorr'}) do
        local want = ref(x, k, nd, mode == 'F', kind == 'conv')
        local what = string.format('%s%d %s x %s k %s', kind, nd, mode,
                                   table.concat(c[1], 'x'), table.concat(c[2], 'x'))
        local got = fns[nd][kind](x, k, mode)
        tester:eq(got:size():totable(), want:size():totable(), what .. ' size')
        tester:eq(got, want, 1e-12, what)
        local gotf = fns[nd][kind](x:float(), k:float(), mode)
        tester:assert(torch.type(gotf) == 'torch.FloatTensor', what .. ' float type')
        tester:eq(gotf:double(), want, 1e-5 * (1 + torch.abs(want):max()), what .. ' float')
      end
    end
  end
end
function T.conv2_against_reference() check_against_ref(2, cases2) end
function T.conv3_against_reference() check_against_ref(3, cases3) end

-- 'F' with a kernel larger than the image (the engine swaps the roles of the two)
function T.full_mode_kernel_larger_than_image()
  local cases = {
    {2, {2, 3}, {4, 5}}, {2, {1, 1}, {3, 2}}, {2, {3, 2, 2}, {3, 3, 4}}, {2, {2, 1, 3}, {3, 2, 4, 5}},
    {3, {2, 1, 2}, {3, 3, 2}}, {3, {2, 2, 2, 1}, {2, 3, 2, 3}}, {3, {2, 1, 2, 2}, {2, 2, 3, 2, 3}},
  }
  for _, c in ipairs(cases) do
    local nd, x, k = c[1], randd(table.unpack(c[2])), randd(table.unpack(c[3]))
    for _, kind in ipairs({'conv', 'xcorr'}) do
      local what = string.format('%s%d F x %s k %s', kind, nd, table.concat(c[2], 'x'), table.concat(c[3], 'x'))
      local want = ref(x, k, nd, true, kind == 'conv')
      tester:eq(fns[nd][kind](x, k, 'F'), want, 1e-12, what)
      tester:eq(fns[nd][kind](x:long(), k:mul(10):long(), 'F'):double(), ref(x:long(), k:mul(10):long(), nd, true, kind == 'conv'), 0, what .. ' long')
    end
  end
  -- and its gradients
  local x, k = randd(2, 3):setRequiresGrad(), randd(4, 5):setRequiresGrad()
  gcheck(function(a, b) return torch.xcorr2(a, b, 'F') end, {x, k}, 'xcorr2 F, large kernel')
  gcheck(function(a, b) return torch.conv2(a, b, 'F') end, {x, k}, 'conv2 F, large kernel')
end

-- conv is xcorr with the kernel flipped over its spatial dims, in both modes
function T.conv_is_xcorr_with_flipped_kernel()
  for _, c in ipairs(cases2) do
    local x, k = randd(table.unpack(c[1])), randd(table.unpack(c[2]))
    local kd = k:dim()
    local kf = k:flip(kd):flip(kd - 1)
    for _, mode in ipairs({'V', 'F'}) do
      tester:eq(torch.conv2(x, k, mode), torch.xcorr2(x, kf, mode), 1e-12, 'conv2 ' .. mode)
    end
  end
  for _, c in ipairs(cases3) do
    local x, k = randd(table.unpack(c[1])), randd(table.unpack(c[2]))
    local kd = k:dim()
    local kf = k:flip(kd):flip(kd - 1):flip(kd - 2)
    for _, mode in ipairs({'V', 'F'}) do
      tester:eq(torch.conv3(x, k, mode), torch.xcorr3(x, kf, mode), 1e-12, 'conv3 ' .. mode)
    end
  end
end

-- the full convolution is commutative for single blocks; the 2-D forms agree with conv3
-- on one-deep volumes
function T.conv_identities()
  local x, k = randd(5, 7), randd(3, 2)
  tester:eq(torch.conv2(x, k, 'F'), torch.conv2(k, x, 'F'), 1e-12, 'full conv commutes')
  local c3 = torch.conv3(x:view(1, 5, 7), k:view(1, 3, 2))
  tester:eq(c3:view(3, 6), torch.conv2(x, k), 1e-12, 'conv3 of depth 1 = conv2')
  -- the 4-D kernel form is the sum of the per-plane forms
  local xp, k4 = randd(3, 6, 5), randd(2, 3, 2, 2)
  local mv = torch.conv2(xp, k4, 'F')
  for j = 1, 2 do
    local s = torch.conv2(xp, k4[j], 'F'):sum(1):squeeze(1)
    tester:eq(mv[j], s, 1e-12, 'mv plane ' .. j)
  end
end

function T.layouts_and_result_form()
  local x, k = randd(6, 7), randd(3, 2)
  local want = torch.conv2(x, k, 'F')
  -- transposed, narrowed and strided views give the same values
  local xt = x:t():contiguous():t()
  local big = torch.DoubleTensor(9, 10):fill(7)
  local xn = big:narrow(1, 2, 6):narrow(2, 3, 7); xn:copy(x)
  local kt = k:t():contiguous():t()
  tester:eq(torch.conv2(xt, kt, 'F'), want, 1e-12, 'transposed')
  tester:eq(torch.conv2(xn, k, 'F'), want, 1e-12, 'narrowed')
  -- torch.conv2(res, x, k): resized, returned, no new tensor
  local res = torch.DoubleTensor(2)
  local r = torch.conv2(res, x, k, 'F')
  tester:assert(r == res, 'returns res')
  tester:eq(res, want, 1e-12)
  -- reused in a loop, as in maths.md
  for _ = 1, 3 do torch.conv2(res, x, k) end
  tester:eq(res, torch.conv2(x, k), 1e-12, 'res reused')
  -- a non-contiguous res keeps its strides and gets the values
  local holder = torch.DoubleTensor(6, 4):fill(0)
  local resv = holder:narrow(2, 1, 2)          -- 6x2 view, stride 4
  torch.xcorr2(resv, torch.DoubleTensor(7, 3):fill(1), torch.DoubleTensor(2, 2):fill(1))
  tester:eq(resv, torch.DoubleTensor(6, 2):fill(4), 0, 'strided res')
  tester:eq(holder:narrow(2, 3, 2):sum(), 0, 0, 'outside res untouched')
  -- res aliasing the input
  local a = torch.DoubleTensor{{1, 2}, {3, 4}}
  torch.conv2(a, a:clone(), torch.DoubleTensor{{2}})
  tester:eq(a, torch.DoubleTensor{{2, 4}, {6, 8}}, 0, 'res is x')
end

function T.integer_types()
  -- Torch7 has conv2 for every CPU type; integers add exactly (and wrap as Torch7's)
  local x = torch.Tensor{{1, 2, 3}, {4, 5, 6}, {7, 8, 9}}
  local k = torch.Tensor{{1, 2}, {3, 4}}
  local want = torch.conv2(x, k, 'F')
  for _, tp in ipairs({'torch.LongTensor', 'torch.IntTensor', 'torch.ShortTensor', 'torch.CharTensor'}) do
    local r = torch.conv2(x:type(tp), k:type(tp), 'F')
    tester:assert(torch.type(r) == tp, tp .. ' result type')
    tester:eq(r:double(), want, 0, tp)
  end
  -- ByteTensor arithmetic wraps modulo 256: 100*2 + 100*2 = 400 -> 144
  local b = torch.xcorr2(torch.ByteTensor{{100, 100}}, torch.ByteTensor{{2, 2}})
  tester:eq(b[1][1], 144, 0, 'byte wraps')
  -- IntTensor wraps modulo 2^32 (Torch7's int arithmetic), it does not saturate
  local i = torch.xcorr2(torch.IntTensor{{2147483647, 1}}, torch.IntTensor{{1, 1}})
  tester:eq(i[1][1], -2147483648, 0, 'int wraps')
  -- mixed types compute in the wider type
  local m = torch.conv2(x:long(), k:double())
  tester:assert(torch.type(m) == 'torch.DoubleTensor', 'mixed -> double')
  tester:eq(m, torch.conv2(x, k):double(), 0)
  -- half types compute through float32
  local h = torch.conv2(x:half(), k:half())
  tester:assert(torch.type(h) == 'torch.HalfTensor', 'half result type')
  tester:eq(h:double(), torch.conv2(x, k):double(), 0)
end

function T.nan_and_inf_propagate()
  local x = torch.DoubleTensor(4, 4):fill(1)
  x[2][2] = 0 / 0
  local r = torch.xcorr2(x, torch.DoubleTensor(2, 2):fill(1))
  tester:assert(r[1][1] ~= r[1][1] and r[2][2] ~= r[2][2], 'windows over the NaN are NaN')
  tester:eq(r[3][3], 4, 0, 'windows off the NaN are finite')
  -- a zero weight still multiplies a NaN (no skipped terms)
  local z = torch.xcorr2(x, torch.DoubleTensor{{0, 0}, {0, 1}})
  tester:assert(z[1][1] ~= z[1][1], '0 * NaN is NaN')
end

function T.conv_errors()
  local x2, k2 = torch.rand(4, 4), torch.rand(2, 2)
  tester:assertErrorPattern(function() torch.conv2(torch.rand(2, 2), torch.rand(3, 3)) end,
                            "conv2: the input %(2x2%) is smaller than the kernel %(3x3%) in 'V'")
  tester:assertErrorPattern(function() torch.xcorr3(torch.rand(2, 5, 5), torch.rand(3, 2, 2)) end,
                            'xcorr3: the input .* smaller than the kernel')
  tester:assertErrorPattern(function() torch.conv2(x2, torch.rand(2, 2, 2)) end,
                            'conv2: expected a 2%-D input with a 2%-D kernel.*got a 2%-D input and a 3%-D kernel')
  tester:assertErrorPattern(function() torch.conv2(torch.rand(4, 4, 4, 4), torch.rand(2, 2)) end, 'conv2: expected')
  tester:assertErrorPattern(function() torch.conv3(x2, k2) end, 'conv3: expected a 3%-D input')
  tester:assertErrorPattern(function() torch.conv2(torch.rand(3, 4, 4), torch.rand(2, 2, 2)) end,
                            'conv2: .*as many kernels as input planes')
  tester:assertErrorPattern(function() torch.conv2(torch.rand(3, 4, 4), torch.rand(5, 2, 2, 2)) end,
                            "conv2: the kernel's second size must be the number of input planes")
  tester:assertErrorPattern(function() torch.conv2(x2, torch.rand(0, 2)) end, 'conv2: the kernel is empty')
  local huge = torch.rand(1, 1):expand(2 ^ 30, 2 ^ 30)   -- no memory; a 2^62-element result
  tester:assertErrorPattern(function() torch.conv2(huge, huge, 'F') end, 'conv2: the result of input .* is too large')
  tester:assertErrorPattern(function() torch.conv2(x2, k2, 'X') end,
                            "bad argument #3 to '[%w.]*conv2' %('V' %(valid%) or 'F' %(full%) expected, got 'X'%)")
  tester:assertErrorPattern(function() torch.conv2(x2, k2, 'v') end, "'V' %(valid%) or 'F'")
  tester:assertErrorPattern(function() torch.conv2(x2, k2, 'F', 1) end, "bad argument #4 to '[%w.]*conv2'")
  tester:assertErrorPattern(function() torch.conv2(x2) end, "bad argument #2 to '[%w.]*conv2' %(tensor expected")
  tester:assertErrorPattern(function() torch.conv2(x2, 3) end, "bad argument #2 to '[%w.]*conv2'")
  tester:assertErrorPattern(function() torch.conv2(torch.DoubleTensor(), x2, k2) end,
                            'conv2: result tensor is DoubleTensor, expected FloatTensor')
  tester:assertErrorPattern(function() torch.conv2(x2:bool(), k2:bool()) end, 'conv2: BoolTensor')
end

-- ---- autograd: gradcheck (central differences in float64) of every form and mode ----

function T.conv_gradcheck()
  local shapes = {
    [2] = {{{4, 5}, {2, 3}}, {{3, 4, 4}, {3, 2, 3}}, {{2, 4, 3}, {3, 2, 2, 2}}},
    [3] = {{{3, 4, 3}, {2, 2, 2}}, {{2, 3, 3, 3}, {2, 2, 1, 2}}, {{2, 3, 2, 3}, {2, 2, 2, 2, 2}}},
  }
  for nd = 2, 3 do
    for _, sh in ipairs(shapes[nd]) do
      for _, mode in ipairs({'V', 'F'}) do
        for _, kind in ipairs({'conv', 'xcorr'}) do
          local x = randd(table.unpack(sh[1])):setRequiresGrad()
          local k = randd(table.unpack(sh[2])):setRequiresGrad()
          local f = fns[nd][kind]
          local what = string.format('%s%d %s %s * %s', kind, nd, mode, table.concat(sh[1], 'x'), table.concat(sh[2], 'x'))
          gcheck(function(a, b) return f(a, b, mode) end, {x, k}, what)
          -- one input only
          local kc = k:detach()
          gcheck(function(a) return f(a, kc, mode) end, {x}, what .. ' (x only)')
        end
      end
    end
  end
end

function T.conv_autograd_forms()
  local x = randd(4, 5):setRequiresGrad()
  local k = randd(2, 2):setRequiresGrad()
  local y = torch.conv2(x, k, 'F')
  tester:assert(y.requiresGrad and y.gradFn and y.gradFn.name == 'Conv2Backward', 'recorded')
  tester:assert(torch.xcorr3(x:view(1, 4, 5), k:view(1, 2, 2)).gradFn.name == 'Xcorr3Backward')
  -- backward of sum(conv2 V): dx[i] counts the kernel weights that touch i
  local s = torch.xcorr2(x, k):sum()
  s:backward()
  local kk = k:detach()
  tester:eq(x.grad[1][1], kk[1][1], 1e-12, 'corner sees one weight')
  tester:eq(x.grad[2][2], kk:sum(), 1e-12, 'inner point sees all weights')
  -- mixed types: a float kernel, a double input; the gradient comes in each input's type
  local kf = randd(2, 2):float():setRequiresGrad()
  local xd = randd(3, 3):setRequiresGrad()
  torch.conv2(xd, kf):sum():backward()
  tester:assert(torch.type(kf.grad) == 'torch.FloatTensor' and torch.type(xd.grad) == 'torch.DoubleTensor')
  -- grad mode off: nothing recorded
  torch.noGrad(function() tester:assert(not torch.conv2(x, k).requiresGrad, 'noGrad') end)
  -- second derivatives (createGraph)
  local ok, msg = torch.gradgradcheck(function(a, b) return torch.enableGrad(function() return torch.conv2(a, b, 'F') end) end,
                                      {randd(3, 3):setRequiresGrad(), randd(2, 2):setRequiresGrad()})
  tester:assert(ok, 'gradgradcheck: ' .. tostring(msg))
  -- the result form into a plain tensor records too
  local res = torch.DoubleTensor()
  torch.conv2(res, x, k)
  tester:assert(res.requiresGrad, 'res form recorded')
  -- empty planes: zero gradients of the right shapes
  local xe = torch.DoubleTensor(0, 3, 3):setRequiresGrad()
  local ke = torch.DoubleTensor(2, 0, 2, 2):setRequiresGrad()
  torch.conv2(xe, ke):sum():backward()
  tester:eq(ke.grad:size():totable(), {2, 0, 2, 2})
end

function T.empty_inputs()
  -- no planes: no output planes (3-D kernel) or zero planes summed (4-D kernel)
  tester:eq(torch.conv2(torch.rand(0, 4, 4), torch.rand(0, 2, 2)):size():totable(), {0, 3, 3})
  local z = torch.conv2(torch.rand(0, 4, 4), torch.rand(2, 0, 2, 2))
  tester:eq(z:size():totable(), {2, 3, 3}); tester:eq(z:abs():sum(), 0, 0)
  -- a zero-size image in full mode: zeros of size K - 1
  local f = torch.conv2(torch.rand(0, 3), torch.rand(2, 2), 'F')
  tester:eq(f:size():totable(), {1, 4}); tester:eq(f:abs():sum(), 0, 0)
end

-- ---- renorm ----
local function ref_renorm(x, p, dim, maxnorm)
  local r = x:double():clone()
  for i = 1, x:size(dim) do
    local s = r:narrow(dim, i, 1)
    local n = s:norm(p)
    if n > maxnorm then s:mul(maxnorm / (n + 1e-7)) end
  end
  return r
end

function T.renorm_hand_computed()
  local x = torch.DoubleTensor{{3, 4}, {0.3, 0.4}, {0, 0}}
  -- rows (dim 1): norms 5, 0.5, 0 -> the first scaled to norm 1
  local r = torch.renorm(x, 2, 1, 1)
  tester:eq(r, torch.DoubleTensor{{0.6, 0.8}, {0.3, 0.4}, {0, 0}}, 1e-7)
  tester:eq(r[1]:norm(), 1, 1e-6, 'scaled to maxnorm (less Torch7 epsilon)')
  tester:eq(r[2], x[2], 0, 'rows under maxnorm are copied exactly')
  tester:eq(x[1][1], 3, 0, 'torch.renorm leaves x unchanged')
  -- columns (dim 2): norms of {3, 0.3, 0} and {4, 0.4, 0}
  local c = torch.renorm(x, 2, 2, 2)
  tester:eq(c:select(2, 1):norm(), 2, 1e-6)
  tester:eq(c:select(2, 2):norm(), 2, 1e-6)
  -- p = 1 and p = inf
  tester:eq(torch.renorm(torch.DoubleTensor{{1, -3}}, 1, 1, 2), torch.DoubleTensor{{0.5, -1.5}}, 1e-7)
  tester:eq(torch.renorm(torch.DoubleTensor{{1, -4}}, math.huge, 1, 2), torch.DoubleTensor{{0.5, -2}}, 1e-7)
  -- a norm equal to maxnorm is not changed (strictly above only)
  tester:eq(torch.renorm(torch.DoubleTensor{{3, 4}}, 2, 1, 5), torch.DoubleTensor{{3, 4}}, 0)
  -- maxnorm 0 zeroes every non-zero sub-tensor
  tester:eq(torch.renorm(torch.DoubleTensor{{3, 4}, {0, 0}}, 2, 1, 0), torch.DoubleTensor(2, 2):zero(), 0)
end

function T.renorm_against_reference()
  for _, shape in ipairs({{5, 4}, {3, 4, 5}, {2, 3, 2, 3}, {7, 1}}) do
    local x = randd(table.unpack(shape)):mul(3)
    for dim = 1, #shape do
      for _, p in ipairs({1, 2, 3, 0.5}) do
        local want = ref_renorm(x, p, dim, 1.5)
        tester:eq(torch.renorm(x, p, dim, 1.5), want, 1e-12,
                  string.format('%s p=%g dim=%d', table.concat(shape, 'x'), p, dim))
        tester:eq(torch.renorm(x:float(), p, dim, 1.5):double(), want, 1e-5)
      end
    end
    -- a negative dim counts from the end
    tester:eq(torch.renorm(x, 2, -1, 1), torch.renorm(x, 2, #shape, 1), 0)
  end
end

function T.renorm_forms()
  local x = randd(4, 3):mul(5)
  local want = ref_renorm(x, 2, 2, 1)
  -- x:renorm changes x and returns it
  local y = x:clone()
  tester:assert(y:renorm(2, 2, 1) == y, 'method returns self')
  tester:eq(y, want, 1e-12)
  -- result form
  local res = torch.DoubleTensor()
  tester:assert(torch.renorm(res, x, 2, 2, 1) == res, 'torch.renorm(res, ...) returns res')
  tester:eq(res, want, 1e-12)
  local res2 = torch.DoubleTensor(1)
  tester:assert(res2:renorm(x, 2, 2, 1) == res2, 'res:renorm(x, ...)')
  tester:eq(res2, want, 1e-12)
  -- on a transposed view, in place
  local base = x:clone()
  local v = base:t()
  v:renorm(2, 1, 1)
  tester:eq(base, want, 1e-12, 'in place on a transposed view')
  -- large values do not overflow the sum of squares
  local big = torch.DoubleTensor{{3e200, 4e200}}
  tester:eq(torch.renorm(big, 2, 1, 1), torch.DoubleTensor{{0.6, 0.8}}, 1e-12)
  -- NaN rows are left as they are (a NaN norm is not above maxnorm)
  local n = torch.DoubleTensor{{0 / 0, 100}, {30, 40}}
  local rn = torch.renorm(n, 2, 1, 5)
  tester:assert(rn[1][1] ~= rn[1][1] and rn[1][2] == 100, 'NaN row unchanged')
  tester:eq(rn[2], torch.DoubleTensor{3, 4}, 1e-7)
  -- empty sub-tensors
  tester:eq(torch.renorm(torch.DoubleTensor(3, 0), 2, 1, 1):size():totable(), {3, 0})
  -- a weight constraint on a parameter: in place on a leaf that requires grad
  local w = randd(3, 4):mul(4)
  w.requiresGrad = true
  local wc = ref_renorm(w:detach(), 2, 1, 1)
  w:renorm(2, 1, 1)
  tester:eq(w:detach(), wc, 1e-12, 'in place on a leaf')
  tester:assert(w:isLeaf() and w.gradFn == nil, 'the in-place constraint records nothing')
  -- any other use records (as PyTorch's renorm): see renorm_gradcheck
  local rw = torch.renorm(w, 2, 1, 0.5)
  tester:assert(rw.requiresGrad and rw.gradFn ~= nil, 'torch.renorm of a leaf that requires grad records')
end

-- the gradient flows through the factor maxnorm / (norm + 1e-7) of the sub-tensors above
-- maxnorm, and is the identity on the others
function T.renorm_gradcheck()
  local x = randd(4, 3):mul(2)
  x[2]:mul(0.05)   -- a row under maxnorm (factor 1)
  for _, p in ipairs({2, 1, 3, 0.5, math.huge}) do
    for dim = 1, 2 do
      gcheck(function(a) return torch.renorm(a, p, dim, 1) end, {x:clone():setRequiresGrad()},
             string.format('renorm p=%g dim=%d', p, dim))
    end
  end
  gcheck(function(a) return torch.renorm(a, 2, 2, 1.5) end, {randd(2, 3, 4):mul(2):setRequiresGrad()}, 'renorm 3-D')
  -- by hand: one row [3, 4] (norm 5) to maxnorm 1: r = x / (5 + 1e-7), and
  -- d sum(r) / dx = 1 / n - (sum x) x / (n^2 |x|) with n = 5 + 1e-7
  local a = torch.DoubleTensor{{3, 4}}:setRequiresGrad()
  torch.renorm(a, 2, 1, 1):sum():backward()
  local n = 5 + 1e-7
  tester:eq(a.grad, torch.DoubleTensor{{1 / n - 7 * 3 / (n * n * 5), 1 / n - 7 * 4 / (n * n * 5)}}, 1e-12)
  -- in place on a non-leaf: recorded, the input read before it is overwritten
  local b = randd(3, 4):mul(3):setRequiresGrad()
  local c = b * 1
  c:renorm(2, 1, 1)
  tester:eq(c:detach(), ref_renorm(b:detach(), 2, 1, 1), 1e-12, 'in place on a non-leaf')
  c:sum():backward()
  local b2 = b:detach():clone():setRequiresGrad()
  torch.renorm(b2, 2, 1, 1):sum():backward()
  tester:eq(b.grad, b2.grad, 1e-12, 'in place on a non-leaf: the same gradient')
end

function T.renorm_errors()
  local x = torch.rand(3, 4)
  tester:assertErrorPattern(function() torch.renorm(x, 0, 1, 1) end, "bad argument #2 to '[%w.]*renorm' %(p must be positive%)")
  tester:assertErrorPattern(function() torch.renorm(x, -1, 1, 1) end, 'p must be positive')
  tester:assertErrorPattern(function() torch.renorm(x, 2, 1, -1) end, 'maxnorm must be non%-negative')
  tester:assertErrorPattern(function() torch.renorm(x, 2, 3, 1) end, "bad argument #3 to '[%w.]*renorm'")
  tester:assertErrorPattern(function() torch.renorm(x, 2, 1) end, "bad argument #4 to '[%w.]*renorm'")
  tester:assertErrorPattern(function() torch.renorm(x:long(), 2, 1, 1) end,
                            'renorm: expected a floating point tensor, got LongTensor')
  tester:assertErrorPattern(function() torch.renorm(torch.DoubleTensor(), x, 2, 1, 1) end,
                            'renorm: result tensor is DoubleTensor, expected FloatTensor')
  -- as Torch7 and PyTorch: a 1-D tensor has no sub-tensors to renormalize (all forms)
  local v = torch.DoubleTensor{3, 4}
  local pat = 'renorm: need at least 2 dimensions %(sub%-tensors are taken along one%), got a 1%-D tensor'
  tester:assertErrorPattern(function() torch.renorm(v, 2, 1, 1) end, pat)
  tester:assertErrorPattern(function() v:renorm(2, 1, 1) end, pat)
  tester:assertErrorPattern(function() torch.renorm(torch.DoubleTensor(), v, 2, 1, 1) end, pat)
  tester:eq(v, torch.DoubleTensor{3, 4}, 0, 'the rejected tensor is unchanged')
end

-- ---- bhistc ----
function T.bhistc_hand_computed()
  local x = torch.DoubleTensor{{1, 2, 3, 4}, {4, 4, 4, 1}}
  -- range of the whole tensor [1, 4], 3 bins of width 1: [1,2) [2,3) [3,4]
  local h = torch.bhistc(x, 3)
  tester:eq(h, torch.DoubleTensor{{1, 1, 2}, {1, 0, 3}}, 0)
  tester:assert(torch.type(h) == 'torch.DoubleTensor', 'input type')
  -- an explicit range: values outside are not counted, max falls in the last bin
  tester:eq(torch.bhistc(x, 2, 2, 4), torch.DoubleTensor{{1, 2}, {0, 3}}, 0)
  -- default 100 bins
  tester:eq(torch.bhistc(x):size():totable(), {2, 100})
  -- each row is histc of that row over the same range
  local r = randd(5, 40)
  local hb = torch.bhistc(r, 7, -0.5, 0.5)
  for i = 1, 5 do tester:eq(hb[i], torch.histc(r[i], 7, -0.5, 0.5), 0, 'row ' .. i) end
  -- with the data's range: the whole tensor's, shared by the rows
  local lo, hi = r:min(), r:max()
  local hd = torch.bhistc(r, 9)
  for i = 1, 5 do tester:eq(hd[i], torch.histc(r[i], 9, lo, hi), 0, 'shared range row ' .. i) end
  tester:eq(hd:sum(), 200, 0, 'every value counted')
end

function T.bhistc_edge_cases()
  -- all values equal: the range widens by 1 on each side ([1, 3], value 2 in the middle bin)
  tester:eq(torch.bhistc(torch.DoubleTensor{{2, 2}, {2, 2}}, 3), torch.DoubleTensor{{0, 2, 0}, {0, 2, 0}}, 0)
  -- any min == max (as Torch7's C code) takes the whole tensor's range, [0, 5] here
  tester:eq(torch.bhistc(torch.DoubleTensor{{5, 5, 0}}, 2, 5, 5), torch.DoubleTensor{{1, 2}}, 0)
  local x3 = torch.DoubleTensor{{1, 2, 3, 4}, {4, 4, 4, 1}}
  tester:eq(torch.bhistc(x3, 3, 3, 3), torch.DoubleTensor{{1, 1, 2}, {1, 0, 3}}, 0, 'min == max == 3')
  tester:eq(torch.bhistc(x3, 3, 3, 3), torch.bhistc(x3, 3), 0, 'min == max: as the default')
  -- and a data range still empty is widened by 1: [6, 8] for 7s, whatever min == max says
  tester:eq(torch.bhistc(torch.DoubleTensor{{7, 7}, {7, 7}}, 3, 1, 1), torch.DoubleTensor{{0, 2, 0}, {0, 2, 0}}, 0)
  -- NaNs are not counted, nor do they set the range
  local n = torch.DoubleTensor{{0 / 0, 1, 3}, {2, 0 / 0, 0 / 0}}
  tester:eq(torch.bhistc(n, 2), torch.DoubleTensor{{1, 1}, {0, 1}}, 0)
  -- no rows; no columns
  tester:eq(torch.bhistc(torch.DoubleTensor(0, 4), 5):size():totable(), {0, 5})
  tester:eq(torch.bhistc(torch.DoubleTensor(3, 0), 2), torch.DoubleTensor(3, 2):zero(), 0)
  -- float, integer and transposed inputs
  local x = torch.DoubleTensor{{1, 2}, {3, 4}, {4, 4}}
  tester:eq(torch.bhistc(x:t(), 3), torch.bhistc(x:t():contiguous(), 3), 0, 'transposed')
  tester:eq(torch.bhistc(x:float(), 3):double(), torch.bhistc(x, 3), 0)
  local hl = torch.bhistc(x:long(), 3)
  tester:assert(torch.type(hl) == 'torch.LongTensor', 'LongTensor counts')
  tester:eq(hl:double(), torch.bhistc(x, 3), 0)
  -- forms: result tensor, method
  local res = torch.DoubleTensor()
  tester:assert(torch.bhistc(res, x, 3) == res, 'returns res')
  tester:eq(res, torch.bhistc(x, 3), 0)
  tester:eq(x:bhistc(3), torch.bhistc(x, 3), 0, 'method form (new tensor)')
  tester:eq(x[1][1], 1, 0, 'method leaves x unchanged')
end

function T.bhistc_errors()
  tester:assertErrorPattern(function() torch.bhistc(torch.rand(5), 3) end,
                            'bhistc: expected a 2%-D tensor %(one histogram per row%), got a 1%-D tensor')
  tester:assertErrorPattern(function() torch.bhistc(torch.rand(2, 2, 2)) end, 'bhistc: expected a 2%-D tensor')
  tester:assertErrorPattern(function() torch.bhistc(torch.rand(2, 2), 0) end, "bad argument #2 to '[%w.]*bhistc' %(bins must be positive%)")
  tester:assertErrorPattern(function() torch.bhistc(torch.rand(2, 2), 3, 2, 1) end, 'bhistc: min 2 is larger than max 1')
  tester:assertErrorPattern(function() torch.bhistc(torch.rand(2, 2), 3, 0) end, "bad argument #4 to '[%w.]*bhistc' %(max expected")
  tester:assertErrorPattern(function() torch.bhistc(torch.rand(2, 2), 3, -math.huge, 1) end, 'bhistc: the range .* is not finite')
end

-- (CUDA tensors: tests/lua/test_cuda_signal.lua)

tester:add(T)
return tester
