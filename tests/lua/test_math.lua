-- Pointwise ops and operators (bindings/math.c, tensor/pointwise*.c).
local tester = torch.Tester()
local T = torch.TestSuite()

local function same(a, b, tol, msg) tester:eq(a, b, tol or 0, msg) end

-- inputs in several layouts holding the same values as the contiguous 2x3 `base`
local function layouts(base)
  local t = base:t():contiguous():t()            -- transposed storage
  local big = base:clone():resize(base:size(1), base:size(2) + 2):fill(99)
  local n = big:narrow(2, 2, base:size(2)); n:copy(base)  -- narrowed
  return {contiguous = base:clone(), transposed = t, narrowed = n}
end

function T.unary_ops_against_lua_math()
  local vals = torch.DoubleTensor{{0.1, 0.5, 0.9}, {1.5, 2.0, 3.25}}
  local cases = {
    exp = math.exp, log = math.log, sqrt = math.sqrt, sin = math.sin, cos = math.cos,
    tan = math.tan, atan = math.atan, floor = math.floor, ceil = math.ceil,
    abs = math.abs, neg = function(x) return -x end,
    tanh = function(x) return (math.exp(x) - math.exp(-x)) / (math.exp(x) + math.exp(-x)) end,
    sigmoid = function(x) return 1 / (1 + math.exp(-x)) end,
    rsqrt = function(x) return 1 / math.sqrt(x) end,
    log1p = function(x) return math.log(1 + x) end,
    frac = function(x) return x - math.floor(x) end,
    square = function(x) return x * x end,
    cinv = function(x) return 1 / x end,
  }
  for name, f in pairs(cases) do
    for lname, x in pairs(layouts(vals)) do
      for _, tp in ipairs{'torch.DoubleTensor', 'torch.FloatTensor'} do
        local xt = x:type(tp)
        local r = torch[name](xt)
        local tol = tp == 'torch.DoubleTensor' and 1e-12 or 1e-5
        for i = 1, 2 do for j = 1, 3 do
          local want = f(vals[i][j])
          tester:assert(math.abs(r[i][j] - want) <= tol * math.max(1, math.abs(want)),
            string.format('%s %s %s [%d][%d]: %g vs %g', name, lname, tp, i, j, r[i][j], want))
        end end
        -- the method form writes in place
        local c = xt:clone(); c[name](c)
        same(c, r, 0, name .. ' in place')
      end
    end
  end
  same(torch.Tensor{-2.5, 2.5, 0.4}:round(), torch.Tensor{-3, 3, 0}, 0, 'round half away from zero')
  same(torch.Tensor{-2, 0, 3}:sign(), torch.Tensor{-1, 0, 1})
  same(torch.LongTensor{-5, 4}:abs(), torch.LongTensor{5, 4})
end

function T.unary_result_forms()
  local x = torch.Tensor{1, 4, 9}
  local res = torch.Tensor()
  local r = torch.sqrt(res, x)
  tester:assert(r == res, 'torch.sqrt(res, x) returns res')
  same(res, torch.Tensor{1, 2, 3})
  local y = torch.Tensor(3)
  y:sqrt(x)
  same(y, torch.Tensor{1, 2, 3})
  same(x, torch.Tensor{1, 4, 9}, 0, 'source untouched')
end

function T.binary_forms_torch7()
  local a, b = torch.Tensor{1, 2, 3}, torch.Tensor{10, 20, 30}
  same(torch.add(a, b), torch.Tensor{11, 22, 33})
  same(torch.add(a, 2, b), torch.Tensor{21, 42, 63})
  same(torch.add(a, 1), torch.Tensor{2, 3, 4})
  local res = torch.Tensor()
  torch.add(res, a, b); same(res, torch.Tensor{11, 22, 33})
  torch.add(res, a, 3, b); same(res, torch.Tensor{31, 62, 93})
  local c = a:clone(); c:add(b); same(c, torch.Tensor{11, 22, 33})
  c = a:clone(); c:add(2, b); same(c, torch.Tensor{21, 42, 63})
  c = a:clone(); c:add(5); same(c, torch.Tensor{6, 7, 8})
  c = torch.Tensor(3); c:add(a, b); same(c, torch.Tensor{11, 22, 33})
  c = a:clone(); c:csub(b); same(c, torch.Tensor{-9, -18, -27})
  c = a:clone(); c:mul(3); same(c, torch.Tensor{3, 6, 9})
  c = a:clone(); c:cmul(b); same(c, torch.Tensor{10, 40, 90})
  c = b:clone(); c:cdiv(a); same(c, torch.Tensor{10, 10, 10})
  c = b:clone(); c:div(10); same(c, torch.Tensor{1, 2, 3})
  same(torch.cmul(a, b), torch.Tensor{10, 40, 90})
  same(torch.pow(a, 2), torch.Tensor{1, 4, 9})
  same(torch.pow(2, a), torch.Tensor{2, 4, 8})
  same(torch.cpow(a, a), torch.Tensor{1, 4, 27})
  same(torch.cmax(a, 2), torch.Tensor{2, 2, 3})
  same(torch.cmin(a, b), a)
  same(torch.fmod(torch.Tensor{-7, 7}, 3), torch.Tensor{-1, 1})
  same(torch.remainder(torch.Tensor{-7, 7}, 3), torch.Tensor{2, 1})
  same(torch.atan2(torch.DoubleTensor{1}, torch.DoubleTensor{1}), torch.DoubleTensor{math.pi / 4}, 1e-12)
  tester:assertErrorPattern(function() a:add('x') end, 'number or tensor')
  tester:assertErrorPattern(function() torch.add(a, torch.Tensor{1, 2}) end, 'broadcast')
end

function T.broadcasting()
  local col = torch.Tensor{{1}, {2}, {3}}
  local row = torch.Tensor{10, 20}
  same(col + row, torch.Tensor{{11, 21}, {12, 22}, {13, 23}})
  same(torch.cmul(col, row), torch.Tensor{{10, 20}, {20, 40}, {30, 60}})
  local m = torch.Tensor{{1, 2}, {3, 4}, {5, 6}}
  m:add(row)
  same(m, torch.Tensor{{11, 22}, {13, 24}, {15, 26}})
  tester:assertErrorPattern(function() row:add(col) end, 'in%-place')
  -- broadcasting on transposed and narrowed operands
  for name, x in pairs(layouts(torch.Tensor{{1, 2, 3}, {4, 5, 6}})) do
    same(x + torch.Tensor{100, 200, 300}, torch.Tensor{{101, 202, 303}, {104, 205, 306}}, 0, name)
    same(x - torch.Tensor{{1}, {4}}, torch.Tensor{{0, 1, 2}, {0, 1, 2}}, 0, name)
  end
end

function T.torch7_same_number_of_elements()
  -- Torch7: operands with equal element counts combine whatever their sizes (when they
  -- do not broadcast), the result in the first operand's size
  local x = torch.Tensor(2, 2):fill(2)
  x:add(torch.Tensor(4):fill(3))
  same(x, torch.Tensor{{5, 5}, {5, 5}})
  same(torch.cmul(torch.Tensor{{1, 2}, {3, 4}}, torch.Tensor{1, 2, 3, 4}), torch.Tensor{{1, 4}, {9, 16}})
  same(torch.Tensor{1, 2, 3, 4} - torch.Tensor{{1, 1}, {1, 1}}, torch.Tensor{0, 1, 2, 3})
  -- where broadcasting applies it wins (PyTorch's rule)
  tester:eq((torch.Tensor{{1}, {2}, {3}} + torch.Tensor{10, 20, 30}):size(2), 3)
  tester:assertErrorPattern(function() torch.cmul(torch.Tensor(3), torch.Tensor(2)) end, 'broadcast')
end

function T.error_messages_of_composed_ops()
  local ok, err = pcall(function() torch.ones(2, 2):addcmul(2, torch.ones(3), torch.ones(2, 2)) end)
  tester:assert(not ok)
  tester:assert(tostring(err):find('addcmul: mul: sizes 3 and 2x2 do not broadcast', 1, true), tostring(err))
end

function T.operators()
  local a = torch.Tensor{1, 2, 3}
  same(a + 1, torch.Tensor{2, 3, 4})
  same(1 + a, torch.Tensor{2, 3, 4})
  same(10 - a, torch.Tensor{9, 8, 7})
  same(a - a, torch.Tensor{0, 0, 0})
  same(a * 2, torch.Tensor{2, 4, 6})
  same(2 * a, torch.Tensor{2, 4, 6})
  same(a / 2, torch.Tensor{0.5, 1, 1.5})
  same(6 / a, torch.Tensor{6, 3, 2})
  same(a ^ 2, torch.Tensor{1, 4, 9})
  same(2 ^ a, torch.Tensor{2, 4, 8})
  same(-a, torch.Tensor{-1, -2, -3})
  same(torch.Tensor{-7, 7} % 3, torch.Tensor{2, 1}, 0, 'Lua modulo')
  tester:eq(a * a, 14, 'dot product of 1-D tensors')
  local A = torch.Tensor{{1, 2}, {3, 4}}
  same(A * torch.Tensor{1, 1}, torch.Tensor{3, 7})
  same(A * A, torch.Tensor{{7, 10}, {15, 22}})
  tester:assert(not (a == a:clone()), '== is identity')
  tester:assertErrorPattern(function() return a + 'x' end, 'number')
end

function T.integer_types()
  local a = torch.IntTensor{7, -7, 5}
  local b = torch.IntTensor{2, 2, 0}
  same(torch.cdiv(a, b), torch.IntTensor{3, -3, 0}, 0, 'truncating division, x/0 = 0')
  same(torch.fmod(a, torch.IntTensor{3, 3, 3}), torch.IntTensor{1, -1, 2})
  same(torch.remainder(a, torch.IntTensor{3, 3, 3}), torch.IntTensor{1, 2, 2})
  same(a / 2, torch.IntTensor{3, -3, 2})
  same(torch.LongTensor{3}:pow(3), torch.LongTensor{27})
  same(torch.LongTensor{12}:bitand(10), torch.LongTensor{8})
  same(torch.LongTensor{12}:bitor(3), torch.LongTensor{15})
  same(torch.LongTensor{1}:lshift(10), torch.LongTensor{1024})
  same(torch.ByteTensor{250} + 10, torch.ByteTensor{4}, 0, 'uint8 wraps')
  tester:assertErrorPattern(function() torch.Tensor{1}:bitand(1) end, 'integer')
  same(torch.IntTensor{1, 2} + torch.DoubleTensor{0.5, 0.5}, torch.DoubleTensor{1.5, 2.5}, 0, 'promotion')
end

function T.comparisons()
  local a = torch.Tensor{1, 2, 3}
  local g = a:gt(1.5)
  tester:eq(g:type(), 'torch.ByteTensor')
  same(g, torch.ByteTensor{0, 1, 1})
  same(a:le(2), torch.ByteTensor{1, 1, 0})
  same(torch.eq(a, torch.Tensor{1, 0, 3}), torch.ByteTensor{1, 0, 1})
  same(a:ne(2), torch.ByteTensor{1, 0, 1})
  same(torch.IntTensor{0, 1}:lt(0.5), torch.ByteTensor{1, 0}, 0, 'integer tensor vs fraction')
  local res = torch.BoolTensor()
  res:ge(a, 2)
  same(res, torch.BoolTensor{false, true, true})
  local fres = torch.Tensor()
  torch.gt(fres, a, 1)
  same(fres, torch.Tensor{0, 1, 1}, 0, 'a result of any type gets 0/1 (Torch7 gtTensorT)')
  -- < and <= with one-element tensors give booleans; bigger tensors point to the methods
  local loss = torch.Tensor{0.25}:view()
  tester:assert(loss < 1 and 0 < loss and loss <= 0.25 and not (loss < 0.25))
  tester:assert(torch.Tensor{3} > torch.Tensor{2})
  tester:assertErrorPattern(function() return a < 2 end, 'elementwise')
end

function T.clamp_lerp_addc()
  local a = torch.Tensor{-2, 0.5, 3}
  same(torch.clamp(a, -1, 1), torch.Tensor{-1, 0.5, 1})
  same(torch.clamp(a, 0), torch.Tensor{0, 0.5, 3})
  local c = a:clone(); c:clamp(nil, 1); same(c, torch.Tensor{-2, 0.5, 1})
  -- a max alone into an empty result tensor (it was 'copy: sizes [] and 3')
  local r = torch.Tensor()
  torch.clamp(r, a, nil, 1)
  same(r, torch.Tensor{-2, 0.5, 1})
  local li = torch.LongTensor()
  torch.clamp(li, torch.LongTensor{1, (1 << 60) + 5}, nil, (1 << 60) + 1)
  tester:assert(li[2] == (1 << 60) + 1 and li[1] == 1, 'int64 max alone into a result tensor')
  tester:assertErrorPattern(function() torch.clamp(a, 2, 1) end, 'min')
  same(torch.lerp(torch.Tensor{0, 10}, torch.Tensor{10, 20}, 0.25), torch.Tensor{2.5, 12.5})
  local t = torch.Tensor{1, 1}
  t:addcmul(2, torch.Tensor{1, 2}, torch.Tensor{3, 4})
  same(t, torch.Tensor{7, 17})
  same(torch.addcdiv(torch.Tensor{1, 1}, torch.Tensor{6, 8}, torch.Tensor{2, 4}), torch.Tensor{4, 3})
end

-- clamp with both bounds runs one pass on the CPU: the same values as cmax then cmin in
-- every type (NaN kept, bounds stored in the type: rounded, truncated, saturated), for
-- strided inputs, a result tensor, in place and above the threading grain
function T.clamp_one_pass_as_two()
  local nan = 0 / 0
  local function two(x, lo, hi) return x:clone():cmax(lo):cmin(hi) end
  local function agree(x, lo, hi, msg)
    local got, want = torch.clamp(x, lo, hi), two(x, lo, hi)
    tester:eq(got:type(), x:type(), msg .. ' type')
    local g, w = got:double(), want:double()
    local gn, wn = g:ne(g), w:ne(w)
    tester:assert(gn:equal(wn), msg .. ': NaN positions')
    g[gn] = 0; w[wn] = 0
    tester:eq(g, w, 0, msg)
  end
  local f = torch.DoubleTensor{-3, -1, -0.5, 0, 0.25, 1, 7, nan, -1/0, 1/0}
  for _, tp in ipairs{'torch.DoubleTensor', 'torch.FloatTensor', 'torch.LongTensor', 'torch.IntTensor',
                      'torch.ShortTensor', 'torch.CharTensor', 'torch.ByteTensor'} do
    local x = f:clone()
    if tp ~= 'torch.DoubleTensor' and tp ~= 'torch.FloatTensor' then x[x:ne(x)] = 3; x:clamp(-100, 100) end
    x = x:type(tp)
    agree(x, -1, 1, tp)
    agree(x, -0.5, 0.75, tp .. ' fractional bounds')
    agree(x, -1000, 1000, tp .. ' bounds beyond the type')
  end
  tester:eq(torch.clamp(torch.Tensor{nan, -2, 2}, -1, 1):totable()[2], -1, 'value')
  tester:assert(torch.clamp(torch.Tensor{nan}, -1, 1)[1] ~= torch.clamp(torch.Tensor{nan}, -1, 1)[1], 'NaN stays NaN')
  tester:eq(torch.clamp(torch.ByteTensor{0, 100, 255}, 10, 300), torch.ByteTensor{10, 100, 255}, 'uint8 to 300')
  -- strided and large (threaded), in place and into a result tensor
  local m = torch.FloatTensor(300, 300):uniform(-2, 2)
  local v = m:t()
  agree(v, -1, 1, 'transposed')
  local res = torch.FloatTensor(5)
  res:clamp(v, -0.5, 0.5)
  tester:eq(res, two(v, -0.5, 0.5), 0, 'result form')
  local ip = v:clone()
  ip:clamp(-0.1, 0.1)
  tester:eq(ip, two(v, -0.1, 0.1), 0, 'in place')
  local big = torch.DoubleTensor(100000):uniform(-3, 3)
  tester:eq(torch.clamp(big, -1, 2), two(big, -1, 2), 0, 'above the grain')
  tester:assert(torch.clamp(big, -1, 2):max() == 2 and torch.clamp(big, -1, 2):min() == -1, 'bounds reached')
end

function T.half_precision_compute_through_float()
  local h = torch.Tensor{1, 2, 3}:half()
  local r = h + h
  tester:eq(r:type(), 'torch.HalfTensor')
  same(r:float(), torch.Tensor{2, 4, 6})
  same(h:exp():float(), torch.Tensor{math.exp(1), math.exp(2), math.exp(3)}, 0.02)
end

-- float32 exp/tanh/sigmoid run 8 at a time (libmvec where the CPU has AVX2), results bigger
-- than the last-level cache through streaming stores: values near the float64 ones, in
-- place and into an unaligned out the same, and independent of where the run starts
function T.float_exp_tanh_sigmoid_vector_paths()
  local n = 9 * 1024 * 1024 + 5           -- 36 MiB: above this machine's 32 MiB L3
  local x = torch.DoubleTensor(n)
  x:copy(torch.linspace(-30, 30, n))
  local xf = x:float()
  for _, name in ipairs{'exp', 'tanh', 'sigmoid'} do
    local r = torch[name](xf)
    local want = torch[name](xf:double())
    local err = (r:double() - want):abs():cdiv(want:clone():abs():clamp(1e-30, math.huge)):max()
    tester:assert(err <= 4e-7, name .. ': relative error ' .. err)
    local out = torch.FloatTensor(n + 3):narrow(1, 2, n)   -- 4 bytes past a 32-byte boundary
    torch[name](out, xf)
    tester:eq(out, r, 0, name .. ' into an unaligned out')
    local ip = xf:clone(); ip[name](ip)
    tester:eq(ip, r, 0, name .. ' in place')
    for _, k in ipairs{2, 7, 1001} do
      tester:eq(torch[name](xf:narrow(1, k, 1000)), r:narrow(1, k, 1000), 0, name .. ' from ' .. k)
    end
  end
  -- the streaming path on smaller results too (the threshold lowered), whatever this
  -- machine's L3: unaligned out, unaligned in place, odd lengths, 2 threads' split
  local old = torch._setStreamMin(64)
  if old then
    for _, m in ipairs{64, 71, 1000, 100003} do
      local xs = xf:narrow(1, 5, m)
      for _, name in ipairs{'exp', 'tanh', 'sigmoid'} do
        local want = torch[name](xs:double())
        local out = torch.FloatTensor(m + 3):narrow(1, 2, m)
        torch[name](out, xs)
        local err = (out:double() - want):abs():cdiv(want:clone():abs():clamp(1e-30, math.huge)):max()
        tester:assert(err <= 4e-7, name .. ' streamed, ' .. m .. ': relative error ' .. err)
        local ip = torch.FloatTensor(m + 3):narrow(1, 3, m):copy(xs)
        ip[name](ip)
        tester:eq(ip, out, 0, name .. ' streamed in place, ' .. m)
      end
    end
    torch._setStreamMin(old)
  end
end

function T.large_tensors_threaded_paths()
  local n = 1000003
  local a = torch.DoubleTensor(n):fill(1.5)
  local b = torch.DoubleTensor(n):fill(2)
  local c = a + b
  tester:eq(c[1], 3.5); tester:eq(c[n], 3.5); tester:eq(c[n // 2], 3.5)
  local m = torch.DoubleTensor(1001, 1003):fill(1)
  local t = m:t() + 1
  tester:eq(t[1003][1001], 2)
  local col = torch.DoubleTensor(1001, 1):fill(3)
  local s = m + col
  tester:eq(s[1001][1003], 4); tester:eq(s[500][1], 4)
end

function T.process_exits_cleanly_after_threaded_ops()
  -- Lua unloads C modules at exit while OpenMP threads may still be alive: the module
  -- must stay mapped (a regression: th crashed at exit after any multi-threaded op)
  local th = arg and arg[-1]
  if not th or not th:find('th$') then return end
  local ok, how, code = os.execute(th .. [[ -e "local a = torch.Tensor(4000000):fill(1) local b = a + a print(b:sum())" > /dev/null]])
  tester:assert(ok and how == 'exit' and code == 0, 'th exited with ' .. tostring(how) .. ' ' .. tostring(code))
end

-- float32 transcendental functions on long contiguous tensors (the vector loops where the
-- processor has AVX2): within 3.5 ulp of the float64 result, special values as the
-- scalar loop gives them, and values independent of where a run starts
function T.float_math_accuracy()
  local ranges = {exp = {-87, 88}, log = {1e-30, 1e30}, log1p = {-0.99, 1e6}, expm1 = {-80, 88},
    sin = {-1e4, 1e4}, cos = {-1e4, 1e4}, tan = {-100, 100}, asin = {-1, 1}, acos = {-1, 1},
    atan = {-1e4, 1e4}, sinh = {-88, 88}, cosh = {-88, 88}, tanh = {-20, 20}, log2 = {1e-30, 1e30},
    log10 = {1e-30, 1e30}, exp2 = {-120, 120}}
  torch.manualSeed(11)
  local n = 4099
  local specials = {0, -0.0, 1 / 0, -1 / 0, 0 / 0, -1, 1, 1e-40, -1e-40, 3e38, -3e38, 0.5, 100, -100}
  for f, r in pairs(ranges) do
    local x = torch.FloatTensor(n)
    if r[1] > 0 then x:uniform(math.log(r[1]), math.log(r[2])):exp() else x:uniform(r[1], r[2]) end
    local y, ref = torch[f](x), torch[f](x:double())
    local worst = 0
    for i = 1, n do
      local e = ref[i]
      if e == e and math.abs(e) < math.huge and e ~= 0 then
        local _, ex = math.frexp(math.abs(e))
        worst = math.max(worst, math.abs(y[i] - e) / 2 ^ (ex - 24))
      end
    end
    tester:assertle(worst, 3.5, f .. ': float32 error in ulp')
    -- a run starting one element later gives the same values
    local y2 = torch[f](x:narrow(1, 2, n - 1))
    tester:assert(torch.eq(y2, y:narrow(1, 2, n - 1)):all(), f .. ': values independent of the start')
    -- special values: the same through a long run and one element at a time
    local sp = torch.FloatTensor(specials)
    local long = torch[f](sp)
    for i = 1, #specials do
      local one = torch[f](torch.FloatTensor{specials[i]})[1]
      local v = long[i]
      local okv = (v ~= v and one ~= one) or v == one or
        math.abs(v - one) <= 4 * 2 ^ (select(2, math.frexp(math.abs(one))) - 24)
      tester:assert(okv, string.format('%s(%g): %g in a run, %g alone', f, specials[i], v, one))
    end
  end
end

tester:add(T)
return tester
