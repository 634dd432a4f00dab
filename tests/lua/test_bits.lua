-- Bitwise ops, shifts and the remaining pointwise math (bindings/math.c,
-- tensor/pointwise_kernels.c): lshift rshift bitand bitor bitxor, their c forms,
-- cinv cpow cfmod cremainder, logNormal cauchy. Every expected value is hand-computed.
local tester = torch.Tester()
local T = torch.TestSuite()

local IMIN, IMAX = math.mininteger, math.maxinteger
local I32MIN = -2147483648
local inf, nan = math.huge, 0 / 0

-- exact comparison; NaN equals NaN; a zero checks its sign when want is a zero
local function same(got, want)
  if want ~= want then return got ~= got end
  if want == 0 and got == 0 and math.type(want) == 'float' and math.type(got) == 'float' then
    return 1 / got == 1 / want
  end
  return got == want
end

local function check(t, want, msg)
  tester:assert(t:nElement() == #want, msg .. ': ' .. t:nElement() .. ' elements, want ' .. #want)
  local flat = t:contiguous():view(t:nElement())
  for i = 1, #want do
    local g = flat[i]
    tester:assert(same(g, want[i]), string.format('%s [%d]: got %s, want %s', msg, i, tostring(g), tostring(want[i])))
  end
end

local function errors(f, pattern, msg)
  local ok, err = pcall(f)
  tester:assert(not ok, msg .. ': expected an error')
  if not ok and pattern then
    tester:assert(tostring(err):find(pattern) ~= nil, msg .. ': error "' .. tostring(err) .. '" lacks ' .. pattern)
  end
end

-- ---- shifts by a number, integer types: the bit pattern, wrapping in the type ----
function T.lshift_integer()
  check(torch.IntTensor{1, 1, 3, -1, 1, 1, 7}:lshift(0), {1, 1, 3, -1, 1, 1, 7}, 'int32 << 0')
  local x = torch.IntTensor{1, 3, -1, 5}
  check(torch.lshift(x, 31), {I32MIN, I32MIN, I32MIN, I32MIN}, 'int32 << 31 wraps')
  check(torch.lshift(x, 1), {2, 6, -2, 10}, 'int32 << 1')
  check(torch.lshift(x, 32), {0, 0, 0, 0}, 'int32 << 32 (the width) is 0')
  check(torch.lshift(x, 64), {0, 0, 0, 0}, 'int32 << 64')
  check(torch.lshift(x, -1), {0, 0, 0, 0}, 'int32 << -1')
  check(torch.LongTensor{1, -1, 3, IMAX}:lshift(63), {IMIN, IMIN, IMIN, IMIN}, 'int64 << 63')
  check(torch.LongTensor{1, -1, 5}:lshift(62), {1 << 62, -(1 << 62), 1 << 62}, 'int64 << 62')
  check(torch.LongTensor{1, -1}:lshift(64), {0, 0}, 'int64 << 64')
  check(torch.ShortTensor{1, 0x4000, -1, 3}:lshift(15), {-32768, 0, -32768, -32768}, 'int16 << 15')
  check(torch.ShortTensor{0x4000, 1}:lshift(1), {-32768, 2}, 'int16 overflow wraps')
  check(torch.ShortTensor{1, -1}:lshift(16), {0, 0}, 'int16 << 16')
  check(torch.CharTensor{1, 64, 127, -1}:lshift(1), {2, -128, -2, -2}, 'int8 << 1 wraps')
  check(torch.CharTensor{1, -1}:lshift(7), {-128, -128}, 'int8 << 7')
  check(torch.CharTensor{1, -1}:lshift(8), {0, 0}, 'int8 << 8')
  check(torch.ByteTensor{200, 1, 255, 3}:lshift(1), {144, 2, 254, 6}, 'uint8 << 1 wraps')
  check(torch.ByteTensor{255, 1}:lshift(4), {240, 16}, 'uint8 << 4')
  check(torch.ByteTensor{1, 255}:lshift(7), {128, 128}, 'uint8 << 7')
  check(torch.ByteTensor{1, 255}:lshift(8), {0, 0}, 'uint8 << 8')
  check(torch.ByteTensor{1, 255}:lshift(300), {0, 0}, 'uint8 << 300')
  check(torch.ByteTensor{1, 255}:lshift(-1), {0, 0}, 'uint8 << -1 (like a count past the width)')
  check(torch.CharTensor{1, -1}:lshift(-1), {0, 0}, 'int8 << -1')
end

-- arithmetic shift for signed types (the sign fills in; PyTorch's rule, see the man page)
function T.rshift_integer()
  local x = torch.IntTensor{-8, -1, I32MIN, 7, 2147483647}
  check(torch.rshift(x, 0), {-8, -1, I32MIN, 7, 2147483647}, 'int32 >> 0')
  check(torch.rshift(x, 1), {-4, -1, -1073741824, 3, 1073741823}, 'int32 >> 1')
  check(torch.rshift(x, 31), {-1, -1, -1, 0, 0}, 'int32 >> 31')
  check(torch.rshift(x, 32), {-1, -1, -1, 0, 0}, 'int32 >> 32 (the width)')
  check(torch.rshift(x, 100), {-1, -1, -1, 0, 0}, 'int32 >> 100')
  check(torch.rshift(x, -1), {-1, -1, -1, 0, 0}, 'int32 >> -1')
  check(torch.LongTensor{IMIN, IMAX, -9, 9}:rshift(1), {IMIN // 2, IMAX // 2, -5, 4}, 'int64 >> 1 floors')
  check(torch.LongTensor{IMIN, IMAX}:rshift(63), {-1, 0}, 'int64 >> 63')
  check(torch.LongTensor{IMIN, IMAX}:rshift(64), {-1, 0}, 'int64 >> 64')
  check(torch.ShortTensor{-32768, 32767, -3}:rshift(15), {-1, 0, -1}, 'int16 >> 15')
  check(torch.ShortTensor{-32768, -3}:rshift(1), {-16384, -2}, 'int16 >> 1')
  check(torch.CharTensor{-128, 127, -7}:rshift(1), {-64, 63, -4}, 'int8 >> 1')
  check(torch.CharTensor{-128, 127}:rshift(8), {-1, 0}, 'int8 >> 8')
  check(torch.ByteTensor{255, 128, 3}:rshift(1), {127, 64, 1}, 'uint8 >> 1 (no sign)')
  check(torch.ByteTensor{255, 128}:rshift(7), {1, 1}, 'uint8 >> 7')
  check(torch.ByteTensor{255, 128}:rshift(8), {0, 0}, 'uint8 >> 8')
  check(torch.ByteTensor{255, 128}:rshift(-1), {0, 0}, 'uint8 >> -1')
  check(torch.CharTensor{-128, 127}:rshift(-1), {-1, 0}, 'int8 >> -1')
  check(torch.ShortTensor{-5, 5}:rshift(-3), {-1, 0}, 'int16 >> -3')
end

-- float types: Torch7 multiplies by 2^n (lshift) and divides by 2^n (rshift), no rounding
function T.shifts_float()
  for _, tp in ipairs{'torch.DoubleTensor', 'torch.FloatTensor'} do
    local x = torch.Tensor{3, -3, 0.5, 0}:type(tp)
    check(x:clone():lshift(2), {12, -12, 2, 0}, tp .. ' lshift 2')
    check(x:clone():lshift(0), {3, -3, 0.5, 0}, tp .. ' lshift 0')
    check(x:clone():lshift(-1), {1.5, -1.5, 0.25, 0}, tp .. ' lshift -1')
    check(x:clone():rshift(1), {1.5, -1.5, 0.25, 0}, tp .. ' rshift 1 (not floored)')
    check(x:clone():rshift(-3), {24, -24, 4, 0}, tp .. ' rshift -3')
  end
  check(torch.FloatTensor{1, -1}:lshift(128), {inf, -inf}, 'float lshift past the range')
  check(torch.DoubleTensor{1}:lshift(1023), {2 ^ 1023}, 'double lshift 1023')
  check(torch.DoubleTensor{1, -1}:lshift(1024), {inf, -inf}, 'double lshift 1024')
  -- x * 2^-n reaches the subnormals; x / 2^n gives 0 once 2^n overflows (Torch7's formulas)
  check(torch.DoubleTensor{1}:lshift(-1074), {2 ^ -1074}, 'double lshift -1074: the smallest subnormal')
  check(torch.DoubleTensor{1}:rshift(1023), {2 ^ -1023}, 'double rshift 1023')
  check(torch.DoubleTensor{1, -1}:rshift(1024), {0.0, -0.0}, 'double rshift 1024')
end

-- float shifts by a number are Torch7's products with 2^n, so autograd records them
function T.float_shift_gradient()
  local x = torch.DoubleTensor{1, -2, 3}:setRequiresGrad()
  local y = torch.lshift(x, 2)
  tester:assert(y.requiresGrad and y.gradFn ~= nil, 'lshift records')
  y:sum():backward()
  check(x.grad, {4, 4, 4}, 'd(x lshift 2)/dx')
  local z = torch.DoubleTensor{1, -2}:setRequiresGrad()
  torch.rshift(z, 3):sum():backward()
  check(z.grad, {0.125, 0.125}, 'd(x rshift 3)/dx')
end

-- the argument forms: x:op(n) in place, res:op(x, n), torch.op(x, n), torch.op(res, x, n)
function T.shift_argument_forms()
  local x = torch.IntTensor{1, 2, 3}
  local r = x:clone()
  tester:assert(r:lshift(2) == r, 'x:lshift(n) returns x')
  check(r, {4, 8, 12}, 'x:lshift(n) in place')
  local res = torch.IntTensor()
  tester:assert(res:lshift(x, 1) == res, 'res:lshift(x, n) returns res')
  check(res, {2, 4, 6}, 'res:lshift(x, n)')
  check(x, {1, 2, 3}, 'res:lshift(x, n) leaves x')
  local n = torch.lshift(x, 3)
  check(n, {8, 16, 24}, 'torch.lshift(x, n)')
  tester:assert(torch.type(n) == 'torch.IntTensor', 'torch.lshift keeps the type')
  local res2 = torch.IntTensor(3)
  tester:assert(torch.rshift(res2, torch.IntTensor{8, 8, 8}, 2) == res2, 'torch.rshift(res, x, n) returns res')
  check(res2, {2, 2, 2}, 'torch.rshift(res, x, n)')
end

-- c forms: a tensor of shift counts, element by element
function T.clshift_crshift()
  local ones = torch.IntTensor{1, 1, 1, 1, 1, -1}
  local s = torch.IntTensor{0, 1, 31, 32, -1, 31}
  check(torch.clshift(ones, s), {1, 2, I32MIN, 0, 0, I32MIN}, 'torch.clshift int32')
  check(ones:clone():clshift(s), {1, 2, I32MIN, 0, 0, I32MIN}, 'x:clshift(s)')
  local res = torch.IntTensor()
  res:clshift(ones, s)
  check(res, {1, 2, I32MIN, 0, 0, I32MIN}, 'res:clshift(x, s)')
  local res2 = torch.IntTensor(6)
  torch.crshift(res2, torch.IntTensor{-8, -8, 8, 8, 8, -8}, torch.IntTensor{0, 2, 2, 40, -1, 40})
  check(res2, {-8, -2, 2, 0, 0, -1}, 'torch.crshift(res, x, s)')
  check(torch.ByteTensor{1, 255, 255}:clshift(torch.ByteTensor{7, 1, 8}), {128, 254, 0}, 'uint8 clshift')
  check(torch.LongTensor{1, -1}:clshift(torch.LongTensor{63, 63}), {IMIN, IMIN}, 'int64 clshift 63')
  check(torch.CharTensor{-128, 64}:crshift(torch.CharTensor{7, 6}), {-1, 1}, 'int8 crshift')
  check(torch.ShortTensor{-32768, 1}:crshift(torch.ShortTensor{15, 0}), {-1, 1}, 'int16 crshift')
  for _, tp in ipairs{'torch.DoubleTensor', 'torch.FloatTensor'} do
    local x = torch.Tensor{1, 1, 1, -3}:type(tp)
    local sh = torch.Tensor{-1, 0, 3, 1}:type(tp)
    check(torch.clshift(x, sh), {0.5, 1, 8, -6}, tp .. ' clshift')
    check(torch.crshift(x, sh), {2, 1, 0.125, -1.5}, tp .. ' crshift')
  end
end

function T.bitwise_integer()
  local a, b = torch.IntTensor{12, -1, I32MIN, I32MIN, 0}, torch.IntTensor{10, 5, -1, 1, -1}
  check(torch.cbitand(a, b), {8, 5, I32MIN, 0, 0}, 'int32 cbitand')
  check(torch.cbitor(a, b), {14, -1, -1, I32MIN + 1, -1}, 'int32 cbitor')
  check(torch.cbitxor(a, b), {6, -6, 2147483647, I32MIN + 1, -1}, 'int32 cbitxor')
  check(torch.IntTensor{12, -1, I32MIN}:bitand(10), {8, 10, 0}, 'int32 bitand n')
  check(torch.IntTensor{12, -1, I32MIN}:bitor(3), {15, -1, I32MIN + 3}, 'int32 bitor n')
  check(torch.IntTensor{12, -1, I32MIN}:bitxor(-1), {-13, 0, 2147483647}, 'int32 bitxor -1 (not)')
  check(torch.ByteTensor{0xF0, 0xFF, 0}:bitand(0x3C), {0x30, 0x3C, 0}, 'uint8 bitand')
  check(torch.ByteTensor{0xF0, 0xFF, 0}:bitor(0x0F), {0xFF, 0xFF, 0x0F}, 'uint8 bitor')
  check(torch.ByteTensor{0xF0, 0xFF, 0}:bitxor(0xFF), {0x0F, 0, 0xFF}, 'uint8 bitxor')
  check(torch.cbitxor(torch.ByteTensor{0xAA, 0x55}, torch.ByteTensor{0xFF, 0x55}), {0x55, 0}, 'uint8 cbitxor')
  check(torch.CharTensor{-128, -1, 5}:bitand(127), {0, 127, 5}, 'int8 bitand')
  check(torch.CharTensor{-128, -1, 5}:bitor(127), {-1, -1, 127}, 'int8 bitor')
  check(torch.CharTensor{-128, -1, 5}:bitxor(127), {-1, -128, 122}, 'int8 bitxor')
  check(torch.ShortTensor{-32768, 0x0F0F}:bitxor(-1), {32767, -0x0F10}, 'int16 bitxor')
  check(torch.cbitand(torch.ShortTensor{-32768, 0x0FF0}, torch.ShortTensor{-1, 0x00FF}), {-32768, 0x00F0}, 'int16 cbitand')
  check(torch.LongTensor{IMIN, IMAX, -1}:bitor(1), {IMIN + 1, IMAX, -1}, 'int64 bitor')
  check(torch.LongTensor{IMIN, IMAX, -1}:bitand(255), {0, 255, 255}, 'int64 bitand')
  check(torch.cbitxor(torch.LongTensor{IMIN, IMAX}, torch.LongTensor{-1, -1}), {IMAX, IMIN}, 'int64 cbitxor')
  -- a number operand: its low bits in the tensor's type (two's complement), exact for int64
  check(torch.ByteTensor{5, 0}:bitxor(-1), {250, 255}, 'uint8 bitxor -1 flips all bits')
  check(torch.ByteTensor{0x1F}:bitand(0x10F), {0x0F}, 'uint8 bitand 0x10F keeps the low byte')
  check(torch.CharTensor{-1, 5}:bitand(255), {-1, 5}, 'int8 bitand 255')
  check(torch.CharTensor{0}:bitor(128), {-128}, 'int8 bitor 128')
  check(torch.ShortTensor{0}:bitor(0xFFFF), {-1}, 'int16 bitor 0xFFFF')
  check(torch.IntTensor{0, -1}:bitxor(0xFFFFFFFF), {-1, 0}, 'int32 bitxor 0xFFFFFFFF')
  check(torch.LongTensor{-1}:bitand((1 << 53) + 1), {(1 << 53) + 1}, 'int64 bitand 2^53+1 exact')
  check(torch.LongTensor{0}:bitxor(IMIN + 1), {IMIN + 1}, 'int64 bitxor exact')
  check(torch.LongTensor{-1}:bitand(4.0), {4}, 'a whole float number')
  local rb = torch.ByteTensor()
  rb:bitxor(torch.ByteTensor{1, 2}, -1)
  check(rb, {254, 253}, 'res:bitxor(x, -1)')
  -- argument forms
  local res = torch.IntTensor()
  res:cbitor(torch.IntTensor{1, 2}, torch.IntTensor{4, 4})
  check(res, {5, 6}, 'res:cbitor(a, b)')
  local x = torch.IntTensor{7, 7}
  x:cbitand(torch.IntTensor{1, 2})
  check(x, {1, 2}, 'x:cbitand(b) in place')
  local res2 = torch.IntTensor(2)
  torch.bitxor(res2, torch.IntTensor{1, 2}, 3)
  check(res2, {2, 1}, 'torch.bitxor(res, x, n)')
end

-- Torch7: "bitand is only supported for integer type tensors"
function T.bitwise_float_errors()
  for _, name in ipairs{'bitand', 'bitor', 'bitxor'} do
    for _, tp in ipairs{'torch.DoubleTensor', 'torch.FloatTensor'} do
      local x = torch.Tensor{1, 2}:type(tp)
      errors(function() return x[name](x, 1) end, name, tp .. ':' .. name .. '(n)')
      errors(function() return torch['c' .. name](x, x) end, name, 'torch.c' .. name .. ' ' .. tp)
    end
  end
end

-- fmod: C's fmod / %, the sign of the dividend
function T.fmod_sign_and_zero()
  for _, tp in ipairs{'torch.DoubleTensor', 'torch.FloatTensor'} do
    local x = torch.Tensor{-7, 7, -7, 7.5, 5, -0.0, 5}:type(tp)
    local y = torch.Tensor{3, -3, -3, 2, 0, 1, inf}:type(tp)
    check(torch.cfmod(x, y), {-1, 1, -1, 1.5, nan, -0.0, 5}, tp .. ' cfmod')
    check(torch.Tensor{-7, 7, inf}:type(tp):fmod(3), {-1, 1, nan}, tp .. ' fmod n')
    check(torch.Tensor{5, -5}:type(tp):fmod(0), {nan, nan}, tp .. ' fmod 0')
  end
  check(torch.cfmod(torch.IntTensor{-7, 7, -7, 7, I32MIN, I32MIN}, torch.IntTensor{3, -3, -3, 0, -1, 0}),
        {-1, 1, -1, 0, 0, 0}, 'int32 cfmod (x % 0 and INT_MIN % -1 give 0, no SIGFPE)')
  check(torch.IntTensor{-7, 7}:fmod(0), {0, 0}, 'int32 fmod 0')
  check(torch.LongTensor{IMIN, IMIN, -7}:fmod(-1), {0, 0, 0}, 'int64 fmod -1')
  check(torch.LongTensor{IMIN, 7}:fmod(0), {0, 0}, 'int64 fmod 0')
  check(torch.CharTensor{-128, -128, 127}:cfmod(torch.CharTensor{-1, 3, 0}), {0, -2, 0}, 'int8 cfmod')
  check(torch.ShortTensor{-32768, 7}:fmod(7), {-1, 0}, 'int16 fmod')
  check(torch.ByteTensor{200, 200, 9}:cfmod(torch.ByteTensor{7, 0, 10}), {4, 0, 9}, 'uint8 cfmod')
end

-- remainder: x - floor(x/y) y, the sign of the divisor (Torch7); y = 0: NaN (float), 0 (integer)
function T.remainder_sign_and_zero()
  for _, tp in ipairs{'torch.DoubleTensor', 'torch.FloatTensor'} do
    local x = torch.Tensor{-7, 7, -7, 7.5, 5, 6}:type(tp)
    local y = torch.Tensor{3, -3, -3, -2, 0, 3}:type(tp)
    check(torch.cremainder(x, y), {2, -2, -1, -0.5, nan, 0}, tp .. ' cremainder')
    check(torch.Tensor{-7, 7, -0.5}:type(tp):remainder(3), {2, 1, 2.5}, tp .. ' remainder n')
    check(torch.Tensor{-7, 7}:type(tp):remainder(-3), {-1, -2}, tp .. ' remainder -n')
    check(torch.Tensor{5}:type(tp):remainder(0), {nan}, tp .. ' remainder 0')
  end
  check(torch.cremainder(torch.IntTensor{-7, 7, -7, 7, I32MIN, I32MIN}, torch.IntTensor{3, -3, -3, 0, -1, 3}),
        {2, -2, -1, 0, 0, 1}, 'int32 cremainder')
  check(torch.IntTensor{-7, 7, 6}:remainder(3), {2, 1, 0}, 'int32 remainder n')
  check(torch.IntTensor{-7, 7}:remainder(0), {0, 0}, 'int32 remainder 0')
  check(torch.LongTensor{IMIN, IMIN, -1}:cremainder(torch.LongTensor{-1, 0, IMAX}), {0, 0, IMAX - 1}, 'int64 cremainder')
  check(torch.CharTensor{-128, -128, -1}:cremainder(torch.CharTensor{3, -1, 127}), {1, 0, 126}, 'int8 cremainder')
  check(torch.ShortTensor{-32768, 5}:remainder(7), {6, 5}, 'int16 remainder')
  check(torch.ByteTensor{200, 200}:cremainder(torch.ByteTensor{7, 0}), {4, 0}, 'uint8 cremainder')
end

-- integer division never traps either
function T.integer_division_no_trap()
  check(torch.IntTensor{7, -7, I32MIN}:cdiv(torch.IntTensor{0, 2, -1}), {0, -3, I32MIN}, 'int32 cdiv')
  check(torch.LongTensor{IMIN, 5}:div(-1), {IMIN, -5}, 'int64 div -1')
  check(torch.CharTensor{-128}:div(-1), {-128}, 'int8 -128 / -1 wraps')
  check(torch.ByteTensor{9}:div(0), {0}, 'uint8 div 0')
end

-- a whole number with an integer tensor: its low bits in the tensor's type, as Torch7's C
-- cast (the arithmetic wraps); it used to saturate, so ByteTensor:add(-1) did nothing
function T.integer_scalars_wrap()
  check(torch.ByteTensor{5, 0}:add(-1), {4, 255}, 'uint8 add(-1)')
  check(torch.ByteTensor{5}:csub(-1), {6}, 'uint8 csub(-1)')
  check(torch.ByteTensor{5}:mul(-1), {251}, 'uint8 mul(-1)')
  check(torch.add(torch.ByteTensor{3}, -4), {255}, 'torch.add uint8')
  local r = torch.ByteTensor(1)
  r:add(torch.ByteTensor{2}, -3)
  check(r, {255}, 'result form')
  check(torch.CharTensor{5}:add(300), {49}, 'int8 add(300): 300 is 44')
  check(torch.ShortTensor{1}:mul(70000), {4464}, 'int16 mul(70000): 70000 is 4464')
  check(torch.IntTensor{2147483647}:add(1), {I32MIN}, 'int32 wraps')
  check(torch.LongTensor{1}:add(IMAX), {IMIN}, 'int64 wraps')
  check(torch.LongTensor{1}:add(2^53 + 2), {9007199254740995}, 'int64 exact past 2^53')
  check(torch.ByteTensor{7}:fmod(-1), {0}, 'uint8 fmod(-1): exact, not by 255')
  check(torch.ByteTensor{200}:fmod(-3), {2}, 'uint8 fmod(-3): exact')
  check(torch.CharTensor{7}:fmod(-1), {0}, 'int8 fmod(-1)')
  check(torch.IntTensor{7, -7}:remainder(-3), {-2, -1}, 'remainder has the sign of the divisor')
  check(torch.ByteTensor{7}:fmod(0), {0}, 'by zero: 0, no trap')
  check(torch.FloatTensor{5}:add(-1), {4}, 'float tensors unchanged')
end

function T.cinv()
  for _, tp in ipairs{'torch.DoubleTensor', 'torch.FloatTensor'} do
    local x = torch.Tensor{0, -0.0, 2, -4, inf, -inf}:type(tp)
    check(torch.cinv(x), {inf, -inf, 0.5, -0.25, 0.0, -0.0}, tp .. ' cinv')
    local r = torch.Tensor():type(tp)
    r:cinv(x)
    check(r, {inf, -inf, 0.5, -0.25, 0.0, -0.0}, tp .. ' res:cinv(x)')
    check(x:cinv(), {inf, -inf, 0.5, -0.25, 0.0, -0.0}, tp .. ' x:cinv() in place')
  end
  -- integer types: the truncated quotient 1 / x; 1 / 0 gives 0 rather than a trap
  check(torch.IntTensor{1, -1, 2, -2, 0}:cinv(), {1, -1, 0, 0, 0}, 'int32 cinv')
  check(torch.LongTensor{1, -1, IMIN, 0}:cinv(), {1, -1, 0, 0}, 'int64 cinv')
  check(torch.CharTensor{1, -1, 0}:cinv(), {1, -1, 0}, 'int8 cinv')
  check(torch.ShortTensor{1, 3, 0}:cinv(), {1, 0, 0}, 'int16 cinv')
  check(torch.ByteTensor{1, 255, 0}:cinv(), {1, 0, 0}, 'uint8 cinv')
end

function T.cpow_float()
  for _, tp in ipairs{'torch.DoubleTensor', 'torch.FloatTensor'} do
    local x = torch.Tensor{-2, -2, -8, -2, 0, 0, -0.0, 4, -1, 2}:type(tp)
    local y = torch.Tensor{3, 2, 1 / 3, -1, 0, -1, -1, 0.5, inf, -2}:type(tp)
    check(torch.cpow(x, y), {-8, 4, nan, -0.5, 1, inf, -inf, 2, 1, 0.25}, tp .. ' cpow')
    check(torch.Tensor{-2, 3}:type(tp):pow(2), {4, 9}, tp .. ' pow n')
    check(torch.Tensor{-8}:type(tp):pow(0.5), {nan}, tp .. ' negative base, fractional exponent')
    check(torch.pow(2, torch.Tensor{-1, 0, 3}:type(tp)), {0.5, 1, 8}, tp .. ' torch.pow(n, x)')
  end
  local r = torch.DoubleTensor()
  r:cpow(torch.DoubleTensor{3, 2}, torch.DoubleTensor{2, 10})
  check(r, {9, 1024}, 'res:cpow(x, y)')
end

-- integer types: exact repeated multiplication wrapping in the type; negative exponents
-- give the truncated 1 / x^n (0 unless x is 1 or -1; 0^-n gives 0 rather than a trap)
function T.cpow_integer()
  check(torch.cpow(torch.IntTensor{2, -3, 2, 2, 2, 1, -1, -1, 0, 0, 7},
                   torch.IntTensor{10, 3, 31, 32, -1, -5, -3, -2, -1, 0, 0}),
        {1024, -27, I32MIN, 0, 0, 1, -1, 1, 0, 1, 1}, 'int32 cpow')
  check(torch.LongTensor{3, 2, -2}:cpow(torch.LongTensor{39, 63, 63}), {4052555153018976267, IMIN, IMIN}, 'int64 cpow exact')
  check(torch.LongTensor{3, -3}:pow(2), {9, 9}, 'int64 pow n')
  check(torch.ShortTensor{2, -2, 10}:cpow(torch.ShortTensor{15, 15, 4}), {-32768, -32768, 10000}, 'int16 cpow')
  check(torch.CharTensor{-2, 2, 3}:cpow(torch.CharTensor{7, 7, 4}), {-128, -128, 81}, 'int8 cpow')
  check(torch.ByteTensor{2, 3, 3}:cpow(torch.ByteTensor{8, 5, 6}), {0, 243, 217}, 'uint8 cpow wraps')
  check(torch.pow(2, torch.IntTensor{0, 3, 31}), {1, 8, I32MIN}, 'torch.pow(n, int32 x)')
end

-- logNormal(mean, std): exp of a normal(mean, std) (Torch7's THRandom_logNormal);
-- cauchy(median, sigma): median + sigma tan(pi (u - 1/2))
function T.logNormal_cauchy()
  local gen = torch.Generator()
  torch.manualSeed(gen, 1234)
  for _, tp in ipairs{'torch.DoubleTensor', 'torch.FloatTensor'} do
    local t = torch.Tensor(20000):type(tp)
    t:logNormal(gen, 1, 0.5)
    tester:assert(t:min() > 0, tp .. ' logNormal is positive')
    local l = t:double():log()
    tester:assert(math.abs(l:mean() - 1) < 0.02, tp .. ' log of logNormal has the mean ' .. l:mean())
    tester:assert(math.abs(l:std() - 0.5) < 0.02, tp .. ' log of logNormal has the std ' .. l:std())
    local c = torch.Tensor(20000):type(tp)
    c:cauchy(gen, 2, 3)
    local s = c:double():sort()
    local q1, med, q3 = s[5000], s[10000], s[15000]
    tester:assert(math.abs(med - 2) < 0.15, tp .. ' cauchy median ' .. med)
    tester:assert(math.abs(q1 - (2 - 3)) < 0.25 and math.abs(q3 - (2 + 3)) < 0.25,
                  tp .. ' cauchy quartiles at median -+ sigma: ' .. q1 .. ' ' .. q3)
  end
  local v = torch.logNormal(gen, 0, 1)
  tester:assert(type(v) == 'number' and v > 0, 'torch.logNormal(mean, std) gives a positive number')
  tester:assert(type(torch.cauchy(gen, 0, 1)) == 'number', 'torch.cauchy(median, sigma) gives a number')
  errors(function() return torch.DoubleTensor(3):logNormal(1, 0) end, 'logNormal', 'logNormal std 0')
  errors(function() return torch.DoubleTensor(3):cauchy(1, -1) end, 'cauchy', 'cauchy sigma < 0')
  errors(function() return torch.IntTensor(3):logNormal(1, 1) end, 'logNormal', 'logNormal on an IntTensor')
  errors(function() return torch.IntTensor(3):cauchy(0, 1) end, 'cauchy', 'cauchy on an IntTensor')
end

tester:add(T)
return tester
