-- Whole numbers with integer tensors, exactly (tensor/scalar_exact.c, bindings/math.c):
-- int64 values beyond 2^53 (where doubles round: 2^60 + 1 is 2^60 as a double), values
-- outside a narrower type's range, and the fills. Every expected value is hand-computed.
local tester = torch.Tester()
local T = torch.TestSuite()

local B = 1 << 60               -- 2^60: B + 1 rounds to B as a double
local IMIN, IMAX = math.mininteger, math.maxinteger

local function check(t, want, msg)
  tester:assert(t:nElement() == #want, msg .. ': ' .. t:nElement() .. ' elements, want ' .. #want)
  local flat = t:contiguous():view(t:nElement())
  for i = 1, #want do
    local g = flat[i]
    tester:assert(g == want[i] and math.type(g) == math.type(want[i]),
      string.format('%s [%d]: got %s, want %s', msg, i, tostring(g), tostring(want[i])))
  end
end

-- x^e modulo 2^64, by Lua's wrapping integer arithmetic
local function ipow(x, e)
  local r = 1
  while e > 0 do
    if e & 1 == 1 then r = r * x end
    x = x * x
    e = e >> 1
  end
  return r
end

function T.compare_int64_beyond_2_53()
  local a = torch.LongTensor{B, B + 1, B + 2}
  check(a:eq(B + 1), {0, 1, 0}, 'eq')
  check(a:ne(B + 1), {1, 0, 1}, 'ne')
  check(a:lt(B + 1), {1, 0, 0}, 'lt')
  check(a:le(B + 1), {1, 1, 0}, 'le')
  check(a:gt(B + 1), {0, 0, 1}, 'gt')
  check(a:ge(B + 1), {0, 1, 1}, 'ge')
  check(torch.eq(a, B + 2), {0, 0, 1}, 'torch.eq')
  local r = torch.ByteTensor()
  torch.lt(r, a, B + 2)
  check(r, {1, 1, 0}, 'result form')
  -- a float number beyond int64 compares with every element the same way
  local m = torch.LongTensor{IMAX, IMIN}
  check(m:eq(2^63), {0, 0}, 'maxinteger is not 2^63')
  check(m:lt(2^63), {1, 1}, 'everything is below 2^63')
  check(m:eq(-2^63), {0, 1}, '-2^63 is mininteger exactly')
  check(m:gt(-1e300), {1, 1}, 'above -1e300')
end

function T.compare_outside_narrow_types()
  check(torch.IntTensor{2147483647}:eq(2^32), {0}, 'int32 2^31-1 is not 2^32')
  check(torch.IntTensor{2147483647}:eq(1 << 32), {0}, 'int32, a Lua integer')
  check(torch.IntTensor{2147483647, -5}:lt(1 << 32), {1, 1}, 'int32 below 2^32')
  check(torch.IntTensor{-2147483648}:le(-(1 << 40)), {0}, 'int32 above -2^40')
  check(torch.ByteTensor{255, 0}:eq(256), {0, 0}, 'uint8 256')
  check(torch.ByteTensor{255, 0}:eq(-1), {0, 0}, 'uint8 -1 is not 255')
  check(torch.ByteTensor{0}:gt(-1), {1}, 'uint8 above -1')
  check(torch.CharTensor{127, -128}:ge(128), {0, 0}, 'int8 128')
  check(torch.ShortTensor{-32768}:ne(-32769), {1}, 'int16 -32769')
end

function T.arithmetic_int64_beyond_2_53()
  local a = torch.LongTensor{B + 2, B + 5}
  check(a:clone():div(B + 1), {1, 1}, 'div')
  check(a:clone():div(2), {(B + 2) // 2, (B + 5) // 2}, 'div 2')
  check(a:clone():fmod(B + 1), {1, 4}, 'fmod')
  check(torch.LongTensor{-7}:remainder(B), {B - 7}, 'remainder')
  check(torch.LongTensor{1, B + 9}:cmax(B + 1), {B + 1, B + 9}, 'cmax')
  check(torch.LongTensor{1, B + 9}:cmin(B + 1), {1, B + 1}, 'cmin')
  check(torch.LongTensor{B + 5, 0}:clamp(1, B + 1), {B + 1, 1}, 'clamp')
  check(torch.LongTensor{B + 5, 0}:clamp(B + 3), {B + 5, B + 3}, 'clamp min only')
  check(torch.LongTensor{B}:add(B + 1), {2 * B + 1}, 'add')
  check(torch.LongTensor{3}:mul(B + 1), {3 * B + 3}, 'mul')
  -- the operators
  check(torch.LongTensor{B} + 1, {B + 1}, '+')
  check(torch.LongTensor{B + 3} % (B + 1), {2}, '%')
  check(torch.LongTensor{B + 3} / (B + 1), {1}, '/')
  check(1 - torch.LongTensor{B}, {1 - B}, 'number - tensor')
  -- pow: an exponent beyond 2^53 keeps its parity (as a double it would be even)
  check(torch.LongTensor{-1, 2, 3}:pow(B + 1), {-1, 0, ipow(3, B + 1)}, 'pow exponent 2^60+1')
  check(torch.LongTensor{-1, 2, 3}:pow(2^70), {1, 0, 1}, 'pow exponent 2^70 (even)')
  check(torch.pow(B + 1, torch.LongTensor{2, 3}), {ipow(B + 1, 2), ipow(B + 1, 3)}, 'number base')
  tester:assertErrorPattern(function() torch.LongTensor{1}:clamp(B + 2, B + 1) end,
    'clamp: min 1152921504606846978 is larger than max 1152921504606846977')
end

function T.arithmetic_outside_narrow_types()
  -- divisors outside the type: the exact result (it used to divide by the low bits)
  check(torch.IntTensor{7, -7}:fmod(2^40), {7, -7}, 'int32 fmod 2^40')
  check(torch.IntTensor{7}:fmod(1 << 40), {7}, 'int32 fmod, a Lua integer')
  check(torch.ByteTensor{200}:fmod(-3), {2}, 'uint8 fmod -3')
  check(torch.IntTensor{7}:div(1 << 40), {0}, 'int32 div 2^40')
  check(torch.IntTensor{-2147483648}:div(2^31), {-1}, 'int32 -2^31 / 2^31')
  -- remainder's exact result may lie outside the type: its low bits (2^40 - 7 is -7 in 32 bits)
  check(torch.IntTensor{-7, 7}:remainder(2^40), {-7, 7}, 'int32 remainder 2^40')
  -- cmax/cmin saturate the number into the type; clamp's bounds are then exact
  check(torch.IntTensor{5}:cmax(2^40), {2147483647}, 'int32 cmax 2^40')
  check(torch.IntTensor{5}:cmin(2^40), {5}, 'int32 cmin 2^40')
  check(torch.ByteTensor{5}:cmax(-3), {5}, 'uint8 cmax -3')
  check(torch.ByteTensor{5, 250}:clamp(0, 300), {5, 250}, 'uint8 clamp to 300')
  check(torch.ByteTensor{5}:clamp(-10, 3), {3}, 'uint8 clamp from -10')
  -- powers and shifts in int64, then the low bits
  check(torch.ByteTensor{3, 1, 2}:pow(-1), {0, 1, 0}, 'uint8 pow -1')
  check(torch.IntTensor{3}:pow(1 << 40), {ipow(3, 1 << 40) & 0xFFFFFFFF}, 'int32 pow 2^40')
  check(torch.IntTensor{1}:lshift(2^40), {0}, 'int32 lshift by 2^40')
  -- the number beyond int64 with div/fmod/remainder is an error naming it
  tester:assertErrorPattern(function() torch.IntTensor{7}:fmod(1e300) end,
    'fmod: the number 1e%+300 is beyond the int64 range')
  -- shifted right, a number beyond int64 would bring its high bits down: refused too
  tester:assertErrorPattern(function() torch.rshift(2^64, torch.ByteTensor{60}) end,
    'rshift: the number 1.84467e%+19 is beyond the int64 range')
  check(torch.lshift(2^64 + 2^12, torch.LongTensor{1}), {1 << 13}, 'lshift keeps the low bits')
  tester:assertErrorPattern(function() torch.LongTensor{7}:div(-2^64) end, 'div: the number .* is beyond the int64 range')
end

-- the exact result in the tensor's type first, then into a result tensor of another type
-- (2^40 - 7 is -7 in 32 bits, whatever the result tensor holds)
function T.result_tensors_of_another_type()
  local r = torch.LongTensor()
  torch.remainder(r, torch.IntTensor{-7}, 1 << 40)
  check(r, {-7}, 'an IntTensor remainder into a LongTensor')
  local d = torch.DoubleTensor()
  torch.remainder(d, torch.IntTensor{-7}, 1 << 40)
  check(d, {-7.0}, 'into a DoubleTensor')
  local p = torch.LongTensor()
  torch.pow(p, torch.IntTensor{3}, (1 << 32) + 40)
  local low = ipow(3, (1 << 32) + 40) & 0xFFFFFFFF
  if low >= 1 << 31 then low = low - (1 << 32) end   -- as an int32
  check(p, {low}, 'pow into a LongTensor: the int32 result')
  -- a result with stride 0 is refused naming the op, before anything is written
  tester:assertErrorPattern(function() torch.IntTensor{1}:expand(3):fmod(1 << 40) end,
    'fmod: the result tensor self has elements that share memory')
end

-- infinities and BoolTensors compare exactly too (stored in the type an infinity or a 2
-- became the type's largest value: ByteTensor{255}:eq(math.huge) was 1)
function T.compare_infinities_and_bools()
  check(torch.ByteTensor{255, 0}:eq(math.huge), {0, 0}, 'uint8 eq inf')
  check(torch.ByteTensor{255}:lt(math.huge), {1}, 'uint8 lt inf')
  check(torch.LongTensor{IMAX, IMIN}:eq(1 / 0), {0, 0}, 'int64 eq inf')
  check(torch.LongTensor{IMIN}:gt(-1 / 0), {1}, 'int64 gt -inf')
  check(torch.IntTensor{5}:ne(0 / 0), {1}, 'ne NaN')
  check(torch.BoolTensor{true, false}:eq(2), {0, 0}, 'bool eq 2')
  check(torch.BoolTensor{true}:eq(-1), {0}, 'bool eq -1')
  check(torch.BoolTensor{true, false}:lt(2), {1, 1}, 'bool lt 2')
  check(torch.BoolTensor{true, false}:eq(1), {1, 0}, 'bool eq 1')
  check(torch.BoolTensor{true, false}:ge(0.5), {1, 0}, 'bool ge 0.5')
end

function T.fills_exact()
  local t = torch.LongTensor(3)
  t:fill(B + 1)
  check(t, {B + 1, B + 1, B + 1}, 'fill')
  check(torch.LongTensor(2):zero():maskedFill(torch.ByteTensor{1, 0}, B + 1), {B + 1, 0}, 'maskedFill')
  check(torch.LongTensor{1, 2, 3}:indexFill(1, torch.LongTensor{1, 3}, B + 3), {B + 3, 2, B + 3}, 'indexFill')
  check(torch.LongTensor(2, 2):zero():scatter(2, torch.LongTensor{{2}, {1}}, B + 1),
    {0, B + 1, B + 1, 0}, 'scatter fill')
  local u = torch.LongTensor(2, 2):zero()
  u[{{}, 2}] = B + 7
  check(u, {0, B + 7, 0, B + 7}, 't[{...}] = v')
  u[torch.ByteTensor{{1, 0}, {0, 0}}] = B + 9
  check(u, {B + 9, B + 7, 0, B + 7}, 't[mask] = v')
  u[torch.LongTensor{2}] = B + 11
  check(u, {B + 9, B + 7, B + 11, B + 11}, 't[index] = v')
  local s = torch.LongStorage(2)
  s:fill(B + 1)
  tester:assert(s[1] == B + 1 and s[2] == B + 1, 'storage fill')
  torch.setdefaulttensortype('torch.DoubleTensor')
  local f = torch.LongTensor()
  torch.full(f, 2, B + 1)
  check(f, {B + 1, B + 1}, 'torch.full into a LongTensor')
  -- the value is not one more size (torch.full(2, 3, 7) was 2x3x7; 0.5 was 'size must be an integer')
  local g = torch.full(2, 3, 7)
  tester:assert(g:dim() == 2 and g:size(1) == 2 and g:size(2) == 3 and g:min() == 7 and g:max() == 7, 'full 2x3 of 7')
  tester:assert(torch.full(2, 0.5):sum() == 1.0, 'full of 0.5')
  -- a tensor with several elements at one address (expand): fill gives them all the
  -- value; the masked and indexed fills are refused before anything is written
  local e = torch.LongTensor{42}:expand(3)
  e:fill(B + 1)
  tester:assert(e[1] == B + 1 and e[3] == B + 1, 'fill of an expanded tensor')
  local base = torch.LongTensor{42}
  tester:assertErrorPattern(function() base:expand(3):maskedFill(torch.ByteTensor{1, 0, 1}, B + 1) end,
    'maskedFill: the result tensor self has elements that share memory')
  tester:assert(base[1] == 42, 'nothing written')
  -- narrower types keep the conversion rule (a value outside the type saturates)
  check(torch.ByteTensor(1):fill(300), {255}, 'uint8 fill 300')
end

function T.integer_conversions_wrap()
  -- integer to integer: C's casts (Torch7), the same for every narrower type
  check(torch.LongTensor{(1 << 32) + 5, 1 << 31}:int(), {5, -2147483648}, 'int64 -> int32 wraps')
  check(torch.LongTensor{300}:byte(), {44}, 'int64 -> uint8 wraps')
  check(torch.IntTensor{-1}:short(), {-1}, 'int32 -> int16')
  -- floats saturate
  check(torch.DoubleTensor{1e10}:int(), {2147483647}, 'double -> int32 saturates')
end

function T.dot_trace_exact()
  local a = torch.LongTensor{B + 1, 3}
  tester:assert(a:dot(torch.LongTensor{1, 1}) == B + 4, 'dot')
  tester:assert(torch.dot(a, torch.LongTensor{2, 0}) == 2 * B + 2, 'torch.dot')
  tester:assert(a * torch.LongTensor{1, 0} == B + 1, 'operator * of 1-D tensors')
  tester:assert(math.type(a:dot(a)) == 'integer', 'an integer')
  tester:assert(torch.LongTensor{{B + 1, 0}, {0, 2}}:trace() == B + 3, 'trace')
  tester:assert(torch.IntTensor{2147483647, 1}:dot(torch.IntTensor{1, 1}) == 2147483648, 'int32 dot sums in int64')
end

-- the value multiplying a tensor operand: add(value, u), csub, addcmul, addcdiv
function T.multipliers_exact()
  check(torch.LongTensor{0}:add(B + 1, torch.LongTensor{1}), {B + 1}, 'add(value, u)')
  check(torch.LongTensor{1}:csub(B + 1, torch.LongTensor{1}), {-B}, 'csub(value, u)')
  check(torch.add(torch.LongTensor{5}, B + 1, torch.IntTensor{3}), {5 + 3 * (B + 1)}, 'mixed types: int64 result')
  check(torch.LongTensor{7}:addcmul(B + 1, torch.LongTensor{2}, torch.LongTensor{3}), {7 + 6 * (B + 1)}, 'addcmul')
  check(torch.LongTensor{7}:addcdiv(B + 1, torch.LongTensor{7}, torch.LongTensor{2}), {7 + 3 * (B + 1)}, 'addcdiv')
  local r = torch.LongTensor()
  torch.addcmul(r, torch.LongTensor{1}, B + 3, torch.LongTensor{1}, torch.LongTensor{1})
  check(r, {B + 4}, 'addcmul result form')
  check(torch.FloatTensor{1}:add(2, torch.FloatTensor{3}), {7.0}, 'float tensors as before')
  check(torch.IntTensor{1}:add(3, torch.IntTensor{2}), {7}, 'small values as before')
end

function T.float_tensors_unchanged()
  check(torch.DoubleTensor{1}:add(B + 1), {1.0 + B}, 'a double tensor rounds the number')
  check(torch.FloatTensor{3}:eq(3), {1}, 'float eq')
end

tester:add(T)
return tester
