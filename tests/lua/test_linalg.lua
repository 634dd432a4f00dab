-- Linear algebra (bindings/linalg.c, tensor/linalg.c, linalg_diag.c, linalg_cross.c):
-- products in every Torch7 form, against hand-computed values and float64 references;
-- transposed and narrowed operands.
local tester = torch.Tester()
local T = torch.TestSuite()

local seed = 4242
local function rnd()
  seed = (seed * 1103515245 + 12345) % 2147483648
  return seed / 2147483648 * 2 - 1
end
-- random values of type tp (small integers for integer types)
local function randt(tp, ...)
  local t = torch.DoubleTensor(...)
  local int = not (tp == 'torch.FloatTensor' or tp == 'torch.DoubleTensor' or tp == 'torch.HalfTensor')
  t:apply(function() local v = rnd(); return int and math.floor((v + 1) * 2) or v end)
  return t:type(tp)
end

-- float64 reference of A @ B (2-D), from plain Lua tables
local function refmm(A, B)
  local a, b = A:double():totable(), B:double():totable()
  local m, k, n = A:size(1), A:size(2), B:size(2)
  local r = torch.DoubleTensor(m, n)
  for i = 1, m do
    for j = 1, n do
      local s = 0
      for p = 1, k do s = s + a[i][p] * b[p][j] end
      r[i][j] = s
    end
  end
  return r
end

-- the same m x n values in several layouts
local function layouts(tp, m, n)
  local base = randt(tp, m, n)
  local tr = base:t():contiguous():t()                               -- column-major
  local big = torch.Tensor(m + 2, n + 3):type(tp):fill(7)
  local nar = big:narrow(1, 2, m):narrow(2, 3, n); nar:copy(base)    -- row stride n + 3
  local wide = torch.Tensor(m, 2 * n):type(tp):fill(5)
  local odd = wide:unfold(2, 1, 2):select(3, 1); odd:copy(base)       -- column stride 2
  return {contiguous = base, transposed = tr, narrowed = nar, strided = odd}
end

local types = {'torch.FloatTensor', 'torch.DoubleTensor', 'torch.LongTensor', 'torch.IntTensor',
               'torch.ShortTensor', 'torch.ByteTensor'}
local function tol_for(tp) return tp == 'torch.FloatTensor' and 1e-5 or tp == 'torch.DoubleTensor' and 1e-12 or 0 end

function T.mm_hand_computed_all_forms()
  for _, tp in ipairs(types) do
    local a = torch.Tensor{{1, 2, 3}, {4, 5, 6}}:type(tp)
    local b = torch.Tensor{{1, 0}, {0, 1}, {2, 1}}:type(tp)
    local want = torch.Tensor{{7, 5}, {16, 11}}:type(tp)
    tester:eq(torch.mm(a, b), want, 0, tp .. ' torch.mm')
    local res = torch.Tensor():type(tp)
    local r = torch.mm(res, a, b)
    tester:assert(r == res, 'torch.mm(res, a, b) returns res')
    tester:eq(res, want, 0)
    local res2 = torch.Tensor(5):type(tp)
    tester:assert(res2:mm(a, b) == res2, 'res:mm(a, b) returns res')
    tester:eq(res2, want, 0, 'res:mm resized')
    tester:eq(a:mm(b), want, 0, 'a:mm(b)')
    tester:eq(a * b, want, 0, 'operator *')
    tester:eq(torch.mm(b:t(), a:t()), want:t(), 0, 'transposed operands')
  end
end

function T.mm_layouts_against_reference()
  for _, tp in ipairs{'torch.FloatTensor', 'torch.DoubleTensor', 'torch.IntTensor'} do
    local m, k, n = 5, 7, 4
    for na, A in pairs(layouts(tp, m, k)) do
      for nb, B in pairs(layouts(tp, k, n)) do
        local ref = refmm(A, B)
        tester:eq(torch.mm(A, B):double(), ref, tol_for(tp), tp .. ' ' .. na .. ' x ' .. nb)
        -- into a transposed (column-major) result
        local out = torch.Tensor(n, m):type(tp):t()
        torch.mm(out, A, B)
        tester:assert(out:stride(1) == 1, 'the transposed out keeps its layout')
        tester:eq(out:double(), ref, tol_for(tp), 'column-major out ' .. na .. ' x ' .. nb)
      end
    end
  end
end

function T.mm_larger_float_reference()
  local A, B = randt('torch.FloatTensor', 70, 90), randt('torch.FloatTensor', 60, 90):t()
  tester:eq(torch.mm(A, B):double(), refmm(A, B), 1e-4)
  local Ad, Bd = A:double(), B:double()
  tester:eq(torch.mm(Ad, Bd), refmm(A, B), 1e-12)
end

-- small contiguous products take a direct loop (tensor/linalg.c small_mm): every width
-- around its vector lanes, 1-element sides, and both sides of its size bound (4096
-- multiply-adds), against the float64 reference
function T.mm_small_direct_path()
  for _, tp in ipairs{'torch.FloatTensor', 'torch.DoubleTensor'} do
    for _, s in ipairs{{1, 1, 1}, {1, 5, 1}, {4, 4, 4}, {3, 5, 7}, {2, 9, 6}, {16, 16, 16},
                       {1, 16, 9}, {7, 1, 3}, {16, 16, 17}, {5, 3, 2}} do
      local m, k, n = s[1], s[2], s[3]
      local A, B = randt(tp, m, k), randt(tp, k, n)
      local C = torch.mm(A, B)
      tester:eq(C:size():totable(), {m, n}, 'shape ' .. table.concat(s, 'x'))
      tester:eq(C:type(), tp)
      tester:eq(C:double(), refmm(A, B), tol_for(tp), tp .. ' ' .. table.concat(s, 'x'))
      tester:eq(A:mm(B):double(), refmm(A, B), tol_for(tp), 'method form')
    end
  end
  -- operands starting past their storage's start, inputs that require grad under noGrad,
  -- NaN and Inf carried through
  local big = randt('torch.FloatTensor', 9, 4)
  local An, Bn = big:narrow(1, 3, 3), big:narrow(1, 6, 4)
  tester:eq(torch.mm(An, Bn):double(), refmm(An, Bn), 1e-5, 'offset operands')
  local Ag = randt('torch.DoubleTensor', 3, 4):setRequiresGrad()
  local Bg = randt('torch.DoubleTensor', 4, 2)
  tester:eq(torch.noGrad(function() return torch.mm(Ag, Bg) end), refmm(Ag:detach(), Bg), 1e-12, 'noGrad')
  local Ai = torch.DoubleTensor{{1 / 0, 1}, {0 / 0, 2}}
  local Ci = torch.mm(Ai, torch.DoubleTensor{{1, 2}, {3, 4}})
  tester:asserteq(Ci[1][1], math.huge, 'inf')
  tester:asserteq(Ci[1][2], math.huge, 'inf')
  tester:assert(Ci[2][1] ~= Ci[2][1] and Ci[2][2] ~= Ci[2][2], 'NaN')
  -- hand-computed, and a mismatch still gets the general path's error
  local A = torch.FloatTensor{{1, 2}, {3, 4}}
  tester:eq(torch.mm(A, torch.FloatTensor{{5, 6}, {7, 8}}), torch.FloatTensor{{19, 22}, {43, 50}}, 0)
  tester:assertErrorPattern(function() torch.mm(A, torch.FloatTensor(3, 2)) end, 'size mismatch')
  tester:assertErrorPattern(function() torch.mm(A, torch.DoubleTensor(2, 2)) end, 'mm')
end

function T.mv_forms()
  for _, tp in ipairs(types) do
    local A = torch.Tensor{{1, 2, 3}, {4, 5, 6}}:type(tp)
    local x = torch.Tensor{1, 1, 2}:type(tp)
    local want = torch.Tensor{9, 21}:type(tp)
    tester:eq(torch.mv(A, x), want, 0, tp .. ' torch.mv')
    tester:eq(A * x, want, 0, 'operator * matrix-vector')
    tester:eq(A:mv(x), want, 0, 'A:mv(x)')
    local y = torch.Tensor():type(tp)
    tester:assert(y:mv(A, x) == y)
    tester:eq(y, want, 0, 'y:mv(A, x)')
    tester:eq(torch.mv(A:t(), torch.Tensor{1, 2}:type(tp)), torch.Tensor{9, 12, 15}:type(tp), 0, 'transposed A')
  end
  -- strided vector and transposed matrix against the reference
  local B = randt('torch.DoubleTensor', 9, 6)
  local xs = randt('torch.DoubleTensor', 9, 3):select(2, 2)
  tester:eq(torch.mv(B:t(), xs), refmm(B:t(), xs:view(9, 1)):select(2, 1), 1e-12)
end

function T.dot_numbers()
  local x, y = torch.Tensor(2, 2):fill(2), torch.Tensor(4):fill(3)
  tester:eq(x:dot(y), 24, 0, "Torch7's example: any shapes with the same number of elements")
  tester:eq(torch.dot(torch.Tensor{1, 2, 3}, torch.Tensor{4, 5, 6}), 32)
  tester:eq(torch.Tensor{4, 5} * torch.Tensor{5, 4}, 40, 0, 'operator * gives a number')
  local l = torch.LongTensor{1, 2, 3}:dot(torch.LongTensor{4, 5, 6})
  tester:assert(math.type(l) == 'integer' and l == 32, 'LongTensor dot is an integer')
  local m = torch.Tensor{{1, 2}, {3, 4}}
  tester:eq(m:select(2, 2):dot(m:select(1, 2)), 2 * 3 + 4 * 4, 0, 'strided vectors')
  tester:eq(torch.DoubleTensor{0.5, 0.25}:dot(torch.DoubleTensor{2, 4}), 2, 0)
  tester:assertErrorPattern(function() torch.dot(torch.Tensor(3), torch.Tensor(4)) end, 'dot: size mismatch')
  tester:assertErrorPattern(function() torch.dot(torch.Tensor(3), torch.DoubleTensor(3)) end, 'same type')
end

function T.addmm_argument_forms()
  local A = torch.Tensor{{1, 2}, {3, 4}}
  local B = torch.Tensor{{1, 0}, {1, 1}}
  local AB = torch.Tensor{{3, 2}, {7, 4}}
  local M = torch.Tensor{{1, 1}, {1, 1}}
  tester:eq(torch.addmm(M, A, B), M + AB, 0, 'torch.addmm(M, A, B)')
  tester:eq(torch.addmm(2, M, A, B), M * 2 + AB, 0, 'torch.addmm(beta, M, A, B)')
  tester:eq(torch.addmm(M, 3, A, B), M + AB * 3, 0, 'torch.addmm(M, alpha, A, B)')
  tester:eq(torch.addmm(2, M, 3, A, B), M * 2 + AB * 3, 0, 'torch.addmm(beta, M, alpha, A, B)')
  local res = torch.Tensor()
  tester:assert(torch.addmm(res, 2, M, 3, A, B) == res)
  tester:eq(res, M * 2 + AB * 3, 0, 'torch.addmm(res, beta, M, alpha, A, B)')
  tester:eq(torch.addmm(res, M, A, B), M + AB, 0, 'torch.addmm(res, M, A, B)')
  tester:eq(M, torch.Tensor{{1, 1}, {1, 1}}, 0, 'M untouched by the function forms')
  -- methods: into the tensor itself
  local C = M:clone()
  tester:assert(C:addmm(A, B) == C)
  tester:eq(C, M + AB, 0, 'C:addmm(A, B)')
  C = M:clone(); C:addmm(3, A, B)
  tester:eq(C, M + AB * 3, 0, 'C:addmm(alpha, A, B): one number is alpha (nn.Linear)')
  C = M:clone(); C:addmm(2, 3, A, B)
  tester:eq(C, M * 2 + AB * 3, 0, 'C:addmm(beta, alpha, A, B)')
  C = torch.Tensor(7)
  C:addmm(M, A, B)
  tester:eq(C, M + AB, 0, 'r:addmm(M, A, B)')
  C:addmm(0.5, M, 2, A, B)
  tester:eq(C, M * 0.5 + AB * 2, 0, 'r:addmm(beta, M, alpha, A, B)')
  -- beta = 0 ignores NaN in the result
  local N = torch.Tensor(2, 2):fill(0 / 0)
  N:addmm(0, 1, A, B)
  tester:eq(N, AB, 0, 'beta = 0 ignores NaN')
  local W = torch.Tensor(5, 1):fill(0 / 0)
  W:addmm(0, 1, A, B)
  tester:eq(W, AB, 0, 'beta = 0: M of any size is resized (nn.Linear\'s gradInput:addmm(0, 1, ...))')
  -- M broadcast from one row (PyTorch's rule)
  tester:eq(torch.addmm(torch.Tensor{10, 20}, A, B), AB + torch.Tensor{{10, 20}, {10, 20}}, 0, 'broadcast M')
  local row = torch.Tensor{{10, 20}}
  row:addmm(A, B)
  tester:eq(row, AB + torch.Tensor{{10, 20}, {10, 20}}, 0, 'in place on a broadcast M: resized, values kept')
  tester:assertErrorPattern(function() torch.addmm(M, A, torch.Tensor(3, 2)) end,
    'addmm: size mismatch, A is 2x2, B is 3x2')
  tester:assertErrorPattern(function() torch.addmm(torch.Tensor(3, 3), A, B) end, 'addmm: M of size 3x3')
  tester:assertErrorPattern(function() torch.addmm(A, B) end, "bad arguments to 'addmm'")
  tester:assertErrorPattern(function() torch.addmm(M, A, 'x') end, 'number or tensor expected')
end

function T.addmv_addr_forms()
  local A = torch.Tensor{{1, 2}, {3, 4}, {5, 6}}
  local x = torch.Tensor{1, -1}
  local Ax = torch.Tensor{-1, -1, -1}
  local v = torch.Tensor{1, 2, 3}
  tester:eq(torch.addmv(v, A, x), v + Ax, 0, 'torch.addmv(v, A, x)')
  tester:eq(torch.addmv(2, v, 3, A, x), v * 2 + Ax * 3, 0, 'torch.addmv(beta, v, alpha, A, x)')
  local y = v:clone(); y:addmv(A, x)
  tester:eq(y, v + Ax, 0, 'y:addmv(A, x)')
  y = v:clone(); y:addmv(2, A, x)
  tester:eq(y, v + Ax * 2, 0, 'y:addmv(alpha, A, x)')
  -- Torch7's example
  local z = torch.Tensor(3):fill(0)
  z:addmv(torch.Tensor(3, 2):fill(3), torch.Tensor(2):fill(2))
  tester:eq(z, torch.Tensor{12, 12, 12}, 0)
  tester:assertErrorPattern(function() torch.addmv(v, A, torch.Tensor(3)) end, 'addmv: size mismatch, A is 3x2, x is 3')

  -- addr, Torch7's examples
  local p, q = torch.range(1, 3), torch.range(1, 2)
  local M = torch.Tensor(3, 2):zero()
  M:addr(p, q)
  tester:eq(M, torch.Tensor{{1, 2}, {2, 4}, {3, 6}}, 0, 'M:addr(x, y)')
  M:addr(2, 1, p, q)
  tester:eq(M, torch.Tensor{{3, 6}, {6, 12}, {9, 18}}, 0, 'M:addr(2, 1, x, y)')
  local A2 = torch.range(1, 6):resize(3, 2)
  M:addr(2, A2, 1, p, q)
  tester:eq(M, torch.Tensor{{3, 6}, {8, 12}, {13, 18}}, 0, 'M:addr(2, A, 1, x, y)')
  tester:eq(torch.addr(A2, p, q), A2 + torch.ger(p, q), 0, 'torch.addr(M, x, y)')
  tester:eq(torch.ger(p, q), torch.Tensor{{1, 2}, {2, 4}, {3, 6}}, 0, 'torch.ger')
  local g = torch.Tensor()
  tester:assert(g:ger(p, q) == g)
  tester:eq(g, torch.Tensor{{1, 2}, {2, 4}, {3, 6}}, 0, 'g:ger(x, y)')
  local gt = torch.Tensor(2, 3):zero():t()
  gt:addr(p, q)
  tester:eq(gt, torch.Tensor{{1, 2}, {2, 4}, {3, 6}}, 0, 'addr into a column-major tensor')
  tester:eq(torch.ger(torch.LongTensor{1, 2}, torch.LongTensor{3, 4}), torch.LongTensor{{3, 4}, {6, 8}}, 0)
end

function T.batched_forms()
  for _, tp in ipairs{'torch.FloatTensor', 'torch.DoubleTensor', 'torch.LongTensor'} do
    local nb, m, k, n = 3, 4, 5, 2
    local A, B = randt(tp, nb, k, m):transpose(2, 3), randt(tp, nb, k, n)
    local M3, M2 = randt(tp, nb, m, n), randt(tp, m, n)
    local tol = tol_for(tp) * 10
    local ref, sum = torch.DoubleTensor(nb, m, n), torch.DoubleTensor(m, n):zero()
    for b = 1, nb do
      ref[b] = refmm(A[b], B[b])
      sum:add(ref[b])
    end
    tester:eq(torch.bmm(A, B):double(), ref, tol, tp .. ' bmm')
    local r = torch.Tensor():type(tp)
    r:bmm(A, B)
    tester:eq(r:double(), ref, tol, 'r:bmm')
    tester:eq(torch.baddbmm(M3, A, B):double(), ref + M3:double(), tol, 'torch.baddbmm(M, A, B)')
    tester:eq(torch.baddbmm(2, M3, 3, A, B):double(), ref * 3 + M3:double() * 2, tol, 'baddbmm(beta, M, alpha, A, B)')
    local C = M3:clone(); C:baddbmm(A, B)
    tester:eq(C:double(), ref + M3:double(), tol, 'C:baddbmm(A, B)')
    tester:eq(torch.addbmm(M2, A, B):double(), sum + M2:double(), tol, 'torch.addbmm(M, A, B)')
    local D = M2:clone(); D:addbmm(2, 3, A, B)
    tester:eq(D:double(), sum * 3 + M2:double() * 2, tol, 'D:addbmm(beta, alpha, A, B)')
    tester:eq(torch.matmul(A, B):double(), ref, tol, 'matmul on 3-D')
  end
  tester:assertErrorPattern(function() torch.bmm(torch.Tensor(2, 3, 4), torch.Tensor(3, 4, 5)) end, 'batch sizes differ')
  tester:assertErrorPattern(function() torch.bmm(torch.Tensor(3, 4), torch.Tensor(4, 5)) end, 'bmm: A must be a 3%-D tensor')
end

function T.matmul_broadcasting()
  local v = torch.Tensor{1, 2, 3}
  local d = torch.matmul(v, v)
  tester:assert(d:dim() == 0 and d:item() == 14, '1-D . 1-D is a 0-dim tensor')
  local M = torch.Tensor{{1, 0, 0}, {0, 2, 0}}
  tester:eq(torch.matmul(M, v), torch.Tensor{1, 4}, 0, '2-D @ 1-D')
  tester:eq(torch.matmul(torch.Tensor{1, 1}, M), torch.Tensor{1, 2, 0}, 0, '1-D @ 2-D')
  local A = randt('torch.DoubleTensor', 2, 1, 3, 4)
  local B = randt('torch.DoubleTensor', 5, 4, 2)
  local r = A:matmul(B)
  tester:assert(r:dim() == 4 and r:size(1) == 2 and r:size(2) == 5 and r:size(3) == 3 and r:size(4) == 2,
    'batch dims broadcast to 2x5')
  for i = 1, 2 do for j = 1, 5 do
    tester:eq(r[i][j], refmm(A[i][1], B[j]), 1e-12, 'broadcast batch ' .. i .. ',' .. j)
  end end
  local C = randt('torch.DoubleTensor', 4, 3, 5)
  local W = randt('torch.DoubleTensor', 5, 2)
  local rc = torch.matmul(C, W)
  for i = 1, 4 do tester:eq(rc[i], refmm(C[i], W), 1e-12, '3-D @ 2-D') end
  local res = torch.DoubleTensor()
  tester:assert(torch.matmul(res, C, W) == res)
  tester:eq(res, rc, 0, 'torch.matmul(res, a, b)')
  tester:assertErrorPattern(function() torch.matmul(C, torch.DoubleTensor(4, 2)) end, 'matmul: size mismatch')
end

function T.trace_diag_tril_triu()
  local m = torch.Tensor{{1, 2, 3}, {4, 5, 6}, {7, 8, 9}, {10, 11, 12}}
  tester:eq(m:trace(), 15, 0)
  tester:eq(torch.trace(m:t()), 15, 0)
  tester:assert(math.type(torch.LongTensor{{1, 2}, {3, 4}}:trace()) == 'integer')
  tester:assertErrorPattern(function() torch.Tensor(3):trace() end, 'trace: .*2%-D')
  tester:eq(torch.diag(m), torch.Tensor{1, 5, 9}, 0, 'main diagonal')
  tester:eq(torch.diag(m, 1), torch.Tensor{2, 6}, 0, 'above')
  tester:eq(torch.diag(m, -1), torch.Tensor{4, 8, 12}, 0, 'below')
  tester:eq(m:diag(-3), torch.Tensor{10}, 0, 'method form')
  tester:eq(torch.diag(torch.Tensor{1, 2}), torch.Tensor{{1, 0}, {0, 2}}, 0, 'vector to matrix')
  tester:eq(torch.diag(torch.Tensor{1, 2}, -1), torch.Tensor{{0, 0, 0}, {1, 0, 0}, {0, 2, 0}}, 0, 'below, k = -1')
  local res = torch.Tensor()
  tester:assert(torch.diag(res, m, 2) == res)
  tester:eq(res, torch.Tensor{3}, 0, 'torch.diag(res, x, k)')
  tester:assertErrorPattern(function() torch.diag(torch.Tensor(2, 2, 2)) end, 'diag: expected a 1%-D or 2%-D tensor')
  local s = torch.Tensor{{1, 2, 3}, {4, 5, 6}, {7, 8, 9}}
  tester:eq(torch.tril(s), torch.Tensor{{1, 0, 0}, {4, 5, 0}, {7, 8, 9}}, 0, 'tril')
  tester:eq(torch.triu(s), torch.Tensor{{1, 2, 3}, {0, 5, 6}, {0, 0, 9}}, 0, 'triu')
  tester:eq(torch.tril(s, -1), torch.Tensor{{0, 0, 0}, {4, 0, 0}, {7, 8, 0}}, 0, 'tril k = -1')
  tester:eq(s:triu(1), torch.Tensor{{0, 2, 3}, {0, 0, 6}, {0, 0, 0}}, 0, 'method, k = 1')
  tester:eq(s, torch.Tensor{{1, 2, 3}, {4, 5, 6}, {7, 8, 9}}, 0, 'the method form makes a new tensor')
  tester:eq(torch.tril(s:t()), torch.Tensor{{1, 0, 0}, {2, 5, 0}, {3, 6, 9}}, 0, 'tril of a transposed view')
  local r2 = torch.Tensor()
  torch.triu(r2, s:narrow(2, 2, 2))
  tester:eq(r2, torch.Tensor{{2, 3}, {0, 6}, {0, 0}}, 0, 'triu(res, narrowed)')
  tester:eq(torch.tril(torch.ByteTensor{{1, 1}, {1, 1}}), torch.ByteTensor{{1, 0}, {1, 1}}, 0)
end

function T.cross_product()
  local e1, e2 = torch.Tensor{1, 0, 0}, torch.Tensor{0, 1, 0}
  tester:eq(torch.cross(e1, e2), torch.Tensor{0, 0, 1}, 0)
  tester:eq(e2:cross(e1), torch.Tensor{0, 0, -1}, 0, 'method form: new tensor')
  tester:eq(e2, torch.Tensor{0, 1, 0}, 0)
  local a = torch.Tensor{{1, 2, 3}, {4, 5, 6}}
  local b = torch.Tensor{{7, 8, 9}, {1, 0, 0}}
  local want = torch.Tensor{{2 * 9 - 3 * 8, 3 * 7 - 1 * 9, 1 * 8 - 2 * 7}, {0, 6, -5}}
  tester:eq(torch.cross(a, b), want, 0, 'first dimension of size 3 is the last here')
  tester:eq(torch.cross(a, b, 2), want, 0, 'dim 2')
  tester:eq(torch.cross(a:t(), b:t(), 1), want:t(), 0, 'transposed, dim 1')
  local res = torch.Tensor()
  tester:assert(torch.cross(res, a, b) == res)
  tester:eq(res, want, 0, 'torch.cross(res, a, b)')
  tester:eq(torch.cross(torch.LongTensor{1, 2, 3}, torch.LongTensor{4, 5, 6}), torch.LongTensor{-3, 6, -3}, 0)
  tester:assertErrorPattern(function() torch.cross(a, b, 1) end, 'cross: dimension 1 has size 2')
  tester:assertErrorPattern(function() torch.cross(torch.Tensor(2, 2), torch.Tensor(2, 2)) end, 'no dimension of size 3')
end

function T.half_and_double_types()
  local a = torch.Tensor{{1, 2}, {3, 4}}
  for _, tp in ipairs{'torch.HalfTensor', 'torch.DoubleTensor'} do
    local h = a:type(tp)
    local r = torch.mm(h, h)
    tester:assert(r:type() == tp, tp .. ' result type')
    tester:eq(r:double(), torch.DoubleTensor{{7, 10}, {15, 22}}, 0)
  end
  tester:assertErrorPattern(function() torch.mm(a, a:double()) end, 'same type')
end

tester:add(T)
return tester
