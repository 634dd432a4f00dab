-- Memory overlap between a result and its inputs in the generic ops (copy, pointwise,
-- reductions, linalg). A destination that shares memory with a source in another layout
-- (shifted, transposed, broadcast, a storage view of the same buffer) gets the values as
-- if the source had been read entirely first (memmove's rule); a result tensor with a
-- stride-0 dim (from expand) is refused with an error; fill/zero on one still work.
local tester = torch.Tester()
local T = torch.TestSuite()

local function range(ctor, n) local t = ctor(n); for i = 1, n do t[i] = i end; return t end
local types = {torch.DoubleTensor, torch.FloatTensor, torch.IntTensor, torch.LongTensor, torch.ByteTensor}

-- ---- copy ----

function T.copy_overlapping_narrows_both_directions()
  for _, ctor in ipairs(types) do
    local a = range(ctor, 5)
    a:narrow(1, 2, 4):copy(a:narrow(1, 1, 4))           -- dest after source
    tester:eq(a, ctor({1, 1, 2, 3, 4}), 0, 'dest after source')
    a = range(ctor, 5)
    a:narrow(1, 1, 4):copy(a:narrow(1, 2, 4))           -- dest before source
    tester:eq(a, ctor({2, 3, 4, 5, 5}), 0, 'dest before source')
  end
  -- contiguous and long: the copy is split between threads
  local N = 200001
  local b = torch.range(1, N)
  b:narrow(1, 2, N - 1):copy(b:narrow(1, 1, N - 1))
  tester:eq(b:narrow(1, 2, N - 1), torch.range(1, N - 1), 0)
  tester:eq(b[1], 1)
  b = torch.range(1, N)
  b:narrow(1, 1, N - 1):copy(b:narrow(1, 2, N - 1))
  tester:eq(b:narrow(1, 1, N - 1), torch.range(2, N), 0)
end

function T.copy_overlapping_strided_large()
  -- a column of a big matrix: strided, and long enough for the parallel chunked copy
  local N = 1000001
  for _, ctor in ipairs({torch.DoubleTensor, torch.IntTensor}) do
    local m = ctor(N, 2):zero()
    local c = m:select(2, 1)
    c:copy(torch.range(1, N))
    c:narrow(1, 2, N - 1):copy(c:narrow(1, 1, N - 1))
    tester:eq(c[1], 1); tester:eq(c[2], 1); tester:eq(c[3], 2); tester:eq(c[N], N - 1)
    tester:eq(c:narrow(1, 2, N - 1), torch.range(1, N - 1):type(c:type()), 0)
    c:copy(torch.range(1, N))
    c:narrow(1, 1, N - 1):copy(c:narrow(1, 2, N - 1))
    tester:eq(c:narrow(1, 1, N - 1), torch.range(2, N):type(c:type()), 0)
    tester:eq(c[N], N)
    tester:eq(m:select(2, 2):sum(), 0, 'the other column is untouched')
  end
end

function T.copy_transposed_onto_itself()
  local a = torch.IntTensor{{1, 2, 3}, {4, 5, 6}, {7, 8, 9}}
  a:copy(a:t())
  tester:eq(a, torch.IntTensor{{1, 4, 7}, {2, 5, 8}, {3, 6, 9}}, 0)
  local d = torch.range(1, 16):view(4, 4)
  local want = d:t():clone()
  d:copy(d:t())
  tester:eq(d, want, 0)
end

function T.copy_other_shape_overlapping()
  local a = torch.range(1, 6)
  a:narrow(1, 2, 4):view(2, 2):copy(a:narrow(1, 1, 4))
  tester:eq(a, torch.Tensor{1, 1, 2, 3, 4, 6}, 0)
end

function T.copy_same_layout_is_a_no_op()
  local a = torch.range(1, 6):view(2, 3)
  a:copy(a)
  a:copy(a:view(2, 3))
  a:t():copy(a:t())
  tester:eq(a, torch.range(1, 6):view(2, 3), 0)
end

function T.storage_copy_overlapping_views()
  for _, S in ipairs({torch.FloatStorage, torch.IntStorage, torch.DoubleStorage}) do
    local s = S{1, 2, 3, 4, 5}
    S(s, 2, 4):copy(S(s, 1, 4))
    tester:eq(torch.DoubleTensor(torch.DoubleStorage(5):copy(s)), torch.DoubleTensor{1, 1, 2, 3, 4}, 0)
    s = S{1, 2, 3, 4, 5}
    S(s, 1, 4):copy(S(s, 2, 4))
    tester:eq(torch.DoubleTensor(torch.DoubleStorage(5):copy(s)), torch.DoubleTensor{2, 3, 4, 5, 5}, 0)
  end
  -- a tensor copied from a storage view of its own storage
  local s = torch.FloatStorage{1, 2, 3, 4, 5}
  local t = torch.FloatTensor(s):narrow(1, 2, 4)
  t:copy(torch.FloatStorage(s, 1, 4))
  tester:eq(torch.FloatTensor(s), torch.FloatTensor{1, 1, 2, 3, 4}, 0)
end

function T.copy_into_expanded_is_an_error()
  local x = torch.Tensor(3)
  tester:assertErrorPattern(function() x:view(3, 1):expand(3, 3):copy(torch.rand(3, 3)) end,
                            'copy: .*share memory')
  tester:assertErrorPattern(function() torch.IntTensor(1):expand(4):copy(torch.IntTensor{1, 2, 3, 4}) end,
                            'copy: .*stride of 0')
  -- fill and zero give every element the same value: still allowed (as in Torch7)
  local e = x:view(3, 1):expand(3, 3)
  e:fill(7)
  tester:eq(x, torch.Tensor{7, 7, 7}, 0)
  e:zero()
  tester:eq(x, torch.zeros(3), 0)
  -- expanded sources are fine
  local d = torch.Tensor(3, 3):copy(torch.Tensor{1, 2, 3}:view(1, 3):expand(3, 3))
  tester:eq(d, torch.Tensor{{1, 2, 3}, {1, 2, 3}, {1, 2, 3}}, 0)
end

-- ---- pointwise ----

function T.pointwise_cpow_shifted_result()
  local a = torch.Tensor{1, 2, 3, 4, 5, 6}
  torch.cpow(a:narrow(1, 2, 5), a:narrow(1, 1, 5), torch.Tensor(5):fill(2))
  tester:eq(a, torch.Tensor{1, 1, 4, 9, 16, 25}, 0)
  local i = torch.IntTensor{1, 2, 3, 4, 5, 6}
  torch.cpow(i:narrow(1, 1, 5), i:narrow(1, 2, 5), torch.IntTensor(5):fill(2))
  tester:eq(i, torch.IntTensor{4, 9, 16, 25, 36, 6}, 0)
end

function T.pointwise_transposed_result()
  local a = torch.IntTensor(3, 3):fill(2)
  torch.cpow(a:t(), a, a)
  tester:eq(a, torch.IntTensor(3, 3):fill(4), 0)
  local b = torch.range(1, 9):view(3, 3)
  local want = torch.add(b, b:t())
  torch.add(b:t(), b, b:t())       -- b:t() = b + b:t(), read before written
  tester:eq(b, want:t(), 0)
end

function T.pointwise_binary_both_directions_all_types()
  for _, ctor in ipairs(types) do
    local a = range(ctor, 6)
    torch.add(a:narrow(1, 2, 5), a:narrow(1, 1, 5), range(ctor, 5))
    tester:eq(a, ctor({1, 2, 4, 6, 8, 10}), 0, 'add, dest after source')
    a = range(ctor, 6)
    torch.cmul(a:narrow(1, 1, 5), a:narrow(1, 2, 5), a:narrow(1, 1, 5))
    tester:eq(a, ctor({2, 6, 12, 20, 30, 6}), 0, 'cmul, dest before source')
    a = range(ctor, 6)
    torch.add(a:narrow(1, 2, 5), a:narrow(1, 1, 5), 2, range(ctor, 5))
    tester:eq(a, ctor({1, 3, 6, 9, 12, 15}), 0, 'add with a factor')
  end
end

function T.pointwise_bit_ops_and_fmod_overlap()
  local a = torch.IntTensor{1, 2, 3, 4, 5, 6}
  torch.cbitxor(a:narrow(1, 2, 5), a:narrow(1, 1, 5), torch.IntTensor(5):fill(3))
  tester:eq(a, torch.IntTensor{1, 2, 1, 0, 7, 6}, 0)
  a = torch.IntTensor{1, 2, 3, 4, 5, 6}
  torch.cbitand(a:narrow(1, 1, 5), a:narrow(1, 2, 5), a:narrow(1, 1, 5))
  tester:eq(a, torch.IntTensor{0, 2, 0, 4, 4, 6}, 0)
  local f = torch.Tensor{7, 8, 9, 10, 11}
  torch.cfmod(f:narrow(1, 2, 4), f:narrow(1, 1, 4), torch.Tensor(4):fill(4))
  tester:eq(f, torch.Tensor{7, 3, 0, 1, 2}, 0)
end

function T.pointwise_scalar_and_unary_overlap()
  for _, ctor in ipairs({torch.DoubleTensor, torch.FloatTensor, torch.IntTensor, torch.LongTensor}) do
    local a = range(ctor, 6)
    torch.mul(a:narrow(1, 2, 5), a:narrow(1, 1, 5), 10)
    tester:eq(a, ctor({1, 10, 20, 30, 40, 50}), 0, 'mul by a number')
    a = range(ctor, 6)
    torch.add(a:narrow(1, 1, 5), a:narrow(1, 2, 5), 1)
    tester:eq(a, ctor({3, 4, 5, 6, 7, 6}), 0, 'add a number, dest before source')
    a = range(ctor, 6)
    torch.neg(a:narrow(1, 2, 5), a:narrow(1, 1, 5))
    tester:eq(a, ctor({1, -1, -2, -3, -4, -5}), 0, 'neg')
    a = range(ctor, 6)
    torch.abs(a:narrow(1, 1, 5), a:narrow(1, 2, 5))
    tester:eq(a, ctor({2, 3, 4, 5, 6, 6}), 0, 'abs, dest before source')
  end
  local d = torch.Tensor{1, 4, 9, 16}
  torch.sqrt(d:narrow(1, 2, 3), d:narrow(1, 1, 3))
  tester:eq(d, torch.Tensor{1, 1, 2, 3}, 1e-12)
end

function T.pointwise_strided_large_overlap()
  -- past the parallel threshold, through the strided iterator
  local N = 300001
  local m = torch.zeros(N, 2)
  local c = m:select(2, 1)
  c:copy(torch.range(1, N))
  torch.add(c:narrow(1, 2, N - 1), c:narrow(1, 1, N - 1), 0.5)
  tester:eq(c[1], 1); tester:eq(c[2], 1.5); tester:eq(c[N], N - 0.5)
  tester:eq(c:narrow(1, 2, N - 1), torch.range(1, N - 1):add(0.5), 0)
  c:copy(torch.range(1, N))
  torch.cmul(c:narrow(1, 1, N - 1), c:narrow(1, 2, N - 1), torch.ones(N - 1))
  tester:eq(c:narrow(1, 1, N - 1), torch.range(2, N), 0)
end

function T.pointwise_broadcast_input_of_out()
  -- the first row broadcast over the whole matrix that is also the result
  local a = torch.Tensor{{1, 2}, {3, 4}}
  a:add(a[1])
  tester:eq(a, torch.Tensor{{2, 4}, {4, 6}}, 0)
  local i = torch.IntTensor{{1, 2}, {3, 4}, {5, 6}}
  i:cmul(i[1])
  tester:eq(i, torch.IntTensor{{1, 4}, {3, 8}, {5, 12}}, 0)
  local c = torch.Tensor{{1, 2}, {3, 4}}
  torch.add(c, c:select(2, 1):view(2, 1), c)    -- the first column against the matrix
  tester:eq(c, torch.Tensor{{2, 3}, {6, 7}}, 0)
end

function T.pointwise_in_place_still_in_place()
  local x = torch.range(1, 5)
  local y = torch.ones(5)
  local r = x:add(y)
  tester:assert(r == x)
  tester:eq(x, torch.range(2, 6), 0)
  x:add(x)
  tester:eq(x, torch.range(2, 6):mul(2), 0)
  x:cmul(x)
  tester:eq(x, torch.range(2, 6):mul(2):pow(2), 0)
  local xt = torch.range(1, 6):view(2, 3):t()      -- a strided in-place operand
  xt:mul(2)
  tester:eq(xt, torch.range(1, 6):view(2, 3):t():mul(2), 0)
  -- the same layout through another tensor object is in place too
  local z = torch.range(1, 4)
  torch.add(z, z:view(4), z:view(4))
  tester:eq(z, torch.Tensor{2, 4, 6, 8}, 0)
end

function T.pointwise_compound_ops_overlap()
  local a = torch.Tensor{1, 2, 3, 4, 5, 6}
  torch.addcmul(a:narrow(1, 2, 5), a:narrow(1, 1, 5), 1, torch.Tensor(5):fill(2), torch.ones(5))
  tester:eq(a, torch.Tensor{1, 3, 4, 5, 6, 7}, 0)
  a = torch.Tensor{1, 2, 3, 4, 5, 6}
  torch.clamp(a:narrow(1, 2, 5), a:narrow(1, 1, 5), 2, 4)
  tester:eq(a, torch.Tensor{1, 2, 2, 3, 4, 4}, 0)
  local c = torch.Tensor{1, 2, 3, 4, 5, 6}
  torch.cmax(c:narrow(1, 1, 5), c:narrow(1, 2, 5), 0)
  tester:eq(c, torch.Tensor{2, 3, 4, 5, 6, 6}, 0)
end

function T.pointwise_result_through_storage_view()
  -- a result tensor on a storage view of the input's storage: other storage objects, the
  -- same memory
  local s = torch.DoubleStorage{1, 2, 3, 4, 5}
  local a = torch.DoubleTensor(s, 1, torch.LongStorage{4})
  local r = torch.DoubleTensor(torch.DoubleStorage(s, 2, 4))
  torch.add(r, a, torch.DoubleTensor{10, 20, 30, 40})
  tester:eq(torch.DoubleTensor(s), torch.DoubleTensor{1, 11, 22, 33, 44}, 0)
end

function T.pointwise_expanded_result_is_an_error()
  local a = torch.IntTensor(3, 3):fill(1)
  local b = torch.IntTensor(3, 3):fill(2)
  tester:assertErrorPattern(function() torch.cbitxor(torch.IntTensor(3):expand(3, 3), a, b) end,
                            'bitxor: the result tensor res has elements that share memory')
  local x = torch.Tensor(3):fill(1)
  tester:assertErrorPattern(function() x:view(1, 3):expand(3, 3):add(1) end, 'add: .*self.*stride of 0')
  tester:assertErrorPattern(function() torch.add(x:view(1, 3):expand(3, 3), torch.ones(3, 3), 1) end,
                            'add: .*share memory')
  tester:assertErrorPattern(function() torch.exp(x:view(3, 1):expand(3, 2), torch.ones(3, 2)) end,
                            'exp: .*share memory')
  tester:assertErrorPattern(function() torch.cmul(x:view(3, 1):expand(3, 2), torch.ones(3, 2), torch.ones(3, 2)) end,
                            'mul: .*share memory')
  tester:assertErrorPattern(function() torch.clamp(x:view(3, 1):expand(3, 2), torch.ones(3, 2), 0, 1) end,
                            'clamp: .*share memory')
  tester:assertErrorPattern(function() torch.eq(torch.ByteTensor(1):expand(3), torch.ones(3), torch.ones(3)) end,
                            'eq: .*share memory')
  tester:eq(x, torch.ones(3), 0, 'nothing was written')
  -- an expanded input is fine
  local r = torch.Tensor(3, 3)
  torch.add(r, x:view(1, 3):expand(3, 3), 1)
  tester:eq(r, torch.Tensor(3, 3):fill(2), 0)
end

-- ---- reductions and linalg results ----

function T.reduction_expanded_result_is_an_error()
  local x = torch.Tensor(3)
  local a = torch.rand(3, 3)
  -- of the result's shape already (kept as it is, so refused)
  tester:assertErrorPattern(function() torch.sum(x:view(3, 1, 1):expand(3, 3, 1), torch.rand(3, 3, 2), 3) end,
                            'sum: the result tensor res has elements that share memory')
  tester:assertErrorPattern(function() torch.cumsum(x:view(3, 1):expand(3, 3), a, 2) end,
                            'cumsum: .*share memory')
  local idx = torch.LongTensor(3)
  tester:assertErrorPattern(function()
    torch.max(torch.Tensor(3, 2, 1), idx:view(3, 1, 1):expand(3, 2, 1), torch.rand(3, 2, 2), 3)
  end, 'max: the result tensor .*share memory')
  -- of another shape: resized (contiguous), so it works, as before
  local e = x:view(3, 1):expand(3, 3)
  torch.sum(e, a, 2)
  tester:eq(e, a:sum(2), 1e-6, 'an expanded result of another shape is resized')
  -- a plain result still works
  local r = torch.Tensor()
  torch.sum(r, torch.ones(3, 3), 2)
  tester:eq(r, torch.Tensor(3, 1):fill(3), 0)
end

function T.reduction_result_through_storage_view()
  -- the result on a storage view of the input's storage, one element further on: another
  -- storage object, the same memory (cumsum wrote rows before reading them)
  local M, n = 50, 7
  local S = torch.DoubleStorage(M * n + M):fill(0)
  local a = torch.DoubleTensor(S, 1, torch.LongStorage{M, n})
  for _, op in ipairs({'cumsum', 'cumprod', 'sum', 'max'}) do
    a:copy(torch.rand(M, n):double():add(0.5))
    local want = torch[op](a, 2)
    local r = torch.DoubleTensor(torch.DoubleStorage(S, 2, want:nElement()), 1, want:size())
    if op == 'max' then torch.max(r, torch.LongTensor(), a, 2) else torch[op](r, a, 2) end
    tester:eq(r, want, 1e-12, op)
  end
end

function T.linalg_expanded_result_is_an_error()
  local x = torch.Tensor(3)
  tester:assertErrorPattern(function() torch.mm(x:view(3, 1):expand(3, 3), torch.rand(3, 3), torch.rand(3, 3)) end,
                            'mm: the result tensor res has elements that share memory')
  tester:assertErrorPattern(function() torch.mv(torch.Tensor(1):expand(3), torch.rand(3, 3), torch.rand(3)) end,
                            'mv: .*share memory')
  tester:assertErrorPattern(function() torch.tril(x:view(3, 1):expand(3, 3), torch.rand(3, 3)) end,
                            'tril: .*share memory')
  local m = torch.Tensor(3):fill(1):view(1, 3):expand(3, 3)
  tester:assertErrorPattern(function() m:addmm(torch.rand(3, 3), torch.rand(3, 3)) end, 'addmm: .*share memory')
end

function T.mm_result_through_storage_view()
  -- out on a storage view of B's storage (shifted by a row, or exactly B): another storage
  -- object, the same memory; BLAS read elements it had already written
  for _, n in ipairs({8, 64}) do
    local S = torch.DoubleStorage(n * n + n):fill(0)
    local B = torch.DoubleTensor(S, 1, torch.LongStorage{n, n})
    local A = torch.rand(n, n):double()
    B:copy(torch.rand(n, n):double())
    local want = torch.mm(A, B)
    local C = torch.DoubleTensor(torch.DoubleStorage(S, n + 1, n * n), 1, torch.LongStorage{n, n})
    torch.mm(C, A, B)
    tester:eq(C, want, 1e-10, 'shifted by a row')
    B:copy(torch.rand(n, n):double())
    want = torch.mm(B, A)
    local C2 = torch.DoubleTensor(torch.DoubleStorage(S, 1, n * n), 1, torch.LongStorage{n, n})
    torch.mm(C2, B, A)
    tester:eq(C2, want, 1e-10, 'the same memory as B')
  end
end

-- an expanded result of another shape than the result's is resized (contiguous), as
-- before: add, mm
function T.expanded_result_of_another_shape_is_resized()
  local r = torch.zeros(1, 4):expand(3, 4)
  torch.add(r, torch.ones(2, 2), torch.ones(2, 2))
  tester:eq(r, torch.Tensor(2, 2):fill(2), 0, 'add')
  local m = torch.zeros(1, 5):expand(4, 5)
  local a, b = torch.rand(2, 3), torch.rand(3, 2)
  torch.mm(m, a, b)
  tester:eq(m, a * b, 1e-6, 'mm')
end

-- a result on a storage view whose resize makes it overlap an input: mm, and index /
-- gather into a view of their source's storage
function T.result_on_a_storage_view_that_grows_into_an_input()
  local n = 64
  local S = torch.DoubleStorage(n * n * 2)
  local A = torch.DoubleTensor(S, n * n / 2 + 1, torch.LongStorage{n, n}):copy(torch.randn(n, n):double())
  local B = torch.randn(n, n):double()
  local want = A:clone() * B
  local V = torch.DoubleStorage(S, 1, n * n * 2)
  local out = torch.DoubleTensor(V, 1, torch.LongStorage{1, 1})
  torch.mm(out, A, B)
  tester:eq(out, want, 1e-10, 'mm into a storage view that grows over A')
  local s2 = torch.DoubleStorage(20)
  local a = torch.DoubleTensor(s2, 5, torch.LongStorage{10}):copy(torch.range(1, 10))
  local idx = torch.LongTensor{10, 9, 8, 7, 6, 5, 4, 3}
  local wanti = a:clone():index(1, idx)
  local o = torch.DoubleTensor(torch.DoubleStorage(s2, 1, 20), 1, torch.LongStorage{1})
  o:index(a, 1, idx)
  tester:eq(o, wanti, 0, 'index into a storage view that grows over the source')
end

tester:add(T)
return tester
