-- Printing tensors and storages (stdlib/torch/print.lua): Torch7's exact format.
-- Expected strings are worked out by hand from Torch7's rules (see print.lua).
local tester = torch.Tester()
local T = torch.TestSuite()

local function lines(t) return table.concat(t, '\n') .. '\n' end
local function same(got, expected, msg)
  tester:assert(got == expected, (msg or 'output') .. ':\n--- got\n' .. tostring(got)
    .. '--- expected\n' .. tostring(expected))
end
local function fromtable(n, f)
  local v = {}
  for i = 1, n do v[i] = f(i) end
  return v
end

function T.vector_integers()
  same(tostring(torch.Tensor{1, 2, 3}), lines{' 1', ' 2', ' 3', '[torch.FloatTensor of size 3]'})
  -- width from the largest magnitude, sign fits in the extra column
  same(tostring(torch.DoubleTensor{-5, 120}), lines{'  -5', ' 120', '[torch.DoubleTensor of size 2]'})
end

function T.matrix_integers()
  same(tostring(torch.Tensor{{1, -2, 3}, {40, 5, 6}}),
    lines{'  1  -2   3', ' 40   5   6', '[torch.FloatTensor of size 2x3]'})
  -- a transposed (non-contiguous) view prints its own layout
  same(tostring(torch.Tensor{{1, 2}, {3, 4}}:t()), lines{' 1  3', ' 2  4', '[torch.FloatTensor of size 2x2]'})
end

function T.fixed_point()
  -- magnitudes 10^-1 .. 10^1: "%8.4f"
  same(tostring(torch.DoubleTensor{{1.5, -0.25}, {10, 2}}),
    lines{'  1.5000  -0.2500', ' 10.0000   2.0000', '[torch.DoubleTensor of size 2x2]'})
  -- all below 1: "%7.4f"
  same(tostring(torch.DoubleTensor{0.5, 0.125}), lines{' 0.5000', ' 0.1250', '[torch.DoubleTensor of size 2]'})
  same(tostring(torch.DoubleTensor{{0.001, 0.002}, {0.0035, 0.1}}),
    lines{' 0.0010  0.0020', ' 0.0035  0.1000', '[torch.DoubleTensor of size 2x2]'})
end

function T.scale_factor()
  -- all small: a common factor 10^(expMax-1) on its own line, printed with %g
  same(tostring(torch.DoubleTensor{0.001, 0.0025}),
    lines{'0.001 *', ' 1.0000', ' 2.5000', '[torch.DoubleTensor of size 2]'})
  same(tostring(torch.DoubleTensor{1e-5, 2.5e-5}),
    lines{'1e-05 *', ' 1.0000', ' 2.5000', '[torch.DoubleTensor of size 2]'})
  -- all large: matrix rows get one more leading space under the factor line
  same(tostring(torch.DoubleTensor{{150000.5, 200000}, {300000, 100000}}),
    lines{'100000 *', '  1.5000  2.0000', '  3.0000  1.0000', '[torch.DoubleTensor of size 2x2]'})
  same(tostring(torch.DoubleTensor{2500000, 1000000.5}),
    lines{'1e+06 *', ' 2.5000', ' 1.0000', '[torch.DoubleTensor of size 2]'})
end

function T.scientific()
  -- magnitudes spanning more than four orders
  same(tostring(torch.DoubleTensor{1e-5, 1, 123456}),
    lines{' 1.0000e-05', ' 1.0000e+00', ' 1.2346e+05', '[torch.DoubleTensor of size 3]'})
  -- integers above 10^9 too
  same(tostring(torch.LongTensor{1, 12345678901}),
    lines{' 1.0000e+00', ' 1.2346e+10', '[torch.LongTensor of size 2]'})
  -- exponents of three digits widen the column
  same(tostring(torch.DoubleTensor{1e-120, 1}),
    lines{' 1.0000e-120', '  1.0000e+00', '[torch.DoubleTensor of size 2]'})
end

function T.three_and_four_dims()
  local v = torch.Tensor{1, 2, 3, 4, 5, 6, 7, 8}:view(2, 2, 2)
  same(tostring(v), lines{'(1,.,.) = ', '  1  2', '  3  4', '', '(2,.,.) = ', '  5  6', '  7  8',
    '[torch.FloatTensor of size 2x2x2]'})
  same(tostring(torch.Tensor{1, 2, 3, 4}:view(1, 2, 1, 2)),
    lines{'(1,1,.,.) = ', '  1  2', '', '(1,2,.,.) = ', '  3  4', '[torch.FloatTensor of size 1x2x1x2]'})
  -- the format is common to all the matrices
  same(tostring(torch.DoubleTensor{1, 2, 3, 40.5}:view(2, 1, 2)),
    lines{'(1,.,.) = ', '   1.0000   2.0000', '', '(2,.,.) = ', '   3.0000  40.5000',
      '[torch.DoubleTensor of size 2x1x2]'})
end

function T.column_blocks()
  local row = {}
  for i = 1, 10 do row[i] = ' 1.5000' end
  local ten = table.concat(row, ' ')
  same(tostring(torch.DoubleTensor(2, 12):fill(1.5)),
    lines{'Columns 1 to 10', ten, ten, '', 'Columns 11 to 12', ' 1.5000  1.5000', ' 1.5000  1.5000',
      '[torch.DoubleTensor of size 2x12]'})
  -- inside a 3-D tensor the indent leaves room for 9 columns (Torch7's layout)
  local nine = table.concat(row, ' ', 1, 9)
  same(tostring(torch.DoubleTensor(1, 1, 10):fill(1.5)),
    lines{'(1,.,.) = ', ' Columns 1 to 9', ' ' .. nine, '', 'Columns 10 to 10', '  1.5000',
      '[torch.DoubleTensor of size 1x1x10]'})
  -- blocks and a scale factor: the factor line opens every block
  local five = {}
  for i = 1, 10 do five[i] = ' 5.0000' end
  local frow = ' ' .. table.concat(five, ' ')
  same(tostring(torch.DoubleTensor(2, 11):fill(0.005)),
    lines{'Columns 1 to 10', '0.001 *', frow, frow, '', 'Columns 11 to 11', '0.001 *', '  5.0000', '  5.0000',
      '[torch.DoubleTensor of size 2x11]'})
  -- 80 characters hold exactly ten 7-wide columns: no blocks
  tester:assert(not tostring(torch.DoubleTensor(1, 10):fill(1.5)):find('Columns'))
end

function T.empty_and_zero_dim()
  same(tostring(torch.Tensor()), '[torch.FloatTensor with no dimension]\n')
  same(tostring(torch.DoubleTensor(0)), '[torch.DoubleTensor of size 0]\n')
  same(tostring(torch.Tensor(0, 3)), '[torch.FloatTensor of size 0x3]\n')
  -- a 0-dim tensor prints as its number (API.md)
  local s = torch.Tensor{2.5}:view()
  tester:eq(s:dim(), 0)
  same(tostring(s), '2.5')
  same(tostring(torch.LongTensor{7}:view()), '7')
  tester:eq(torch.Tensor{2.5}:squeeze(), 2.5, 'squeeze to one element gives a number (Torch7)')
end

function T.four_dims_first_index_fastest()
  -- Torch7 walks the leading indices with the first varying fastest
  same(tostring(torch.range(1, 16):view(2, 2, 2, 2)), lines{
    '(1,1,.,.) = ', '   1   2', '   3   4', '',
    '(2,1,.,.) = ', '   9  10', '  11  12', '',
    '(1,2,.,.) = ', '   5   6', '   7   8', '',
    '(2,2,.,.) = ', '  13  14', '  15  16',
    '[torch.FloatTensor of size 2x2x2x2]'})
end

function T.storages()
  same(tostring(torch.LongStorage{2, 3}), lines{' 2', ' 3', '[torch.LongStorage of size 2]'})
  same(tostring(torch.Tensor(2, 3):size()), lines{' 2', ' 3', '[torch.LongStorage of size 2]'})
  same(tostring(torch.FloatStorage{1.5, -2}), lines{' 1.5000', '-2.0000', '[torch.FloatStorage of size 2]'})
  same(tostring(torch.FloatStorage()), '[torch.FloatStorage of size 0]\n')
  same(tostring(torch.ByteStorage{0, 255}), lines{'   0', ' 255', '[torch.ByteStorage of size 2]'})
  same(tostring(torch.BoolStorage{true, false}), lines{' 1', ' 0', '[torch.BoolStorage of size 2]'})
  local big = torch.IntStorage(fromtable(1500, function(i) return i end))
  same(tostring(big), lines{'    1', '    2', '    3', '  ...', ' 1498', ' 1499', ' 1500',
    '[torch.IntStorage of size 1500]'})
end

function T.every_type_footer()
  for _, name in ipairs{'Float', 'Double', 'Long', 'Int', 'Short', 'Char', 'Byte', 'Bool', 'Half', 'BFloat16'} do
    local t = torch[name .. 'Tensor']{1, 0}
    same(tostring(t), lines{' 1', ' 0', '[torch.' .. name .. 'Tensor of size 2]'}, name)
  end
  same(tostring(torch.CharTensor{-7, 3}), lines{'-7', ' 3', '[torch.CharTensor of size 2]'})
  same(tostring(torch.HalfTensor{0.5, 1.25}), lines{' 0.5000', ' 1.2500', '[torch.HalfTensor of size 2]'})
end

function T.not_finite()
  same(tostring(torch.DoubleTensor{1, 0 / 0, -math.huge}), lines{'   1', ' nan', '-inf',
    '[torch.DoubleTensor of size 3]'})
  same(tostring(torch.DoubleTensor{0.5, math.huge}), lines{' 0.5000', '    inf', '[torch.DoubleTensor of size 2]'})
  same(tostring(torch.DoubleTensor{0 / 0, 0 / 0}), lines{' nan', ' nan', '[torch.DoubleTensor of size 2]'})
end

function T.abbreviated_vector()
  local t = torch.Tensor(fromtable(2000, function(i) return i end))
  same(tostring(t), lines{'    1', '    2', '    3', '  ...', ' 1998', ' 1999', ' 2000',
    '[torch.FloatTensor of size 2000]'})
  -- 1000 elements are printed whole
  tester:eq(select(2, tostring(torch.Tensor(1000):fill(1)):gsub('\n', '')), 1001)
end

function T.abbreviated_matrix()
  local v = {}
  for r = 1, 40 do
    v[r] = {}
    for c = 1, 40 do v[r][c] = r * 100 + c end
  end
  local function row(r)
    return string.format('%5d %5d %5d ... %5d %5d %5d', r * 100 + 1, r * 100 + 2, r * 100 + 3,
      r * 100 + 38, r * 100 + 39, r * 100 + 40)
  end
  same(tostring(torch.Tensor(v)), lines{row(1), row(2), row(3), '  ...', row(38), row(39), row(40),
    '[torch.FloatTensor of size 40x40]'})
  -- only long dimensions are cut: 2 x 600
  local w = torch.Tensor(2, 600):fill(7)
  same(tostring(w), lines{' 7  7  7 ...  7  7  7', ' 7  7  7 ...  7  7  7', '[torch.FloatTensor of size 2x600]'})
end

function T.abbreviated_3d()
  local t = torch.Tensor(20, 2, 30):fill(1)
  local s = tostring(t)
  local labels = {}
  for l in s:gmatch('%(([%d,]+),%.,%.%) = ') do labels[#labels + 1] = l end
  tester:eq(labels, {'1', '2', '3', '18', '19', '20'})
  tester:assert(s:find('(3,.,.) = \n  1  1  1 ...  1  1  1\n  1  1  1 ...  1  1  1\n\n...\n\n(18,.,.) = ', 1, true),
    'a "..." line between the kept slices')
  local footer = '\n[torch.FloatTensor of size 20x2x30]\n'
  tester:eq(s:sub(-#footer), footer)
end

function T.tostring_and_print()
  local t = torch.Tensor{{1, 2}}
  tester:eq(tostring(t), torch._tensorstring(t))
  tester:eq(tostring(t:storage()), torch._storagestring(t:storage()))
  -- print writes the string (ending in a newline) and its own newline, as Torch7
  local path = os.tmpname()
  local f = io.open(path, 'w')
  local old = io.output()
  io.output(f)
  io.write(tostring(t), '\n')
  io.output(old)
  f:close()
  local got = io.open(path):read('a')
  os.remove(path)
  tester:eq(got, ' 1  2\n[torch.FloatTensor of size 1x2]\n\n')
end

function T.cuda()
  local ok, why = torch.cudaAvailable()
  if not ok then tester:skip('no GPU: ' .. tostring(why)) end
  local t = torch.CudaTensor{{1, 2}, {3, 4}}
  same(tostring(t), lines{' 1  2', ' 3  4', '[torch.CudaTensor of size 2x2]'})
end

tester:add(T)
return tester
