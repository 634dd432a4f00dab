-- Decompositions through LAPACK (bindings/lapack_decomp.c, tensor/lapack_decomp.c):
-- symeig, eig, svd, qr, geqrf, orgqr, ormqr, pinverse. Identities (U S V^T = A with
-- orthonormal factors, QR = A, A V = V diag(e), Penrose's conditions) and hand-known
-- values on several sizes and conditionings, float and double, contiguous, transposed and
-- narrowed inputs; result-tensor forms; errors; first and second derivatives of svd,
-- symeig, eig (real, distinct eigenvalues), qr and pinverse against finite differences.
local tester = torch.Tester()
local T = torch.TestSuite()

local TYPES = {'torch.FloatTensor', 'torch.DoubleTensor'}
-- relative tolerances per type
local TOL = {['torch.FloatTensor'] = 2e-4, ['torch.DoubleTensor'] = 1e-10}

local function maxabs(t) return t:nElement() == 0 and 0 or t:clone():abs():max() end
local function diff(a, b) return maxabs(a:double() - b:double()) end
local function eye(n, tp) return torch.eye(n):type(tp or 'torch.DoubleTensor') end

-- a random orthogonal n x n matrix (double), from the QR of a Gaussian matrix
local function orth(n)
  if n == 0 then return torch.DoubleTensor(0, 0) end
  local q = torch.qr(torch.randn(n, n):double())
  return q
end

-- an m x n double matrix with singular values s (a table, descending, #s = min(m, n))
local function with_singular(m, n, s)
  local k = math.min(m, n)
  local d = torch.zeros(m, n):double()
  for i = 1, k do d[i][i] = s[i] end
  return orth(m) * d * orth(n):t()
end

-- geometric singular values from 1 down to 1/cond
local function spread(k, cond)
  local s = {}
  for i = 1, k do s[i] = k == 1 and 1 or cond ^ (-(i - 1) / (k - 1)) end
  return s
end

-- the same values in three layouts: contiguous, column-major (transposed), narrowed
local function layouts(a)
  local col = a:t():contiguous():t()
  local big = torch.Tensor(a:size(1) + 2, a:size(2) + 3):typeAs(a):fill(7)
  local nar = big:narrow(1, 2, a:size(1)):narrow(2, 2, a:size(2))
  nar:copy(a)
  return {a:contiguous(), col, nar}
end

-- orthonormal columns: Q^T Q = I
local function orthonormal_err(q)
  local k = q:size(2)
  return diff(q:t() * q, eye(k, q:type()))
end

local function is_upper(r, tol)
  for i = 1, r:size(1) do
    for j = 1, math.min(i - 1, r:size(2)) do
      if math.abs(r[i][j]) > tol then return false end
    end
  end
  return true
end

---------------------------------------------------------------------------------- svd

function T.svd_identities()
  torch.manualSeed(11)
  for _, tp in ipairs(TYPES) do
    for _, sz in ipairs({{1, 1}, {4, 4}, {6, 3}, {3, 6}, {7, 2}}) do
      for _, cond in ipairs({1, 1e3}) do
        local m, n = sz[1], sz[2]
        local k = math.min(m, n)
        local sv = spread(k, cond)
        local a0 = with_singular(m, n, sv):type(tp)
        for li, a in ipairs(layouts(a0)) do
          local tag = string.format('%s %dx%d cond %g layout %d', tp, m, n, cond, li)
          local tol = TOL[tp] * 10
          -- 'S' (the default)
          local u, s, v = torch.svd(a)
          tester:asserteq(u:type(), tp, tag .. ' type')
          tester:eq(u:size():totable(), {m, k}, tag .. ' U size')
          tester:eq(s:size():totable(), {k}, tag .. ' S size')
          tester:eq(v:size():totable(), {n, k}, tag .. ' V size')
          tester:assert(diff(u * torch.diag(s) * v:t(), a) < tol, tag .. ' U S V^T = A')
          tester:assert(orthonormal_err(u) < tol, tag .. ' U orthonormal')
          tester:assert(orthonormal_err(v) < tol, tag .. ' V orthonormal')
          for i = 1, k do
            tester:assert(math.abs(s[i] - sv[i]) < tol, tag .. ' singular value ' .. i)
          end
          -- 'A'
          local ua, sa, va = torch.svd(a, 'A')
          tester:eq(ua:size():totable(), {m, m}, tag .. ' A: U size')
          tester:eq(va:size():totable(), {n, n}, tag .. ' A: V size')
          tester:assert(orthonormal_err(ua) < tol, tag .. ' A: U orthogonal')
          tester:assert(orthonormal_err(va) < tol, tag .. ' A: V orthogonal')
          local d = torch.zeros(m, n):type(tp)
          for i = 1, k do d[i][i] = sa[i] end
          tester:assert(diff(ua * d * va:t(), a) < tol, tag .. ' A: U S V^T = A')
          tester:assert(diff(sa, s) < tol, tag .. " A: same S as 'S'")
        end
      end
    end
  end
end

-- the example of Torch7's documentation: known singular values
function T.svd_known_values()
  local a = torch.DoubleTensor({{8.79, 6.11, -9.15, 9.57, -3.49, 9.84},
                                {9.93, 6.91, -7.93, 1.64, 4.02, 0.15},
                                {9.83, 5.04, 4.86, 8.83, 9.80, -8.99},
                                {5.45, -0.27, 4.85, 0.74, 10.00, -6.02},
                                {3.16, 7.98, 3.01, 5.80, 4.27, -5.31}}):t()
  local want = {27.4687, 22.6432, 8.5584, 5.9857, 2.0149}
  for _, tp in ipairs(TYPES) do
    local u, s, v = torch.svd(a:type(tp))
    for i = 1, 5 do tester:assert(math.abs(s[i] - want[i]) < 1e-4, tp .. ' s' .. i) end
    -- a diagonal matrix: |entries|, sorted
    local _, s2 = torch.svd(torch.Tensor({{0, 0, 0}, {0, -2, 0}, {0, 0, 3}}):type(tp))
    tester:eq(s2:double(), torch.DoubleTensor({3, 2, 0}), 1e-6, tp .. ' diagonal')
  end
end

function T.svd_rank_deficient()
  torch.manualSeed(12)
  for _, tp in ipairs(TYPES) do
    -- rank 1: x y^T has the single singular value |x| |y|
    local x, y = torch.randn(5):double(), torch.randn(3):double()
    local a = torch.ger(x, y):type(tp)
    local u, s, v = torch.svd(a)
    local tol = TOL[tp] * 10
    tester:assert(math.abs(s[1] - x:norm() * y:norm()) < tol * s[1], tp .. ' rank 1: s1')
    tester:assert(math.abs(s[2]) < tol and math.abs(s[3]) < tol, tp .. ' rank 1: zeros')
    tester:assert(diff(u * torch.diag(s) * v:t(), a) < tol * 10, tp .. ' rank 1: U S V^T = A')
    tester:assert(orthonormal_err(u) < tol and orthonormal_err(v) < tol, tp .. ' rank 1: orthonormal')
    -- the zero matrix
    local uz, sz, vz = torch.svd(torch.zeros(3, 2):type(tp), 'A')
    tester:eq(sz:double(), torch.zeros(2):double(), 0, tp .. ' zero matrix: S')
    tester:assert(orthonormal_err(uz) < tol and orthonormal_err(vz) < tol, tp .. ' zero matrix: orthogonal')
  end
end

function T.svd_result_forms()
  torch.manualSeed(13)
  local a = torch.randn(5, 3):double()
  local u0, s0, v0 = torch.svd(a)
  -- results of the wrong size are resized; the same objects come back
  local ru, rs, rv = torch.DoubleTensor(1), torch.DoubleTensor(7, 7), torch.DoubleTensor()
  local u, s, v = torch.svd(ru, rs, rv, a)
  tester:assert(u == ru and s == rs and v == rv, 'result tensors returned')
  tester:eq(ru, u0, 1e-12, 'U into resu')
  tester:eq(rs, s0, 1e-12, 'S into ress')
  tester:eq(rv, v0, 1e-12, 'V into resv')
  -- the method forms
  local u2, s2, v2 = a:svd()
  tester:eq(s2, s0, 1e-12, 'a:svd()')
  local u3 = ru:svd(rs, rv, a, 'A')
  tester:assert(u3 == ru, 'ru:svd(rs, rv, a)')
  tester:eq(ru:size():totable(), {5, 5}, 'resized to A')
  -- the input itself as a result tensor: computed before it is written
  local b = a:clone()
  torch.svd(b, rs, rv, b)
  tester:assert(diff(b * torch.diag(rs) * rv:t(), a) < 1e-12, 'input as resu')
end

function T.svd_empty()
  local u, s, v = torch.svd(torch.DoubleTensor(0, 3))
  tester:eq(u:size():totable(), {0, 0}, "0x3 'S': U")
  tester:eq(s:nElement(), 0, "0x3 'S': S")
  tester:eq(v:size():totable(), {3, 0}, "0x3 'S': V")
  local _, _, va = torch.svd(torch.DoubleTensor(0, 3), 'A')
  tester:eq(va, eye(3), 0, "0x3 'A': V is the identity")
end

------------------------------------------------------------------------------- symeig

local function symmetric(n, eigs)
  local q = orth(n)
  return q * torch.diag(torch.DoubleTensor(eigs)) * q:t()
end

function T.symeig_identities()
  torch.manualSeed(21)
  for _, tp in ipairs(TYPES) do
    for _, n in ipairs({1, 2, 5, 8}) do
      for _, cond in ipairs({1, 1e4}) do
        local eigs = {}
        for i = 1, n do eigs[i] = (i % 2 == 0 and -1 or 1) * (n == 1 and 1 or cond ^ (-(i - 1) / (n - 1))) end
        local a0 = symmetric(n, eigs):type(tp)
        table.sort(eigs)
        for li, a in ipairs(layouts(a0)) do
          local tag = string.format('%s n=%d cond %g layout %d', tp, n, cond, li)
          local tol = TOL[tp] * 10
          local e, v = torch.symeig(a, 'V')
          tester:eq(v:size():totable(), {n, n}, tag .. ' V size')
          tester:assert(diff(a * v, v * torch.diag(e)) < tol, tag .. ' A V = V diag(e)')
          tester:assert(orthonormal_err(v) < tol, tag .. ' V orthogonal')
          for i = 1, n do
            tester:assert(math.abs(e[i] - eigs[i]) < tol, tag .. ' eigenvalue ' .. i)
            if i > 1 then tester:assert(e[i] >= e[i - 1], tag .. ' ascending') end
          end
          -- lower triangle: the same
          local el, vl = torch.symeig(a, 'V', 'L')
          tester:assert(diff(el, e) < tol, tag .. " 'L' eigenvalues")
        end
      end
    end
  end
end

function T.symeig_known_and_triangles()
  for _, tp in ipairs(TYPES) do
    local a = torch.Tensor({{2, 1}, {1, 2}}):type(tp)
    local e, v = torch.symeig(a)
    tester:eq(e:double(), torch.DoubleTensor({1, 3}), 1e-6, tp .. ' eigenvalues of [[2,1],[1,2]]')
    tester:eq(v:nElement(), 0, tp .. " 'N': empty V")
    -- only the chosen triangle is read
    local up = torch.Tensor({{2, 1}, {99, 2}}):type(tp)
    local lo = torch.Tensor({{2, -99}, {1, 2}}):type(tp)
    tester:eq(torch.symeig(up, 'N', 'U'):double(), torch.DoubleTensor({1, 3}), 1e-6, tp .. " 'U' reads the upper triangle")
    tester:eq(torch.symeig(lo, 'N', 'L'):double(), torch.DoubleTensor({1, 3}), 1e-6, tp .. " 'L' reads the lower triangle")
    -- a rank-deficient one: eigenvalues 0, 0, 3 of the all-ones matrix
    local e3 = torch.symeig(torch.ones(3, 3):type(tp))
    tester:eq(e3:double(), torch.DoubleTensor({0, 0, 3}), 1e-5, tp .. ' ones(3,3)')
  end
  -- result forms and the method form
  local a = torch.DoubleTensor({{4, 1, 0}, {1, 3, 1}, {0, 1, 2}})
  local re, rv = torch.DoubleTensor(), torch.DoubleTensor(2)
  local e, v = torch.symeig(re, rv, a, 'V')
  tester:assert(e == re and v == rv, 'result tensors returned')
  tester:assert(diff(a * rv, rv * torch.diag(re)) < 1e-12, 'into rese, resv')
  local e2 = a:symeig()
  tester:eq(e2, re, 1e-12, 'a:symeig()')
end

---------------------------------------------------------------------------------- eig

-- eigenvalues as a list of {re, im}, sorted by real then imaginary part
local function sorted_pairs(e)
  local l = {}
  for i = 1, e:size(1) do l[i] = {e[i][1], e[i][2]} end
  table.sort(l, function(x, y) if math.abs(x[1] - y[1]) > 1e-6 then return x[1] < y[1] end return x[2] < y[2] end)
  return l
end

function T.eig_known()
  torch.manualSeed(31)
  for _, tp in ipairs(TYPES) do
    local tol = TOL[tp] * 100
    -- triangular: the diagonal
    local e = torch.eig(torch.Tensor({{1, 2}, {0, 3}}):type(tp))
    tester:eq(e:size():totable(), {2, 2}, tp .. ' e is n x 2')
    local l = sorted_pairs(e)
    tester:assert(math.abs(l[1][1] - 1) < tol and math.abs(l[2][1] - 3) < tol, tp .. ' triangular: 1, 3')
    tester:assert(math.abs(l[1][2]) < tol and math.abs(l[2][2]) < tol, tp .. ' triangular: real')
    -- a rotation: +-i
    local er = sorted_pairs(torch.eig(torch.Tensor({{0, -1}, {1, 0}}):type(tp)))
    tester:assert(math.abs(er[1][1]) < tol and math.abs(er[1][2] + 1) < tol and math.abs(er[2][2] - 1) < tol,
                  tp .. ' rotation: -i, i')
    -- Q B Q^T with B = [[2,-3],[3,2]] + [5]: eigenvalues 2 -+ 3i and 5
    local b = torch.DoubleTensor({{2, -3, 0}, {3, 2, 0}, {0, 0, 5}})
    local q = orth(3)
    local a = (q * b * q:t()):type(tp)
    for li, x in ipairs(layouts(a)) do
      local ev, v = torch.eig(x, 'V')
      local s = sorted_pairs(ev)
      local want = {{2, -3}, {2, 3}, {5, 0}}
      for i = 1, 3 do
        tester:assert(math.abs(s[i][1] - want[i][1]) < tol and math.abs(s[i][2] - want[i][2]) < tol,
                      tp .. ' layout ' .. li .. ' eigenvalue ' .. i)
      end
      -- eigenvectors: a real one satisfies A v = w v; a complex pair sits in columns
      -- j (real part) and j+1 (imaginary part): A (vr + i vi) = (wr + i wi)(vr + i vi)
      local j = 1
      while j <= 3 do
        local wr, wi = ev[j][1], ev[j][2]
        local vr = v:select(2, j)
        if math.abs(wi) < tol then
          tester:assert(diff(x * vr, vr * wr) < tol, tp .. ' real eigenvector ' .. j)
          j = j + 1
        else
          local vi = v:select(2, j + 1)
          tester:assert(diff(x * vr, vr * wr - vi * wi) < tol, tp .. ' complex eigenvector (real part) ' .. j)
          tester:assert(diff(x * vi, vr * wi + vi * wr) < tol, tp .. ' complex eigenvector (imaginary part) ' .. j)
          j = j + 2
        end
      end
    end
  end
  -- 'N': empty V; result forms
  local a = torch.DoubleTensor({{2, 0}, {0, 7}})
  local e, v = torch.eig(a)
  tester:eq(v:nElement(), 0, "'N': empty V")
  local re, rv = torch.DoubleTensor(5), torch.DoubleTensor()
  local e2, v2 = torch.eig(re, rv, a, 'V')
  tester:assert(e2 == re and v2 == rv, 'result tensors returned')
  tester:eq(sorted_pairs(re), {{2, 0}, {7, 0}}, 1e-12, 'into rese')
  tester:assert(diff(a * rv, rv * torch.diag(re:select(2, 1))) < 1e-12, 'into resv')
end

----------------------------------------------------------------------------------- qr

function T.qr_identities()
  torch.manualSeed(41)
  for _, tp in ipairs(TYPES) do
    for _, sz in ipairs({{1, 1}, {4, 4}, {6, 3}, {3, 6}}) do
      for _, cond in ipairs({1, 1e4}) do
        local m, n = sz[1], sz[2]
        local k = math.min(m, n)
        local a0 = with_singular(m, n, spread(k, cond)):type(tp)
        for li, a in ipairs(layouts(a0)) do
          local tag = string.format('%s %dx%d cond %g layout %d', tp, m, n, cond, li)
          local tol = TOL[tp] * 10
          local q, r = torch.qr(a)
          tester:eq(q:size():totable(), {m, k}, tag .. ' Q size')
          tester:eq(r:size():totable(), {k, n}, tag .. ' R size')
          tester:assert(diff(q * r, a) < tol, tag .. ' QR = A')
          tester:assert(orthonormal_err(q) < tol, tag .. ' Q orthonormal')
          tester:assert(is_upper(r, 0), tag .. ' R upper triangular')
        end
      end
    end
    -- rank deficient: still QR = A with orthonormal Q
    local a = torch.Tensor({{1, 2, 3}, {2, 4, 6}, {1, 0, 1}, {3, 6, 9}}):type(tp)
    local q, r = torch.qr(a)
    tester:assert(diff(q * r, a) < TOL[tp] * 100, tp .. ' rank deficient: QR = A')
    tester:assert(orthonormal_err(q) < TOL[tp] * 10, tp .. ' rank deficient: Q orthonormal')
  end
  -- result forms, method form
  local a = torch.DoubleTensor({{12, -51, 4}, {6, 167, -68}, {-4, 24, -41}})
  local rq, rr = torch.DoubleTensor(), torch.DoubleTensor(9)
  local q, r = torch.qr(rq, rr, a)
  tester:assert(q == rq and r == rr, 'result tensors returned')
  -- the classic example: |R| = [[14, 21, 14], [0, 175, 70], [0, 0, 35]]
  tester:eq(rr:clone():abs(), torch.DoubleTensor({{14, 21, 14}, {0, 175, 70}, {0, 0, 35}}), 1e-10, 'known R')
  local q2 = a:qr()
  tester:eq(q2, rq, 1e-12, 'a:qr()')
end

function T.geqrf_orgqr()
  torch.manualSeed(42)
  for _, tp in ipairs(TYPES) do
    for _, sz in ipairs({{4, 4}, {6, 3}, {5, 1}}) do
      local m, n = sz[1], sz[2]
      local a0 = torch.randn(m, n):type(tp)
      for li, a in ipairs(layouts(a0)) do
        local tag = string.format('%s %dx%d layout %d', tp, m, n, li)
        local tol = TOL[tp] * 10
        local ga, tau = torch.geqrf(a)
        tester:eq(ga:size():totable(), {m, n}, tag .. ' a size')
        tester:eq(tau:size():totable(), {n}, tag .. ' tau size')
        local q, r = torch.qr(a)
        tester:assert(diff(torch.orgqr(ga, tau), q) < tol, tag .. " orgqr(geqrf(A)) = qr's Q")
        tester:assert(diff(torch.orgqr(ga:contiguous(), tau), q) < tol, tag .. ' orgqr of a row-major a')
        tester:assert(diff(torch.triu(ga:narrow(1, 1, math.min(m, n))), r) < tol, tag .. " geqrf's upper triangle = qr's R")
      end
    end
    -- a wide matrix: geqrf works, R is m x n; orgqr keeps a's size (Torch7's, which calls
    -- ?orgqr(m, k, k) on a copy of a): its first m columns are qr's Q, the others a's
    for _, sz in ipairs({{2, 4}, {3, 5}, {1, 3}}) do
      local m, n = sz[1], sz[2]
      local w0 = torch.randn(m, n):type(tp)
      for li, w in ipairs(layouts(w0)) do
        local tag = string.format('%s wide %dx%d layout %d', tp, m, n, li)
        local tol = TOL[tp] * 10
        local gw, tw = torch.geqrf(w)
        tester:eq(tw:size():totable(), {m}, tag .. ': tau size')
        local q, r = torch.qr(w)
        for _, ga in ipairs({gw, gw:contiguous()}) do
          local o = torch.orgqr(ga, tw)
          tester:eq(o:size():totable(), {m, n}, tag .. ": orgqr's result has a's size")
          tester:assert(diff(o:narrow(2, 1, m), q) < tol, tag .. ": orgqr's first m columns = qr's Q")
          tester:eq(o:narrow(2, m + 1, n - m), ga:narrow(2, m + 1, n - m), 0, tag .. ": the columns past m are a's")
          tester:assert(diff(o:narrow(2, 1, m) * torch.triu(ga), w) < tol, tag .. ': Q triu(a) = A')
        end
      end
      -- fewer reflectors than rows: the first m columns are their product, the Q that ormqr
      -- applies (Q I)
      if m > 1 then
        local gw, tw = torch.geqrf(w0)
        local t1 = tw:narrow(1, 1, m - 1)
        local o = torch.orgqr(gw, t1)
        tester:assert(diff(o:narrow(2, 1, m), torch.ormqr(gw, t1, eye(m, tp))) < TOL[tp] * 10,
                      tp .. ' wide, ' .. (m - 1) .. ' reflectors: orgqr = ormqr(a, tau, I)')
      end
    end
  end
  -- result forms
  local a = torch.randn(4, 3):double()
  local ra, rt = torch.DoubleTensor(), torch.DoubleTensor()
  local x, y = torch.geqrf(ra, rt, a)
  tester:assert(x == ra and y == rt, 'geqrf result tensors returned')
  local rq = torch.DoubleTensor(1, 1)
  tester:assert(torch.orgqr(rq, ra, rt) == rq, 'orgqr result tensor returned')
  tester:assert(orthonormal_err(rq) < 1e-12, 'orgqr into res')
  tester:eq(ra:orgqr(rt), rq, 1e-14, 'a:orgqr(tau)')
end

function T.ormqr()
  torch.manualSeed(43)
  for _, tp in ipairs(TYPES) do
    local m, n = 5, 3
    local tol = TOL[tp] * 10
    local a = torch.randn(m, n):type(tp)
    local ga, tau = torch.geqrf(a)
    -- the full m x m Q from orgqr on a padded to m columns (its n reflectors)
    local pad = torch.zeros(m, m):type(tp)
    pad:narrow(2, 1, n):copy(ga)
    local Q = torch.orgqr(pad, tau)
    tester:assert(orthonormal_err(Q) < tol, tp .. ' full Q orthogonal')
    local cl = torch.randn(m, 4):type(tp)     -- Q applied on the left
    local cr = torch.randn(2, m):type(tp)     -- on the right
    for li, c in ipairs(layouts(cl)) do
      tester:assert(diff(torch.ormqr(ga, tau, c), Q * c) < tol, tp .. ' layout ' .. li .. ' Q C')
      tester:assert(diff(torch.ormqr(ga, tau, c, 'L', 'T'), Q:t() * c) < tol, tp .. ' layout ' .. li .. ' Q^T C')
    end
    tester:assert(diff(torch.ormqr(ga, tau, cr, 'R'), cr * Q) < tol, tp .. ' C Q')
    tester:assert(diff(torch.ormqr(ga, tau, cr, 'R', 'T'), cr * Q:t()) < tol, tp .. ' C Q^T')
    -- Q^T A = R
    local r = torch.ormqr(ga, tau, a, 'L', 'T')
    tester:assert(diff(r:narrow(1, 1, n), torch.triu(ga:narrow(1, 1, n))) < tol, tp .. ' Q^T A = R')
    tester:assert(maxabs(r:narrow(1, n + 1, m - n)) < tol, tp .. ' Q^T A: zeros below R')
  end
  local a = torch.randn(4, 2):double()
  local ga, tau = torch.geqrf(a)
  local c = torch.randn(4, 3):double()
  local res = torch.DoubleTensor()
  tester:assert(torch.ormqr(res, ga, tau, c) == res, 'result tensor returned')
  tester:eq(res, torch.ormqr(ga, tau, c), 1e-14, 'into res')
  tester:eq(ga:ormqr(tau, c, 'L', 'N'), res, 1e-14, 'method form')
end

----------------------------------------------------------------------------- pinverse

local function penrose(a, x, tol, tag)
  tester:assert(diff(a * x * a, a) < tol, tag .. ' A X A = A')
  tester:assert(diff(x * a * x, x) < tol, tag .. ' X A X = X')
  local ax, xa = a * x, x * a
  tester:assert(diff(ax, ax:t()) < tol, tag .. ' A X symmetric')
  tester:assert(diff(xa, xa:t()) < tol, tag .. ' X A symmetric')
end

function T.pinverse()
  torch.manualSeed(51)
  for _, tp in ipairs(TYPES) do
    local tol = TOL[tp] * 100
    for _, sz in ipairs({{4, 4}, {6, 3}, {3, 6}}) do
      local m, n = sz[1], sz[2]
      local a = with_singular(m, n, spread(math.min(m, n), 100)):type(tp)
      for li, x in ipairs(layouts(a)) do
        local p = torch.pinverse(x)
        tester:eq(p:size():totable(), {n, m}, tp .. ' size')
        penrose(x, p, tol, string.format('%s %dx%d layout %d', tp, m, n, li))
      end
    end
    -- invertible: the inverse
    local sq = torch.Tensor({{4, 7}, {2, 6}}):type(tp)
    tester:eq(torch.pinverse(sq):double(), torch.DoubleTensor({{0.6, -0.7}, {-0.2, 0.4}}), 1e-5, tp .. ' inverse')
    -- rank deficient (rank 2 of 5 x 4)
    local r2 = with_singular(5, 4, {3, 1, 0, 0}):type(tp)
    penrose(r2, torch.pinverse(r2, 1e-5), tol, tp .. ' rank 2')
  end
  -- rcond cuts small singular values: diag(1, 1e-20) -> diag(1, 0)
  local d = torch.DoubleTensor({{1, 0}, {0, 1e-20}})
  tester:eq(torch.pinverse(d), torch.DoubleTensor({{1, 0}, {0, 0}}), 1e-12, 'default rcond cuts 1e-20')
  tester:eq(torch.pinverse(d, 0), torch.DoubleTensor({{1, 0}, {0, 1e20}}), 1e8, 'rcond 0 keeps it')
  local res = torch.DoubleTensor()
  tester:assert(torch.pinverse(res, d) == res, 'result tensor returned')
  tester:eq(d:pinverse(), res, 0, 'method form')
  tester:eq(torch.pinverse(torch.DoubleTensor(0, 3)):size():totable(), {3, 0}, 'empty')
  -- the default rcond is max(m, n) * eps of a's type (torch.linalg.pinv's): float32's
  -- rounding noise in a rank-1 matrix's second singular value is cut (1e-15 would keep it:
  -- ~1e7 entries)
  local r1 = torch.FloatTensor({{1, 2}, {2, 4}})
  tester:eq(torch.pinverse(r1), r1 / 25, 1e-6, 'float32 rank 1: A / 25')
  tester:eq(torch.pinverse(r1:double()), r1:double() / 25, 1e-12, 'float64 rank 1: A / 25')
  -- the threshold itself: s = 2.5 eps is kept by a 2x2 matrix (2 eps) and cut by a 3x2 one
  -- (3 eps)
  for _, tp in ipairs(TYPES) do
    local eps = tp == 'torch.FloatTensor' and 2 ^ -23 or 2 ^ -52
    local sq = torch.Tensor({{1, 0}, {0, 2.5 * eps}}):type(tp)
    local tall = torch.Tensor({{1, 0}, {0, 2.5 * eps}, {0, 0}}):type(tp)
    local kept = torch.pinverse(sq)[2][2]
    tester:assert(math.abs(kept * 2.5 * eps - 1) < 1e-5, tp .. ' 2x2: 2.5 eps kept, got 1/s = ' .. kept)
    tester:eq(torch.pinverse(tall)[2][2], 0, 0, tp .. ' 3x2: 2.5 eps cut')
    tester:eq(torch.pinverse(tall, 0)[2][2], kept, kept * 1e-5, tp .. ' 3x2, rcond 0: kept')
  end
end

------------------------------------------------------------------------------- errors

function T.errors()
  local f = torch.FloatTensor(3, 3):fill(1)
  local d = torch.DoubleTensor(3, 3):fill(1)
  for _, name in ipairs({'svd', 'symeig', 'eig', 'qr', 'geqrf', 'pinverse'}) do
    tester:assertErrorPattern(function() torch[name](torch.LongTensor(3, 3)) end,
                              'torch%.' .. name .. ': a must be a FloatTensor or DoubleTensor', name .. ' integer')
    tester:assertErrorPattern(function() torch[name](torch.DoubleTensor(3)) end,
                              'torch%.' .. name .. ': a must be a 2%-D matrix', name .. ' 1-D')
    tester:assertErrorPattern(function() torch[name](torch.DoubleTensor(2, 2):fill(0 / 0)) end,
                              'torch%.' .. name .. ': a contains NaN', name .. ' NaN')
    tester:assertErrorPattern(function() torch[name](torch.DoubleTensor(2, 2):fill(math.huge)) end,
                              'torch%.' .. name .. ': a contains Inf', name .. ' Inf')
    tester:assertErrorPattern(function() torch[name]('x') end, "bad arguments to 'torch%." .. name .. "'", name .. ' no tensor')
  end
  tester:assertErrorPattern(function() torch.symeig(torch.DoubleTensor(2, 3)) end, 'torch%.symeig: a must be a square matrix', 'symeig square')
  tester:assertErrorPattern(function() torch.eig(torch.DoubleTensor(2, 3)) end, 'torch%.eig: a must be a square matrix', 'eig square')
  tester:assertErrorPattern(function() torch.svd(d, 'X') end, "jobu must be 'S' or 'A'", 'svd option')
  tester:assertErrorPattern(function() torch.symeig(d, 'V', 'X') end, "uplo must be 'U' or 'L'", 'symeig uplo')
  tester:assertErrorPattern(function() torch.symeig(d, 'X') end, "jobz must be 'N' or 'V'", 'symeig jobz')
  tester:assertErrorPattern(function() torch.eig(d, 3) end, "jobvr must be 'N' or 'V'", 'eig option')
  tester:assertErrorPattern(function() torch.svd(d, 'S', 'extra') end, "expected", 'svd extra argument')
  tester:assertErrorPattern(function() torch.svd(torch.FloatTensor(), torch.DoubleTensor(), torch.DoubleTensor(), d) end,
                            'torch%.svd: result tensor resu is FloatTensor, expected DoubleTensor', 'svd result type')
  tester:assertErrorPattern(function() torch.pinverse(d, -1) end, 'torch%.pinverse: rcond must be a non%-negative number', 'pinverse rcond')
  tester:assertErrorPattern(function() torch.pinverse(d, 'x') end, 'rcond must be a number', 'pinverse rcond type')
  -- orgqr / ormqr shapes and types
  local ga, tau = torch.geqrf(torch.randn(4, 3):double())
  tester:assertErrorPattern(function() torch.orgqr(ga:t():narrow(1, 1, 2), tau) end,
                            'torch%.orgqr: tau has 3 reflectors, more than a %(2x4%) holds', 'orgqr wide, tau too long')
  tester:assertErrorPattern(function() torch.orgqr(ga, tau:float()) end, "torch%.orgqr: tau must have a's type", 'orgqr tau type')
  tester:assertErrorPattern(function() torch.orgqr(ga, torch.DoubleTensor(5)) end, 'torch%.orgqr: tau has 5 reflectors', 'orgqr tau size')
  tester:assertErrorPattern(function() torch.orgqr(ga, ga) end, 'torch%.orgqr: tau must be 1%-D', 'orgqr tau 2-D')
  tester:assertErrorPattern(function() torch.ormqr(ga, tau, torch.randn(3, 2):double()) end, 'torch%.ormqr: a has 4 rows', 'ormqr shape')
  tester:assertErrorPattern(function() torch.ormqr(ga, tau, torch.randn(4, 2):float()) end, "torch%.ormqr: c must have a's type", 'ormqr c type')
  tester:assertErrorPattern(function() torch.ormqr(ga, tau, torch.randn(4, 2):double(), 'X') end, "side must be 'L' or 'R'", 'ormqr side')
  tester:assertErrorPattern(function() torch.ormqr(ga, tau) end, "bad arguments to 'torch%.ormqr'", 'ormqr missing c')
  -- a result tensor of another type
  tester:assertErrorPattern(function() torch.qr(torch.DoubleTensor(), torch.FloatTensor(), f) end,
                            'torch%.qr: result tensor resq is DoubleTensor, expected FloatTensor', 'qr result type')
end

-- CUDA tensors (results, mixed devices): tests/lua/test_cuda_lapack_decomp.lua

---------------------------------------------------------------------------- gradients

-- sign-independent functions of the factors: columns of U and V are defined up to sign
function T.svd_gradients()
  torch.manualSeed(61)
  for _, sz in ipairs({{4, 4}, {5, 3}, {3, 5}}) do
    local m, n = sz[1], sz[2]
    local k = math.min(m, n)
    local x = with_singular(m, n, spread(k, 10))   -- distinct singular values
    x.requiresGrad = true
    local W, W2, c = torch.randn(m, k):double(), torch.randn(n, k):double(), torch.randn(k):double()
    local tag = m .. 'x' .. n
    local function check(name, f)
      local ok, msg = torch.gradcheck(f, {x}, 1e-6, 1e-6)
      tester:assert(ok, tag .. ' ' .. name .. ': ' .. tostring(msg))
    end
    check('S', function(a) local _, s = torch.svd(a); return s end)
    check('U', function(a) local u = torch.svd(a); return torch.cmul(torch.cmul(u, u), W) end)
    check('V', function(a) local _, _, v = torch.svd(a); return torch.cmul(torch.cmul(v, v), W2) end)
    check('U diag(c) V^T', function(a)
      local u, _, v = torch.svd(a)
      return torch.mm(torch.cmul(u, c:view(1, k):expandAs(u)), v:t())
    end)
    check("'A' (first k columns)", function(a)
      local u, s, v = torch.svd(a, 'A')
      return {s, torch.cmul(torch.cmul(u:narrow(2, 1, k), u:narrow(2, 1, k)), W),
              torch.cmul(torch.cmul(v:narrow(2, 1, k), v:narrow(2, 1, k)), W2)}
    end)
    check('pinverse', function(a) return torch.pinverse(a) end)
  end
  -- a hand-checked value: d s1 / dA = u1 v1^T
  local a = torch.DoubleTensor({{3, 0}, {0, 1}})
  a.requiresGrad = true
  local _, s = torch.svd(a)
  s:narrow(1, 1, 1):sum():backward()
  tester:eq(a.grad, torch.DoubleTensor({{1, 0}, {0, 0}}), 1e-12, 'd s1/dA = u1 v1^T')
end

function T.symeig_gradients()
  torch.manualSeed(62)
  for _, n in ipairs({1, 3, 5}) do
    local x = torch.randn(n, n):double()
    x.requiresGrad = true
    local W = torch.randn(n, n):double()
    local function check(name, f)
      local ok, msg = torch.gradcheck(f, {x}, 1e-6, 1e-6)
      tester:assert(ok, 'n=' .. n .. ' ' .. name .. ': ' .. tostring(msg))
    end
    -- symmetric inputs X + X^T (symeig reads one triangle)
    check('e (eigenvalues only)', function(a) return torch.symeig(a + a:t()) end)
    check('e, V', function(a)
      local e, v = torch.symeig(a + a:t(), 'V')
      return {e, torch.cmul(torch.cmul(v, v), W)}
    end)
    check("V, 'L'", function(a)
      local _, v = torch.symeig(a + a:t(), 'V', 'L')
      return torch.cmul(torch.cmul(v, v), W)
    end)
  end
  -- on a symmetric leaf the gradient is the symmetric one (PyTorch's): half the gradient
  -- through X + X^T at X = A/2
  local a0 = symmetric(4, {-2, 0.5, 1, 3})
  local W = torch.randn(4, 4):double()
  local function loss(e, v) return torch.cmul(torch.cmul(v, v), W):sum() + e:sum() * 0.3 end
  local a = a0:clone()
  a.requiresGrad = true
  loss(torch.symeig(a, 'V')):backward()
  local x = a0:clone() * 0.5
  x.requiresGrad = true
  loss(torch.symeig(x + x:t(), 'V')):backward()
  tester:eq(a.grad, a.grad:t(), 1e-12, 'gradient on A symmetric')
  tester:eq(a.grad, x.grad * 0.5, 1e-10, 'gradient on A = half that through X + X^T')
  -- d e_i / dA = v_i v_i^T
  local a = torch.DoubleTensor({{2, 0}, {0, 5}})
  a.requiresGrad = true
  local e = torch.symeig(a)
  e:narrow(1, 2, 1):sum():backward()
  tester:eq(a.grad, torch.DoubleTensor({{0, 0}, {0, 1}}), 1e-12, 'd e2/dA = v2 v2^T')
end

-- qr: PyTorch's formula (linalg.qr, 'reduced'), tall, square and wide (A = [X | Y] split),
-- through Q only, R only and both. Random Gaussian inputs have independent columns. Q's
-- column signs follow R's diagonal (LAPACK's), a fixed choice, so any function of Q and R
-- is differentiable.
function T.qr_gradients()
  torch.manualSeed(64)
  for _, sz in ipairs({{5, 3}, {4, 4}, {3, 5}, {4, 1}, {1, 4}, {1, 1}}) do
    local m, n = sz[1], sz[2]
    local k = math.min(m, n)
    local x = torch.randn(m, n):double()
    x.requiresGrad = true
    local W1, W2 = torch.randn(m, k):double(), torch.randn(k, n):double()
    local tag = m .. 'x' .. n
    local function check(name, f)
      local ok, msg = torch.gradcheck(f, {x}, 1e-6, 1e-6)
      tester:assert(ok, tag .. ' ' .. name .. ': ' .. tostring(msg))
    end
    check('Q', function(a) local q = torch.qr(a); return torch.cmul(q, W1) end)
    check('R', function(a) local _, r = torch.qr(a); return torch.cmul(r, W2) end)
    check('Q and R', function(a)
      local q, r = torch.qr(a)
      return {torch.cmul(q, W1), torch.cmul(r, W2)}
    end)
    -- one scalar loss through both, backward against the sum of the two gradchecked parts
    local q, r = torch.qr(x)
    local loss = torch.cmul(q, W1):sum() + torch.cmul(r, W2):sum()
    loss:backward()
    local g = x.grad:clone()
    x.grad = nil
    local q1 = torch.qr(x)
    torch.cmul(q1, W1):sum():backward()
    local gq = x.grad:clone()
    x.grad = nil
    local _, r1 = torch.qr(x)
    torch.cmul(r1, W2):sum():backward()
    tester:eq(g, gq + x.grad, 1e-10, tag .. ': the gradient through Q and R is the sum of the two')
    x.grad = nil
  end
  -- hand-checked values. A column a: R = (+-|a|), Q = a / R, so d R / da = Q and Q's sum
  -- q1 + q2 has gradient (I - Q Q^T) 1 / R
  local a = torch.DoubleTensor({{3}, {4}})
  a.requiresGrad = true
  local q, r = torch.qr(a)
  r:sum():backward()
  tester:eq(a.grad, q:detach(), 1e-12, 'd R / da = Q for a column')
  a.grad = nil
  q, r = torch.qr(a)
  q:sum():backward()
  local Q, R = q:detach(), r:detach()[1][1]
  local want = (torch.ones(2, 1):double() - Q * (Q:t() * torch.ones(2, 1):double())) / R
  tester:eq(a.grad, want, 1e-12, 'd sum(Q) / da = (I - Q Q^T) 1 / R')
  -- a row [x y]: Q = (1) (a constant), R = [x y], so d sum(R) / da = [1 1], d sum(Q) / da = 0
  local w = torch.DoubleTensor({{-2, 5}})
  w.requiresGrad = true
  q, r = torch.qr(w)
  tester:eq(q:detach(), torch.DoubleTensor({{1}}), 0, 'Q of a row')
  local l = q:sum() * 3 + r:sum()
  l:backward()
  tester:eq(w.grad, torch.DoubleTensor({{1, 1}}), 1e-12, 'd (3 sum(Q) + sum(R)) / da for a row')
  -- empty matrices: a zero gradient of a's shape
  for _, sz in ipairs({{0, 3}, {3, 0}}) do
    local e = torch.DoubleTensor(sz[1], sz[2])
    e.requiresGrad = true
    local qe, re = torch.qr(e)
    local le = qe:sum() + re:sum()
    le:backward()
    tester:eq(e.grad:size():totable(), sz, 'empty ' .. sz[1] .. 'x' .. sz[2] .. ': gradient of its size')
  end
  -- result tensors: the same gradient
  local x = torch.randn(4, 3):double()
  x.requiresGrad = true
  local W = torch.randn(3, 3):double()
  local _, r2 = torch.qr(x)
  torch.cmul(r2, W):sum():backward()
  local g0 = x.grad:clone()
  x.grad = nil
  local rq, rr = torch.DoubleTensor(), torch.DoubleTensor()
  torch.qr(rq, rr, x)
  torch.cmul(rr, W):sum():backward()
  tester:eq(x.grad, g0, 1e-12, 'qr(resq, resr, a): the same gradient')
  -- a rank-deficient a (an exactly zero diagonal in R): an error at backward naming qr
  local s = torch.DoubleTensor({{1, 0}, {0, 0}})
  s.requiresGrad = true
  local qs = torch.qr(s)
  tester:assertErrorPattern(function() qs:sum():backward() end,
                            "torch%.qr: backward: R's first 2 columns are singular", 'rank-deficient a')
end

-- eig: PyTorch's formula (linalg_eig_backward) for real, distinct eigenvalues, through e
-- only, V only and both. V's columns have 2-norm 1 (LAPACK's), their signs LAPACK's choice:
-- losses through V are sign-independent (v o v). e's imaginary column gets no gradient.

-- S diag(l) S^-1 with a well-conditioned S: real eigenvalues l, a non-symmetric matrix
local function with_eigs(l)
  local n = #l
  local S = orth(n) + eye(n) * 0.5
  return S * torch.diag(torch.DoubleTensor(l)) * torch.inverse(S)
end

function T.eig_gradients()
  torch.manualSeed(65)
  local inputs = {
    {'1x1', torch.DoubleTensor({{-0.7}})},
    {'S diag(l) S^-1 3x3', with_eigs({-1.5, 0.5, 2})},
    {'S diag(l) S^-1 5x5', with_eigs({-2, -0.5, 1, 1.8, 3})},
  }
  -- upper triangular with distinct diagonal, plus a small perturbation
  local up = torch.triu(torch.randn(4, 4):double()) + torch.diag(torch.DoubleTensor({-3, -1, 1, 3}))
  inputs[#inputs + 1] = {'triangular + perturbation 4x4', up + torch.randn(4, 4):double() * 0.05}
  for _, it in ipairs(inputs) do
    local tag, x = it[1], it[2]:clone()
    local n = x:size(1)
    x.requiresGrad = true
    local W = torch.randn(n, n):double()
    local function check(name, f)
      local ok, msg = torch.gradcheck(f, {x}, 1e-6, 1e-6)
      tester:assert(ok, tag .. ' ' .. name .. ': ' .. tostring(msg))
    end
    check('e (eigenvalues only)', function(a) return torch.eig(a) end)
    check("e of 'V'", function(a) local e = torch.eig(a, 'V'); return e end)
    check('V', function(a) local _, v = torch.eig(a, 'V'); return torch.cmul(torch.cmul(v, v), W) end)
    check('e and V', function(a)
      local e, v = torch.eig(a, 'V')
      return {e, torch.cmul(torch.cmul(v, v), W)}
    end)
    -- sum of the eigenvalues = trace: the gradient is I; the imaginary column gives 0
    local e = torch.eig(x)
    e:select(2, 1):sum():backward()
    tester:eq(x.grad, eye(n), 1e-10, tag .. ': d sum(e) / dA = I')
    x.grad = nil
    e = torch.eig(x, 'V')
    e:select(2, 2):sum():backward()
    tester:eq(x.grad, torch.zeros(n, n):double(), 0, tag .. ': the imaginary column: zero gradient')
    x.grad = nil
  end
  -- a hand-checked value: A = [[1, 2], [0, 3]], eigenvalue 1 has right eigenvector
  -- v = (1, 0) and left w = (1, -1) (w^T A = w^T), so d l / dA = w v^T / (w^T v)
  local a = torch.DoubleTensor({{1, 2}, {0, 3}})
  a.requiresGrad = true
  local e = torch.eig(a)
  local i = math.abs(e[1][1] - 1) < 1e-12 and 1 or 2
  tester:assert(math.abs(e[i][1] - 1) < 1e-12, 'eigenvalue 1 found')
  e:narrow(1, i, 1):narrow(2, 1, 1):sum():backward()
  tester:eq(a.grad, torch.DoubleTensor({{1, 0}, {-1, 0}}), 1e-12, 'd l1 / dA = w v^T')
  -- result tensors: the same gradient
  local x = with_eigs({-1, 2, 4})
  x.requiresGrad = true
  local W = torch.randn(3, 3):double()
  local function loss(ee, v)
    local w = W:typeAs(v)
    return torch.cmul(torch.cmul(v, v), w):sum() + ee:select(2, 1):dot(w:select(2, 1))
  end
  loss(torch.eig(x, 'V')):backward()
  local g0 = x.grad:clone()
  x.grad = nil
  local re, rv = torch.DoubleTensor(), torch.DoubleTensor()
  torch.eig(re, rv, x, 'V')
  loss(re, rv):backward()
  tester:eq(x.grad, g0, 1e-12, 'eig(rese, resv, a): the same gradient')
  -- float32: the formula in float, against the float64 gradient
  local xf = x:detach():float()
  xf.requiresGrad = true
  loss(torch.eig(xf, 'V')):backward()
  tester:eq(xf.grad:double(), g0, 1e-3, 'float32 gradient')
  -- an empty matrix: an empty gradient
  local z = torch.DoubleTensor(0, 0)
  z.requiresGrad = true
  local ez, vz = torch.eig(z, 'V')
  ;(ez:sum() + vz:sum()):backward()
  tester:eq(z.grad:size():totable(), {0, 0}, 'empty: a 0x0 gradient')
end

-- no gradient where it is not defined: complex eigenvalues, repeated ones; an error at
-- backward naming torch.eig, through e and through V
function T.eig_gradient_errors()
  local cases = {
    -- a rotation next to 2: eigenvalues +-i, 2
    {torch.DoubleTensor({{0, -1, 0}, {1, 0, 0}, {0, 0, 2}}), 'torch%.eig: backward: complex eigenvalues: no gradient', 'complex'},
    -- diagonal with a repeated value (V = I: F infinite)
    {torch.DoubleTensor({{2, 0, 0}, {0, 5, 0}, {0, 0, 2}}), 'torch%.eig: backward: repeated eigenvalues: no gradient', 'repeated'},
    -- a Jordan block (defective): the eigenvalue 1 twice
    {torch.DoubleTensor({{1, 1}, {0, 1}}), 'torch%.eig: backward: repeated eigenvalues: no gradient', 'defective'},
  }
  for _, c in ipairs(cases) do
    local a = c[1]:clone()
    a.requiresGrad = true
    local e = torch.eig(a)
    tester:assertErrorPattern(function() e:select(2, 1):sum():backward() end, c[2], c[3] .. ': through e')
    local _, v = torch.eig(a, 'V')
    tester:assertErrorPattern(function() v:sum():backward() end, c[2], c[3] .. ': through V')
  end
end

-- second derivatives: gradgradcheck checks the gradient computed with createGraph (itself
-- differentiated by backward) against finite differences of the gradient
function T.second_derivatives()
  torch.manualSeed(63)
  local function check(tag, f, x)
    local ok, msg = torch.gradgradcheck(f, {x}, 1e-6, 1e-5)
    tester:assert(ok, tag .. ': ' .. tostring(msg))
  end
  for _, sz in ipairs({{3, 3}, {4, 2}, {2, 4}}) do
    local m, n = sz[1], sz[2]
    local k = math.min(m, n)
    local x = with_singular(m, n, spread(k, 10))
    x.requiresGrad = true
    local W, W2 = torch.randn(m, k):double(), torch.randn(n, k):double()
    local tag = 'svd ' .. m .. 'x' .. n
    check(tag .. ' S', function(a) local _, s = torch.svd(a); return s end, x)
    check(tag .. ' U', function(a) local u = torch.svd(a); return torch.cmul(torch.cmul(u, u), W) end, x)
    check(tag .. ' V', function(a) local _, _, v = torch.svd(a); return torch.cmul(torch.cmul(v, v), W2) end, x)
    check(tag .. " 'A'", function(a)
      local u, s, v = torch.svd(a, 'A')
      return {s, torch.cmul(torch.cmul(u:narrow(2, 1, k), u:narrow(2, 1, k)), W),
              torch.cmul(torch.cmul(v:narrow(2, 1, k), v:narrow(2, 1, k)), W2)}
    end, x)
    check('pinverse ' .. m .. 'x' .. n, function(a) return torch.pinverse(a) end, x)
  end
  local x = torch.randn(3, 3):double()
  x.requiresGrad = true
  local W = torch.randn(3, 3):double()
  check('symeig e', function(a) return torch.symeig(a + a:t()) end, x)
  check('symeig e, V', function(a)
    local e, v = torch.symeig(a + a:t(), 'V')
    return {e, torch.cmul(torch.cmul(v, v), W)}
  end, x)
  check("symeig V, 'L'", function(a)
    local _, v = torch.symeig(a + a:t(), 'V', 'L')
    return torch.cmul(torch.cmul(v, v), W)
  end, x)
  -- eig, through e and V, a non-symmetric matrix with real, distinct eigenvalues
  local xe = with_eigs({-1.5, 0.5, 2})
  xe.requiresGrad = true
  check('eig e', function(a) return torch.eig(a) end, xe)
  check('eig e, V', function(a)
    local e, v = torch.eig(a, 'V')
    return {e, torch.cmul(torch.cmul(v, v), W)}
  end, xe)
  -- qr, through both factors, a tall and a wide input
  for _, sz in ipairs({{3, 2}, {2, 3}}) do
    local m, n = sz[1], sz[2]
    local k = math.min(m, n)
    local y = torch.randn(m, n):double()
    y.requiresGrad = true
    local W1, W2 = torch.randn(m, k):double(), torch.randn(k, n):double()
    check('qr Q and R ' .. m .. 'x' .. n, function(a)
      local q, r = torch.qr(a)
      return {torch.cmul(q, W1), torch.cmul(r, W2)}
    end, y)
  end
  -- a hand-checked second derivative: s1 = |a| of a 1 x 2 row a, whose Hessian is
  -- (I - a a^T / |a|^2) / |a|: at a = (3, 4), d/da of sum(d s1 / da) = ((16 - 12), (9 - 12)) / 125
  local a = torch.DoubleTensor({{3, 4}})
  a.requiresGrad = true
  local _, s = torch.svd(a)
  local g = torch.grad({s:sum()}, {a}, nil, {createGraph = true})[1]
  tester:eq(g, torch.DoubleTensor({{0.6, 0.8}}), 1e-12, 'd |a| / da = a / |a|')
  local h = torch.grad({g:sum()}, {a})[1]
  tester:eq(h, torch.DoubleTensor({{4, -3}}) / 125, 1e-12, 'second derivative of |a|')
  -- the factors are recomputed from the input then: changed in place since, it is an error
  local y = torch.randn(3, 3):double()
  y.requiresGrad = true
  local b = y * 1
  local _, s2 = torch.svd(b)
  b:add(1)
  tester:assertErrorPattern(function() torch.grad({s2:sum()}, {y}, nil, {createGraph = true}) end,
                            'SvdBackward needs was modified by an in%-place operation', 'createGraph after an in-place change')
end

function T.backward_not_implemented()
  local a = torch.randn(3, 3):double()
  a.requiresGrad = true
  -- qr has a formula now: no error, a gradient
  local q, r = torch.qr(a)
  tester:assert(q.requiresGrad and r.requiresGrad, 'qr outputs have history')
  local ok, err = pcall(function() q:sum():backward() end)
  tester:assert(ok, 'qr backward runs: ' .. tostring(err))
  tester:assert(a.grad ~= nil and a.grad:size(1) == 3, 'qr backward gives a gradient')
  local gm, gtau = torch.geqrf(a)
  tester:assertErrorPattern(function() gm:sum():backward() end, 'torch%.geqrf has no backward formula', 'geqrf backward')
  tester:assertErrorPattern(function() gtau:sum():backward() end, 'torch%.geqrf has no backward formula', 'geqrf tau backward')
  -- eig has one too (real, distinct eigenvalues): a gradient, where random a's may not
  local xe = with_eigs({-1, 1, 2})
  xe.requiresGrad = true
  local e = torch.eig(xe)
  local ok2, err2 = pcall(function() e:sum():backward() end)
  tester:assert(ok2 and xe.grad ~= nil, 'eig backward gives a gradient: ' .. tostring(err2))
  local ga, tau = torch.geqrf(a)
  tester:assertErrorPattern(function() torch.orgqr(ga, tau):sum():backward() end, 'has no backward formula', 'orgqr backward')
  -- without grad, nothing is recorded
  torch.noGrad(function()
    local q2 = torch.qr(a)
    tester:assert(not q2.requiresGrad, 'no grad mode: no history')
  end)
end

tester:add(T)
return tester
