-- Printing tensors and storages the way Torch7 does (tensor.md, "print").
--
-- One format is chosen for the whole tensor from its values: integers ("%3d") when
-- every value is an integer, fixed point ("%9.4f") when the magnitudes are close, a
-- common scale factor printed on its own line ("1e-03 *") when they are all very
-- large or very small, and "%11.4e" when they span more than four orders. A matrix is
-- split into column blocks ("Columns 1 to 10") to fit 80 characters; tensors of three
-- and more dimensions print as their matrices "(i,j,.,.) = ". A footer names the type
-- and size. Tensors of more than 1000 elements are abbreviated to their first and last
-- three indices along every long dimension, with "..." between (PyTorch's rule).
--
-- torch._tensorstring(t) is the tensors' __tostring, torch._storagestring(s) the
-- storages'; torch._flatvalues(t) (the elements as float64 in row-major order) is
-- shared with the tester.
local torch = require 'torch.core'

local fmt, rep, concat = string.format, string.rep, table.concat
local floor, abs, huge, log = math.floor, math.abs, math.huge, math.log
local type = type

local THRESHOLD = 1000   -- more elements than this: abbreviate
local EDGE = 3           -- elements kept at each end of an abbreviated dimension
local WIDTH = 80         -- line width for column blocks

local function typename(x)
  local mt = debug.getmetatable(x)
  return mt and rawget(mt, '__typename') or 'torch.Tensor'
end

-- the elements of t as a flat Lua array of float64, row-major
local function flatvalues(t)
  local n = t:nElement()
  if n == 0 then return {} end
  -- (detached: printing records nothing, so anomaly mode never fails a print)
  local d = t:detach():type('torch.DoubleTensor')
  if d:dim() ~= 1 then d = d:reshape(n) end
  return d:totable()
end
torch._flatvalues = flatvalues

local function finite(v) return v == v and v ~= huge and v ~= -huge end

-- The format for a set of values: {fmt=, sz=, scale=} (Torch7's rules). Values that
-- are not finite take no part in the choice; they print as nan, inf, -inf.
local function printformat(vals)
  local intmode, amin, amax, any, odd = true, huge, 0, false, false
  for i = 1, #vals do
    local v = vals[i]
    if finite(v) then
      any = true
      if intmode and v ~= floor(v) then intmode = false end
      local a = abs(v)
      if a < amin then amin = a end
      if a > amax then amax = a end
    else
      odd = true
    end
  end
  if not any then amin = 0 end
  local expmin = amin ~= 0 and floor(log(amin, 10)) + 1 or 1
  local expmax = amax ~= 0 and floor(log(amax, 10)) + 1 or 1
  local f = {}
  if intmode then
    if expmax > 9 then f.sz, f.kind = 11, 'e'
    else f.sz, f.kind = expmax + 1, 'd' end
  elseif expmax - expmin > 4 then
    f.sz, f.kind = 11, 'e'
    if abs(expmax) > 99 or abs(expmin) > 99 then f.sz = 12 end
  elseif expmax > 5 or expmax < 0 then
    f.sz, f.kind = 7, 'f'
    f.scale = 10 ^ (expmax - 1)
  else
    f.sz, f.kind = expmax == 0 and 7 or expmax + 6, 'f'
  end
  if odd and f.sz < 4 then f.sz = 4 end
  f.fmt = f.kind == 'd' and ('%' .. f.sz .. 'd') or ('%' .. f.sz .. '.4' .. f.kind)
  f.blank = '%' .. f.sz .. 's'
  return f
end

local function cell(f, v)
  if v ~= v then return fmt(f.blank, 'nan') end
  if v == huge then return fmt(f.blank, 'inf') end
  if v == -huge then return fmt(f.blank, '-inf') end
  if f.scale then v = v / f.scale end
  return fmt(f.fmt, v)
end

local function scaleline(f) return fmt('%g', f.scale) .. ' *' end

-- A grid: the kept values of a tensor, `dims` kept sizes, `index[d][k]` the original
-- index of the k-th kept position along d, `gap[d]` true when positions EDGE and EDGE+1
-- along d are not neighbours (the "..." goes between them).
local function grid(t, sizes)
  local n, dim = t:nElement(), #sizes
  local g = {dims = {}, index = {}, gap = {}}
  local abbreviate = n > THRESHOLD
  local reduced = false
  for d = 1, dim do
    local s = sizes[d]
    local idx = {}
    if abbreviate and s > 2 * EDGE then
      for k = 1, EDGE do idx[k] = k end
      for k = 1, EDGE do idx[EDGE + k] = s - EDGE + k end
      g.gap[d] = true
      reduced = true
    else
      for k = 1, s do idx[k] = k end
    end
    g.index[d] = idx
    g.dims[d] = #idx
  end
  if not reduced then
    g.vals = flatvalues(t)
    return g
  end
  -- copy the kept corner blocks into a small float64 tensor
  local r = torch.DoubleTensor(table.unpack(g.dims))
  local long = {}
  for d = 1, dim do if g.gap[d] then long[#long + 1] = d end end
  for mask = 0, (1 << #long) - 1 do
    local src, dst = t, r
    for j, d in ipairs(long) do
      if mask & (1 << (j - 1)) == 0 then
        src, dst = src:narrow(d, 1, EDGE), dst:narrow(d, 1, EDGE)
      else
        src, dst = src:narrow(d, sizes[d] - EDGE + 1, EDGE), dst:narrow(d, EDGE + 1, EDGE)
      end
    end
    dst:copy(src)
  end
  g.vals = flatvalues(r)
  return g
end

local function ellipsis(f) return fmt(f.blank, '...') end

-- rows of the matrix at offset `base` in g.vals (dims d1, d2 = the last two)
local function matrix(out, g, f, base, d1, d2, indent)
  local nr, nc = g.dims[d1], g.dims[d2]
  local cols = {}                 -- column positions, false for the "..." column
  for k = 1, nc do
    if g.gap[d2] and k == EDGE + 1 then cols[#cols + 1] = false end
    cols[#cols + 1] = k
  end
  local per = floor((WIDTH - #indent) / (f.sz + 1))
  if per < 1 then per = 1 end
  local lead = indent .. (f.scale and ' ' or '')
  local first = 1
  while first <= #cols do
    local last = math.min(first + per - 1, #cols)
    if per < #cols then
      local a, b = cols[first] or cols[first + 1], cols[last] or cols[last - 1]
      if first ~= 1 then out[#out + 1] = '\n' end
      out[#out + 1] = (first == 1 and indent or '') .. 'Columns ' .. g.index[d2][a] .. ' to '
        .. g.index[d2][b] .. '\n'
    end
    if f.scale then out[#out + 1] = indent .. scaleline(f) .. '\n' end
    for r = 1, nr do
      if g.gap[d1] and r == EDGE + 1 then out[#out + 1] = lead .. ellipsis(f) .. '\n' end
      local line, row = {}, base + (r - 1) * nc
      for c = first, last do
        local k = cols[c]
        line[#line + 1] = k and cell(f, g.vals[row + k]) or '...'
      end
      out[#out + 1] = lead .. concat(line, ' ') .. '\n'
    end
    first = last + 1
  end
end

local function sizestring(sizes)
  return concat(sizes, 'x')
end

function torch._tensorstring(t)
  local name = typename(t)
  local dim, n = t:dim(), t:nElement()
  local sizes = {}
  for d = 1, dim do sizes[d] = t:size(d) end
  if n == 0 then
    if dim == 0 then return '[' .. name .. ' with no dimension]\n' end
    return '[' .. name .. ' of size ' .. sizestring(sizes) .. ']\n'
  end
  local g = grid(t, sizes)
  local f = printformat(g.vals)
  local out = {}
  if dim == 0 then
    -- a 0-dim tensor (a loss while autograd records) prints as its number (API.md)
    return tostring(t:item())
  end
  if dim == 1 then
    if f.scale then out[#out + 1] = scaleline(f) .. '\n' end
    for k = 1, g.dims[1] do
      if g.gap[1] and k == EDGE + 1 then out[#out + 1] = ellipsis(f) .. '\n' end
      out[#out + 1] = cell(f, g.vals[k]) .. '\n'
    end
  elseif dim == 2 then
    matrix(out, g, f, 0, 1, 2, '')
  else
    -- one matrix per index of the leading dims, the first of them varying fastest
    -- (Torch7's order: (1,1,.,.), (2,1,.,.), (1,2,.,.), ...)
    local lead = dim - 2
    local per = g.dims[dim - 1] * g.dims[dim]
    local count = 1
    for d = 1, lead do count = count * g.dims[d] end
    local pos = {}
    for d = 1, lead do pos[d] = 1 end
    for m = 1, count do
      if m > 1 then
        out[#out + 1] = '\n'
        -- a "..." line where a leading index skips (the slowest one that moved)
        for d = lead, 1, -1 do
          if g.gap[d] and pos[d] == EDGE + 1 then
            local inner = true
            for e = 1, d - 1 do if pos[e] ~= 1 then inner = false end end
            if inner then out[#out + 1] = '...\n\n'; break end
          end
        end
      end
      local label = {}
      for d = 1, lead do label[d] = g.index[d][pos[d]] end
      out[#out + 1] = '(' .. concat(label, ',') .. ',.,.) = \n'
      local off, stride = 0, per            -- g.vals is in row-major order
      for d = lead, 1, -1 do
        off = off + (pos[d] - 1) * stride
        stride = stride * g.dims[d]
      end
      matrix(out, g, f, off, dim - 1, dim, ' ')
      for d = 1, lead do
        pos[d] = pos[d] + 1
        if pos[d] <= g.dims[d] then break end
        pos[d] = 1
      end
    end
  end
  out[#out + 1] = '[' .. name .. ' of size ' .. sizestring(sizes) .. ']\n'
  return concat(out)
end

function torch._storagestring(s)
  local name = typename(s)
  local n = s:size()
  local idx = {}
  if n > THRESHOLD then
    for k = 1, EDGE do idx[k] = k end
    for k = 1, EDGE do idx[EDGE + k] = n - EDGE + k end
  else
    for k = 1, n do idx[k] = k end
  end
  local vals = {}
  for k, i in ipairs(idx) do
    local v = s[i]
    if v == true then v = 1 elseif v == false then v = 0 end
    vals[k] = v + 0.0
  end
  local out = {}
  if n > 0 then
    local f = printformat(vals)
    if f.scale then out[#out + 1] = scaleline(f) .. '\n' end
    for k = 1, #vals do
      if n > THRESHOLD and k == EDGE + 1 then out[#out + 1] = ellipsis(f) .. '\n' end
      out[#out + 1] = cell(f, vals[k]) .. '\n'
    end
  end
  out[#out + 1] = '[' .. name .. ' of size ' .. n .. ']\n'
  return concat(out)
end
