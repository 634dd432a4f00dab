-- Bugs found by running the suite and a sweep of every method and torch function on odd
-- arguments under AddressSanitizer/UBSan/LeakSanitizer (make check-asan). Each test fails
-- without its fix in any build, not only under the sanitizers.
local tester = torch.Tester()
local T = torch.TestSuite()

-- t:sub made its view before checking its arguments; a non-integer one raised a Lua error
-- past it, and the view (holding the storage) was never released
function T.sub_bad_argument_frees_its_view()
  collectgarbage()
  collectgarbage()
  local before = torch._memLive()
  do
    local t = torch.Tensor(1000000)   -- 4 MB
    for _ = 1, 3 do
      tester:assertErrorPattern(function() return t:sub(1.5, 2) end, 'integer')
      tester:assertErrorPattern(function() return t:sub(1, 2, 1, 2) end, 'sub')
    end
  end
  collectgarbage()
  collectgarbage()
  tester:assertlt(torch._memLive() - before, 1000000, 'the storage is freed with its tensor')
  tester:eq(torch.Tensor{1, 2, 3, 4}:sub(2, 3), torch.Tensor{2, 3}, 0)
end

-- storage:fill and t[indices] = value made a view (or the 0-based indices) before checking
-- the value; a bad value raised past it and leaked it (found by the API fuzzer, tests/fuzz,
-- under LeakSanitizer)
function T.bad_fill_value_frees_its_temporaries()
  collectgarbage()
  collectgarbage()
  local before = torch._memLive()
  do
    local s = torch.FloatStorage(1000000)   -- 4 MB, kept alive by a leaked view
    local t = torch.Tensor(10)
    local idx = torch.LongTensor(200000):fill(2)   -- its 0-based copy: 1.6 MB
    for _ = 1, 3 do
      tester:assertErrorPattern(function() s:fill('x') end, 'number')
      tester:assertErrorPattern(function() t[idx] = 'x' end, 'number')
    end
  end
  collectgarbage()
  collectgarbage()
  tester:assertlt(torch._memLive() - before, 1000000, 'nothing left behind')
  local t = torch.Tensor(4):zero()
  t[torch.LongTensor{2, 4}] = 7
  tester:eq(t, torch.Tensor{0, 7, 0, 7}, 0)
  tester:eq(torch.Tensor(torch.FloatStorage(3):fill(2)), torch.Tensor{2, 2, 2}, 0)
end

-- res:cat(res, x) with res empty: res was skipped as an empty input, then resized as the
-- result, and its now one element copied in too, past the result's end (found by the API
-- fuzzer under ASan; without the sanitizer, wrong values)
function T.cat_into_an_empty_input()
  local a = torch.LongTensor()
  local h = torch.HalfTensor(torch.HalfStorage(1):fill(2), 1, torch.LongStorage{})
  tester:eq(a:cat(a, h), torch.LongTensor{2}, 0)
  tester:eq(a, torch.LongTensor{2}, 0, 'res is the result')
  local b = torch.ByteTensor()
  local x = torch.DoubleTensor(3, 3, 1):fill(1):bfloat16()
  tester:eq(b:cat(x, b, 1), torch.ByteTensor(3, 3, 1):fill(1), 0)
  local c = torch.Tensor()
  tester:eq(c:cat(c, torch.Tensor{1, 2}, 1), torch.Tensor{1, 2}, 0)
  tester:eq(torch.cat(c, c, 1), torch.Tensor{1, 2, 1, 2}, 0, 'a tensor twice')
end

-- an empty tensor (no storage) as the addend M of the matrix products was taken for a
-- scalar and its NULL data read (a segfault)
function T.products_reject_an_empty_addend()
  local E = torch.Tensor()
  tester:assertErrorPattern(function() torch.addr(E, torch.ones(3), torch.ones(2)) end,
    'addr: M is an empty tensor, expected size 3x2')
  tester:assertErrorPattern(function() torch.addmm(E, torch.ones(3, 2), torch.ones(2, 4)) end,
    'addmm: M is an empty tensor, expected size 3x4')
  tester:assertErrorPattern(function() torch.addmv(E, torch.ones(3, 2), torch.ones(2)) end,
    'addmv: M is an empty tensor, expected size 3')
  tester:assertErrorPattern(function() torch.addbmm(E, torch.ones(1, 3, 2), torch.ones(1, 2, 3)) end,
    'addbmm: M is an empty tensor')
  tester:assertErrorPattern(function() torch.baddbmm(E, torch.ones(1, 3, 2), torch.ones(1, 2, 3)) end,
    'baddbmm: M is an empty tensor')
  -- a 0-dim tensor with its one element still broadcasts
  local s = torch.Tensor{5}:view(torch.LongStorage{})
  tester:eq(torch.addr(s, torch.ones(2), torch.ones(2)), torch.Tensor(2, 2):fill(6), 0)
  tester:eq(torch.addmm(s, torch.ones(2, 3), torch.ones(3, 2)), torch.Tensor(2, 2):fill(8), 0)
end

tester:add(T)
return tester
