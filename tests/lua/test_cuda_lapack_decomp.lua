-- The CUDA paths of the decompositions (tensor/lapack_decomp.c; each LAPACK routine run by
-- lt_lapack_run: cuSOLVER, or a CPU round trip for what cuSOLVER lacks): symeig, eig, svd,
-- qr, geqrf, orgqr, ormqr, pinverse on CudaTensor and CudaDoubleTensor, compared with the
-- CPU on tall, wide and square sizes, contiguous and non-contiguous inputs, result tensors.
-- What is unique is compared directly (eigenvalues, singular values, pinverse, orgqr and
-- ormqr of the same reflectors); factors defined up to sign through their identities
-- (U S V^T = A, Q R = A, A V = V diag(e), orthonormal columns) on the GPU's results;
-- gradients of svd, symeig, qr and pinverse (sign-independent losses, well-separated
-- spectra) and of eig (real, distinct eigenvalues), CUDA backward against CPU backward,
-- and second derivatives of svd, qr and eig. Skipped (with the reason) where no GPU is present.
local tester = torch.Tester()
local ok, why = torch.cudaAvailable()
if not ok then
  tester.skipReason = 'no GPU: ' .. tostring(why)
  return tester
end
local T = torch.TestSuite()

local function gpu(t) return t:cuda() end
local function on_gpu(t) return t:type():find('Cuda') ~= nil end

local TYPES = {'torch.FloatTensor', 'torch.DoubleTensor'}
-- relative tolerances: values compared with the CPU's, and identities on the GPU's factors
local TOL = {['torch.FloatTensor'] = 2e-4, ['torch.DoubleTensor'] = 1e-10}
local ID_TOL = {['torch.FloatTensor'] = 2e-3, ['torch.DoubleTensor'] = 1e-9}

local function maxabs(t) return t:nElement() == 0 and 0 or torch.abs(t):max() end
-- a CPU float64 copy (of a tensor on any device), without history
local function host(t) return t:detach():double() end

-- g (on the GPU) against c (CPU): sizes, then max |g - c| relative to max(1, max |c|)
local function close(g, c, tol, what)
  tester:assert(on_gpu(g), what .. ': result on the GPU (got ' .. g:type() .. ')')
  local gd, cd = host(g), host(c)
  tester:eq(gd:size(), cd:size(), 0, what .. ': size')
  if cd:nElement() == 0 or gd:nElement() ~= cd:nElement() then return end
  local err = maxabs(gd - cd) / math.max(1, maxabs(cd))
  tester:assert(err <= tol, string.format('%s (err %g, tol %g)', what, err, tol))
end
-- an identity's residual (a CPU double tensor) relative to the scale of its terms
local function small(resid, scale, tol, what)
  local err = maxabs(resid) / math.max(1, scale)
  tester:assert(err <= tol, string.format('%s (err %g, tol %g)', what, err, tol))
end
-- q (m x c) with orthonormal columns: q^T q = I
local function orthonormal(q, tol, what)
  local h = host(q)
  small(h:t() * h - torch.eye(h:size(2)):double(), 1, tol, what .. ': orthonormal columns')
end

-- a random orthogonal n x n double matrix
local function orth(n)
  if n == 0 then return torch.DoubleTensor(0, 0) end
  return (torch.qr(torch.randn(n, n):double()))
end
-- an m x n double matrix with the singular values s (descending, #s = min(m, n))
local function with_singular(m, n, s)
  local d = torch.zeros(m, n):double()
  for i = 1, math.min(m, n) do d[i][i] = s[i] end
  return orth(m) * d * orth(n):t()
end
-- k well-separated values from 4 down to 1
local function spread(k)
  local s = {}
  for i = 1, k do s[i] = k == 1 and 2 or 4 - 3 * (i - 1) / (k - 1) end
  return s
end
-- a symmetric n x n double matrix with eigenvalues eigs
local function symmetric(n, eigs)
  local q = orth(n)
  return q * torch.diag(torch.DoubleTensor(eigs)) * q:t()
end

-- the GPU copies of a (CPU) in three layouts: contiguous, column-major (a transposed
-- view) and narrowed out of a larger matrix, each with a tag
local function gpu_layouts(a)
  local m, n = a:size(1), a:size(2)
  local big = gpu(torch.Tensor(m + 2, n + 3):typeAs(a):fill(7))
  local nar = big:narrow(1, 2, m):narrow(2, 2, n)
  nar:copy(gpu(a))
  return {{gpu(a), 'contiguous'}, {gpu(a:t():contiguous()):t(), 'transposed'}, {nar, 'narrowed'}}
end

local SIZES = {{4, 4}, {6, 3}, {3, 6}, {5, 1}, {1, 4}}

------------------------------------------------------------------------------------- svd

function T.svd_matches_cpu()
  torch.manualSeed(1)
  for _, tp in ipairs(TYPES) do
    for _, sz in ipairs(SIZES) do
      local m, n = sz[1], sz[2]
      local k = math.min(m, n)
      local a = with_singular(m, n, spread(k)):type(tp)
      local cu, cs, cv = torch.svd(a)
      for _, lay in ipairs(gpu_layouts(a)) do
        local ga, lname = lay[1], lay[2]
        for _, opt in ipairs({'S', 'A'}) do
          local tag = string.format('svd %s %dx%d %s %s', tp, m, n, lname, opt)
          local u, s, v = torch.svd(ga, opt)
          tester:assert(on_gpu(u) and on_gpu(v), tag .. ': U, V on the GPU')
          close(s, cs, TOL[tp] * 10, tag .. ': singular values')
          -- the CPU's shapes and layouts (U column-major, V row-major)
          local ru, _, rv = torch.svd(a, opt)
          tester:eq(u:size(), ru:size(), 0, tag .. ': U size')
          tester:eq(v:size(), rv:size(), 0, tag .. ': V size')
          tester:eq(torch.LongTensor(u:stride()), torch.LongTensor(ru:stride()), 0, tag .. ': U strides')
          tester:eq(torch.LongTensor(v:stride()), torch.LongTensor(rv:stride()), 0, tag .. ': V strides')
          orthonormal(u, ID_TOL[tp], tag .. ' U')
          orthonormal(v, ID_TOL[tp], tag .. ' V')
          -- U diag(S) V^T = A, with the first k columns
          local hu, hs, hv = host(u):narrow(2, 1, k), host(s), host(v):narrow(2, 1, k)
          local usv = torch.cmul(hu, hs:view(1, k):expandAs(hu)) * hv:t()
          small(usv - host(a), maxabs(host(a)), ID_TOL[tp], tag .. ': U S V^T = A')
        end
      end
      -- the result-tensor form: GPU tensors, resized
      local ru, rs, rv = gpu(torch.zeros(1):type(tp)), gpu(torch.zeros(1):type(tp)), gpu(torch.zeros(1):type(tp))
      local u, s, v = torch.svd(ru, rs, rv, gpu(a))
      tester:assert(u == ru and s == rs and v == rv, 'svd result tensors returned')
      close(rs, cs, TOL[tp] * 10, 'svd result form ' .. tp)
      tester:eq(ru:size(), cu:size(), 0, 'svd result form U size')
      tester:eq(rv:size(), cv:size(), 0, 'svd result form V size')
    end
  end
end

-- no element: the orthonormal factors of 'A' are identities, made on the GPU
function T.svd_empty()
  local a = gpu(torch.DoubleTensor(0, 3))
  local u, s, v = torch.svd(a, 'A')
  tester:assert(on_gpu(u) and on_gpu(s) and on_gpu(v), 'empty svd on the GPU')
  tester:eq(u:size(), torch.LongStorage({0, 0}), 0, 'U 0x0')
  tester:eq(s:size(), torch.LongStorage({0}), 0, 'S empty')
  tester:eq(host(v), torch.eye(3):double(), 0, "V = I for 'A'")
end

---------------------------------------------------------------------------------- symeig

function T.symeig_matches_cpu()
  torch.manualSeed(2)
  for _, tp in ipairs(TYPES) do
    for _, n in ipairs({1, 3, 6}) do
      local eigs = {}
      for i = 1, n do eigs[i] = (i % 2 == 0 and -1 or 1) * (1 + i) end
      local a = symmetric(n, eigs):type(tp)
      for _, uplo in ipairs({'U', 'L'}) do
        -- the other triangle is garbage: only uplo's is read
        local x = a:clone()
        if n > 1 then
          if uplo == 'U' then x:narrow(1, 2, n - 1):narrow(2, 1, 1):fill(99)
          else x:narrow(1, 1, 1):narrow(2, 2, n - 1):fill(99) end
        end
        local ce = torch.symeig(a)
        for _, lay in ipairs(gpu_layouts(x)) do
          local gx, lname = lay[1], lay[2]
          local tag = string.format('symeig %s n=%d %s %s', tp, n, uplo, lname)
          local e, none = torch.symeig(gx, 'N', uplo)
          close(e, ce, TOL[tp] * 10, tag .. ': eigenvalues')
          tester:assert(on_gpu(none) and none:nElement() == 0, tag .. ": 'N' gives an empty GPU tensor")
          local e2, v = torch.symeig(gx, 'V', uplo)
          close(e2, ce, TOL[tp] * 10, tag .. ": eigenvalues with 'V'")
          tester:assert(on_gpu(v), tag .. ': V on the GPU')
          tester:eq(torch.LongTensor(v:stride()), torch.LongTensor(select(2, torch.symeig(a, 'V', uplo)):stride()), 0,
                    tag .. ': V strides (column-major)')
          orthonormal(v, ID_TOL[tp], tag)
          local hv, he = host(v), host(e2)
          local av = host(a) * hv
          small(av - torch.cmul(hv, he:view(1, n):expandAs(hv)), n + 1, ID_TOL[tp], tag .. ': A V = V diag(e)')
        end
      end
      -- the result-tensor form
      local re, rv = gpu(torch.zeros(2):type(tp)), gpu(torch.zeros(2):type(tp))
      local e, v = torch.symeig(re, rv, gpu(a), 'V')
      tester:assert(e == re and v == rv, 'symeig result tensors returned')
      close(re, torch.symeig(a), TOL[tp] * 10, 'symeig result form ' .. tp)
    end
  end
end

------------------------------------------------------------------------------------- eig

function T.eig_matches_cpu()
  torch.manualSeed(3)
  for _, tp in ipairs(TYPES) do
    for _, n in ipairs({1, 4, 6}) do
      -- real, distinct eigenvalues: P diag(d) P^-1 with a well-conditioned P
      local d = torch.DoubleTensor(n)
      for i = 1, n do d[i] = i * (i % 2 == 0 and -1 or 1) end
      local P = orth(n) + torch.eye(n):double() * 0.1
      local a = (P * torch.diag(d) * torch.inverse(P)):type(tp)
      for _, lay in ipairs(gpu_layouts(a)) do
        local ga, lname = lay[1], lay[2]
        local tag = string.format('eig %s n=%d %s', tp, n, lname)
        local e, v = torch.eig(ga, 'V')
        tester:assert(on_gpu(e) and on_gpu(v), tag .. ': on the GPU')
        tester:eq(e:size(), torch.LongStorage({n, 2}), 0, tag .. ': e is n x 2')
        local he = host(e)
        -- as a set: the real parts sorted, imaginary parts zero
        close(gpu(torch.sort(he:select(2, 1))), torch.sort(d), ID_TOL[tp] * 10, tag .. ': real parts')
        small(he:select(2, 2), 1, ID_TOL[tp], tag .. ': imaginary parts zero')
        local hv = host(v)
        local wr = he:select(2, 1)
        small(host(a) * hv - torch.cmul(hv, wr:view(1, n):expandAs(hv)), 2 * n, ID_TOL[tp] * 10,
              tag .. ': A V = V diag(e)')
      end
    end
    -- a rotation: a complex pair +-i next to the real eigenvalue 2
    local r = torch.DoubleTensor({{0, -1, 0}, {1, 0, 0}, {0, 0, 2}}):type(tp)
    local e = torch.eig(gpu(r:t():contiguous()):t())
    local he = host(e)
    tester:eq(torch.sort(he:select(2, 1)), torch.DoubleTensor({0, 0, 2}), TOL[tp], 'eig rotation: real parts')
    tester:eq(torch.sort(he:select(2, 2)), torch.DoubleTensor({-1, 0, 1}), TOL[tp], 'eig rotation: imaginary parts')
    -- the result-tensor form
    local re = gpu(torch.zeros(1):type(tp))
    tester:assert(torch.eig(re, gpu(torch.zeros(1):type(tp)), gpu(r)) == re, 'eig result tensor returned')
    tester:eq(re:size(), torch.LongStorage({3, 2}), 0, 'eig result form size')
  end
end

-------------------------------------------------------------------------------------- QR

function T.qr_matches_cpu()
  torch.manualSeed(4)
  for _, tp in ipairs(TYPES) do
    for _, sz in ipairs(SIZES) do
      local m, n = sz[1], sz[2]
      local k = math.min(m, n)
      local a = with_singular(m, n, spread(k)):type(tp)
      local cq, cr = torch.qr(a)
      for _, lay in ipairs(gpu_layouts(a)) do
        local ga, lname = lay[1], lay[2]
        local tag = string.format('qr %s %dx%d %s', tp, m, n, lname)
        local q, r = torch.qr(ga)
        tester:assert(on_gpu(q) and on_gpu(r), tag .. ': on the GPU')
        tester:eq(q:size(), cq:size(), 0, tag .. ': Q size')
        tester:eq(r:size(), cr:size(), 0, tag .. ': R size')
        orthonormal(q, ID_TOL[tp], tag)
        local hr = host(r)
        small(hr - torch.triu(hr), 1, 0, tag .. ': R upper triangular')
        small(host(q) * hr - host(a), maxabs(host(a)), ID_TOL[tp], tag .. ': Q R = A')
        -- R is unique up to the signs of its rows
        close(gpu(torch.abs(hr)), torch.abs(host(cr)), ID_TOL[tp], tag .. ': |R| as the CPU')
      end
      local rq, rr = gpu(torch.zeros(1):type(tp)), gpu(torch.zeros(1):type(tp))
      local q, r = torch.qr(rq, rr, gpu(a))
      tester:assert(q == rq and r == rr, 'qr result tensors returned')
      small(host(rq) * host(rr) - host(a), maxabs(host(a)), ID_TOL[tp], 'qr result form: Q R = A')
    end
  end
end

-- geqrf's factors on the GPU: orgqr and ormqr of them against the CPU's orgqr and ormqr of
-- the same factors (a unique result), and the identity Q R = A
function T.geqrf_orgqr_ormqr_match_cpu()
  torch.manualSeed(5)
  for _, tp in ipairs(TYPES) do
    for _, sz in ipairs(SIZES) do
      local m, n = sz[1], sz[2]
      local k = math.min(m, n)
      local a = with_singular(m, n, spread(k)):type(tp)
      for _, lay in ipairs(gpu_layouts(a)) do
        local ga, lname = lay[1], lay[2]
        local tag = string.format('geqrf %s %dx%d %s', tp, m, n, lname)
        local f, tau = torch.geqrf(ga)
        tester:assert(on_gpu(f) and on_gpu(tau), tag .. ': on the GPU')
        tester:eq(f:size(), a:size(), 0, tag .. ': a size')
        tester:eq(tau:size(), torch.LongStorage({k}), 0, tag .. ': tau size')
        tester:eq(torch.LongTensor(f:stride()), torch.LongTensor({1, m}), 0, tag .. ': column-major')
        local cf, ctau = f:type(tp), tau:type(tp)   -- the same factors on the CPU
        -- orgqr: unique given the factors; Q (first k columns) R = A
        local q = torch.orgqr(f, tau)
        close(q, torch.orgqr(cf, ctau), ID_TOL[tp], tag .. ': orgqr as the CPU')
        local hq = host(q):narrow(2, 1, k)
        orthonormal(hq, ID_TOL[tp], tag .. ' orgqr')
        local hr = torch.triu(host(f):narrow(1, 1, k))
        small(hq * hr - host(a), maxabs(host(a)), ID_TOL[tp], tag .. ': orgqr(a, tau) R = A')
        -- ormqr, every side and transposition, C non-contiguous on the GPU
        for _, side in ipairs({'L', 'R'}) do
          local c = side == 'L' and torch.randn(m, 3) or torch.randn(2, m)
          if m == f:size(1) then
            c = c:type(tp)
            local gc = gpu(c:t():contiguous()):t()
            for _, trans in ipairs({'N', 'T'}) do
              local t2 = tag .. ' ormqr ' .. side .. trans
              close(torch.ormqr(f, tau, gc, side, trans), torch.ormqr(cf, ctau, c, side, trans), ID_TOL[tp], t2)
            end
          end
        end
      end
      -- the result-tensor forms
      local rf, rt = gpu(torch.zeros(1):type(tp)), gpu(torch.zeros(1):type(tp))
      local f, tau = torch.geqrf(rf, rt, gpu(a))
      tester:assert(f == rf and tau == rt, 'geqrf result tensors returned')
      local rq = gpu(torch.zeros(1):type(tp))
      tester:assert(torch.orgqr(rq, rf, rt) == rq, 'orgqr result tensor returned')
      close(rq, torch.orgqr(rf:type(tp), rt:type(tp)), ID_TOL[tp], 'orgqr result form ' .. tp)
      local rc = gpu(torch.zeros(1):type(tp))
      local c = torch.randn(m, 2):type(tp)
      tester:assert(torch.ormqr(rc, rf, rt, gpu(c)) == rc, 'ormqr result tensor returned')
      close(rc, torch.ormqr(rf:type(tp), rt:type(tp), c), ID_TOL[tp], 'ormqr result form ' .. tp)
    end
  end
  -- no reflector: Q's first columns are I's (made on the GPU), ormqr leaves C as it is
  local a = gpu(torch.randn(4, 3):double())
  local tau0 = gpu(torch.DoubleTensor(0))
  local q = torch.orgqr(a, tau0)
  tester:assert(on_gpu(q), 'orgqr without reflectors on the GPU')
  tester:eq(host(q), torch.eye(4, 3):double(), 0, 'orgqr without reflectors: I')
  local c = gpu(torch.randn(4, 2):double())
  tester:eq(host(torch.ormqr(a, tau0, c)), host(c), 0, 'ormqr without reflectors: C')
end

------------------------------------------------------------------------------- pinverse

function T.pinverse_matches_cpu()
  torch.manualSeed(6)
  for _, tp in ipairs(TYPES) do
    for _, sz in ipairs(SIZES) do
      local m, n = sz[1], sz[2]
      local k = math.min(m, n)
      local sv = spread(k)
      -- full rank, and (k > 1) rank-deficient: the last singular value cut off
      local cases = {with_singular(m, n, sv)}
      if k > 1 then
        sv[k] = 0
        cases[2] = with_singular(m, n, sv)
      end
      for ci, a0 in ipairs(cases) do
        local a = a0:type(tp)
        -- rank-deficient: an rcond far from the rounding noise of the zero singular value
        local rcond = ci == 2 and 1e-3 or nil
        for _, lay in ipairs(gpu_layouts(a)) do
          local tag = string.format('pinverse %s %dx%d case %d %s', tp, m, n, ci, lay[2])
          close(torch.pinverse(lay[1], rcond), torch.pinverse(a, rcond), ID_TOL[tp], tag)
        end
      end
    end
    local res = gpu(torch.zeros(1):type(tp))
    local a = with_singular(3, 5, spread(3)):type(tp)
    tester:assert(torch.pinverse(res, gpu(a)) == res, 'pinverse result tensor returned')
    close(res, torch.pinverse(a), ID_TOL[tp], 'pinverse result form ' .. tp)
    -- no element: zeros of the transposed size, on the GPU
    local z = torch.pinverse(gpu(torch.Tensor(0, 3):type(tp)))
    tester:assert(on_gpu(z), 'empty pinverse on the GPU')
    tester:eq(z:size(), torch.LongStorage({3, 0}), 0, 'empty pinverse size')
  end
end

------------------------------------------------------------------------------- gradients

-- f(x) (returning a table of outputs) backward with the same output gradients on the CPU
-- and on the GPU; the input gradients compared
local function grad_both(f, x0, what, tol)
  local xc = x0:clone():setRequiresGrad()
  local xg = gpu(x0):setRequiresGrad()
  local yc, yg = f(xc), f(xg)
  local lc, lg
  for i = 1, #yc do
    close(yg[i], yc[i], tol, what .. ' output ' .. i)
    local w = torch.randn(yc[i]:size()):double()
    local tc, tg = torch.cmul(yc[i], w):sum(), torch.cmul(yg[i], gpu(w)):sum()
    lc = lc and lc + tc or tc
    lg = lg and lg + tg or tg
  end
  lc:backward()
  lg:backward()
  tester:assert(xg.grad ~= nil, what .. ': a gradient')
  if xg.grad then close(xg.grad, xc.grad, tol, what .. ': gradient') end
end

function T.svd_symeig_pinverse_gradients_match_cpu()
  torch.manualSeed(7)
  local tol = 1e-8
  for _, sz in ipairs({{4, 4}, {5, 3}, {3, 5}}) do
    local m, n = sz[1], sz[2]
    local k = math.min(m, n)
    local x = with_singular(m, n, spread(k))
    local tag = string.format('%dx%d', m, n)
    -- sign-independent functions of the factors
    grad_both(function(a) local _, s = torch.svd(a); return {s} end, x, 'svd S ' .. tag, tol)
    grad_both(function(a)
      local u, s, v = torch.svd(a)
      return {s, torch.cmul(u, u), torch.cmul(v, v)}
    end, x, 'svd U, S, V ' .. tag, tol)
    grad_both(function(a)
      local u, _, v = torch.svd(a, 'A')
      return {torch.cmul(u:narrow(2, 1, k), u:narrow(2, 1, k)), torch.cmul(v:narrow(2, 1, k), v:narrow(2, 1, k))}
    end, x, "svd 'A' " .. tag, tol)
    grad_both(function(a) return {torch.pinverse(a)} end, x, 'pinverse ' .. tag, tol)
  end
  for _, n in ipairs({1, 3, 5}) do
    local eigs = {}
    for i = 1, n do eigs[i] = 2 * i - n end
    local x = symmetric(n, eigs)
    grad_both(function(a) return {torch.symeig(a)} end, x, 'symeig e n=' .. n, tol)
    grad_both(function(a)
      local e, v = torch.symeig(a, 'V', 'L')
      return {e, torch.cmul(v, v)}
    end, x, 'symeig e, V n=' .. n, tol)
  end
end

-- qr's gradient (tall, square, wide: the A = [X | Y] split) through Q and R. Losses that do
-- not depend on the signs of Q's columns and R's rows (cuSOLVER and LAPACK could differ
-- there), with weights so that every element of Q and R counts.
function T.qr_gradients_match_cpu()
  torch.manualSeed(9)
  local tol = 1e-8
  for _, sz in ipairs({{4, 4}, {5, 3}, {3, 5}}) do
    local m, n = sz[1], sz[2]
    local x = with_singular(m, n, spread(math.min(m, n)))
    local tag = string.format('%dx%d', m, n)
    grad_both(function(a)
      local q, r = torch.qr(a)
      return {torch.cmul(q, q), torch.cmul(r, r)}
    end, x, 'qr Q, R ' .. tag, tol)
    grad_both(function(a) local q = torch.qr(a); return {torch.cmul(q, q)} end, x, 'qr Q ' .. tag, tol)
    grad_both(function(a) local _, r = torch.qr(a); return {torch.cmul(r, r)} end, x, 'qr R ' .. tag, tol)
  end
  -- createGraph: the factors recomputed on the GPU with history, the gradient differentiated
  local x0 = torch.randn(3, 5):double()
  local w1, w2, w = torch.randn(3, 3):double(), torch.randn(3, 5):double(), torch.randn(3, 5):double()
  local function gg(x, d)
    local q, r = torch.qr(x)
    local l = torch.cmul(torch.cmul(q, q), d(w1)):sum() + torch.cmul(torch.cmul(r, r), d(w2)):sum()
    local g = torch.grad(l, x, {createGraph = true})
    return torch.cmul(g, d(w)):sum()
  end
  local xc, xg = x0:clone():setRequiresGrad(), gpu(x0):setRequiresGrad()
  gg(xc, function(t) return t end):backward()
  gg(xg, gpu):backward()
  tester:assert(xg.grad ~= nil, 'qr second derivative: a gradient')
  if xg.grad then close(xg.grad, xc.grad, 1e-8, 'qr second derivative') end
end

-- eig's gradient (real, distinct eigenvalues) through e and V. eig runs on a CPU copy of
-- the data on a GPU (cuSOLVER has no geev), so V's signs are the CPU's and V itself is
-- compared; the backward's products and solve run on the GPU. Then createGraph (eig
-- recomputed on the GPU with history) and the complex-eigenvalue error.
function T.eig_gradients_match_cpu()
  torch.manualSeed(10)
  local tol = 1e-8
  for _, l in ipairs({{-0.7}, {-1.5, 0.5, 2}, {-2, -0.5, 1, 1.8, 3}}) do
    local n = #l
    local P = orth(n) + torch.eye(n):double() * 0.5
    local x = P * torch.diag(torch.DoubleTensor(l)) * torch.inverse(P)
    grad_both(function(a) return {torch.eig(a)} end, x, 'eig e n=' .. n, tol)
    grad_both(function(a) local e, v = torch.eig(a, 'V'); return {e, v} end, x, 'eig e, V n=' .. n, tol)
  end
  local P = orth(3) + torch.eye(3):double() * 0.5
  local x0 = P * torch.diag(torch.DoubleTensor({-1, 0.5, 2})) * torch.inverse(P)
  local w1, w = torch.randn(3, 3):double(), torch.randn(3, 3):double()
  local function gg(x, d)
    local e, v = torch.eig(x, 'V')
    local l = torch.cmul(torch.cmul(v, v), d(w1)):sum() + e:select(2, 1):sum() * 0.3
    local g = torch.grad(l, x, {createGraph = true})
    return torch.cmul(g, d(w)):sum()
  end
  local xc, xg = x0:clone():setRequiresGrad(), gpu(x0):setRequiresGrad()
  gg(xc, function(t) return t end):backward()
  gg(xg, gpu):backward()
  tester:assert(xg.grad ~= nil, 'eig second derivative: a gradient')
  if xg.grad then close(xg.grad, xc.grad, 1e-8, 'eig second derivative') end
  -- no gradient for complex eigenvalues, on the GPU as on the CPU
  local r = gpu(torch.DoubleTensor({{0, -1, 0}, {1, 0, 0}, {0, 0, 2}})):setRequiresGrad()
  local e = torch.eig(r)
  tester:assertErrorPattern(function() e:select(2, 1):sum():backward() end,
                            'torch%.eig: backward: complex eigenvalues: no gradient', 'eig complex eigenvalues')
end

-- createGraph on the GPU: the gradient of a gradient (the factors recomputed with history)
function T.second_derivative_matches_cpu()
  torch.manualSeed(8)
  local x0 = with_singular(4, 3, spread(3))
  local w = torch.randn(4, 3):double()
  local function gg(x, wd)
    local _, s = torch.svd(x)
    local g = torch.grad(s:sum() + torch.cmul(x, x):sum(), x, {createGraph = true})
    return torch.cmul(g, wd):sum()
  end
  local xc, xg = x0:clone():setRequiresGrad(), gpu(x0):setRequiresGrad()
  gg(xc, w):backward()
  gg(xg, gpu(w)):backward()
  close(xg.grad, xc.grad, 1e-8, 'svd second derivative')
end

-- the ops without a formula fail at backward on the GPU as on the CPU
function T.no_formula_errors()
  local x = gpu(torch.randn(3, 3):double()):setRequiresGrad()
  local f = torch.geqrf(x)
  tester:assertErrorPattern(function() f:sum():backward() end, 'torch%.geqrf has no backward formula', 'geqrf')
end

---------------------------------------------------------------------------------- errors

-- two operands (or an operand and a result tensor) on different devices: an error naming both
function T.mixed_devices()
  local a = torch.randn(3, 3):double()
  local f, tau = torch.geqrf(a)
  tester:assertErrorPattern(function() torch.orgqr(gpu(f), tau) end,
                            'torch%.orgqr: a is on cuda:%d+ and tau is on cpu', 'orgqr a GPU, tau CPU')
  tester:assertErrorPattern(function() torch.ormqr(f, gpu(tau), f) end,
                            'torch%.ormqr: a is on cpu and tau is on cuda:%d+', 'ormqr tau GPU')
  tester:assertErrorPattern(function() torch.ormqr(gpu(f), gpu(tau), f) end,
                            'torch%.ormqr: a is on cuda:%d+ and c is on cpu', 'ormqr c CPU')
  tester:assertErrorPattern(function() torch.svd(torch.DoubleTensor(), torch.DoubleTensor(), torch.DoubleTensor(), gpu(a)) end,
                            'torch%.svd: result tensor resu is on cpu, expected a tensor on cuda', 'svd CPU result, GPU input')
  tester:assertErrorPattern(function() torch.symeig(gpu(torch.DoubleTensor()), gpu(torch.DoubleTensor()), a) end,
                            'torch%.symeig: result tensor rese is on cuda:%d+, expected a tensor on cpu', 'symeig GPU result, CPU input')
  -- NaN is found on the GPU too
  local bad = gpu(a:clone())
  bad[2][2] = 0 / 0
  tester:assertErrorPattern(function() torch.svd(bad) end, 'torch%.svd: a contains NaN', 'NaN')
  tester:assertErrorPattern(function() torch.symeig(gpu(torch.randn(2, 3):double())) end,
                            'torch%.symeig: a must be a square matrix', 'square')
  tester:assertErrorPattern(function() torch.svd(gpu(torch.LongTensor(2, 2):zero())) end,
                            'torch%.svd: a must be a CudaTensor or CudaDoubleTensor', 'integer GPU tensor')
end

tester:add(T)
return tester
