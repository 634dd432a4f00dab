-- bench/dist_table.lua, the table of `make bench-dist`, on made-up ROW lines (no timing
-- is measured here): medians over rounds, the ratios and the target column, and its block
-- in RESULTS.md, which must replace itself and leave `make bench`'s block (bench/table.lua)
-- and the rest of the file alone, as bench/table.lua must leave it alone.
local tester = torch.Tester()
local T = torch.TestSuite()

-- child.run: a script run by a child th process (tests/lua/child_th.lua)
local child = dofile((debug.getinfo(1, 'S').source:match('^@(.*)/[^/]*$') or 'tests/lua') .. '/child_th.lua')
local shquote = child.shquote
if not child.th then return child.skip(tester, T, 'not run by th (the table script runs in a child th process)') end
local function write(path, text)
  local f = assert(io.open(path, 'w'))
  f:write(text)
  f:close()
end
local function read(path)
  local f = assert(io.open(path))
  local s = f:read('a')
  f:close()
  return s
end
-- run(script, args...) -> true when it exited with status 0, its stdout and stderr together
local function run(script, ...)
  local args = {}
  for i, a in ipairs { ... } do args[i] = shquote(a) end
  local code, out = child.run('bench/' .. script, table.concat(args, ' '))
  return code == 0, out
end

local function tmpdir()
  local p = io.popen('mktemp -d "${TMPDIR:-/tmp}/lt_benchdist.XXXXXX"')
  local d = p:read('l')
  p:close()
  return d
end

-- three rounds; 1 MB: ours 0.2/0.3/1.0 ms (median 0.3), MPI in the same job 0.25 ms in
-- each (ratio 0.83: not met); 4 MB: 1 ms both (1.00, met)
local rows = table.concat({
  'BATCH 64',
  'ROW\tmpi\t1\t0.0003\t0.0002', 'ROW\tmpi\t4\t0.002\t0.001',
  'ROW\tapi\t1\t0.0002\t0.0001', 'ROW\tinproc\t1\t0.00025\t0.0002',
  'ROW\tapi\t4\t0.001\t0.001', 'ROW\tinproc\t4\t0.001\t0.001',
  'ROW\tapi\t1\t0.0003\t0.0002', 'ROW\tinproc\t1\t0.00025\t0.0002',
  'ROW\tapi\t1\t0.001\t0.0002', 'ROW\tinproc\t1\t0.00025\t0.0002',
  'ROW\tstep\tcnn\t1\tsingle\t0.064\t0.06', 'ROW\tstep\tcnn\t2\treduce\t0.080\t0.07',
  'ROW\tstep\tcnn\t2\tnoreduce\t0.070\t0.07',
}, '\n') .. '\n'

function T.table()
  local d = tmpdir()
  write(d .. '/rows', rows)
  write(d .. '/machine', 'the test machine')
  local ok, out = run('dist_table.lua', d)
  os.execute('rm -rf ' .. shquote(d))
  tester:assert(ok, 'dist_table.lua ran: ' .. out)
  tester:assert(out:find('| 1 MB | 0.300 ms | 0.250 ms | 0.83 | 0.300 ms | 1.00 | 3.50 | no |', 1, true), out)
  tester:assert(out:find('| 4 MB | 1.000 ms | 1.000 ms | 1.00 | 2.000 ms | 2.00 | 4.19 | yes |', 1, true), out)
  tester:assert(out:find("| Fashion-MNIST example's conv net | 64.000 ms | 80.000 ms | 1.25 | 70.000 ms | 1.09 | 1000 → 1600 |", 1, true), out)
  tester:assert(out:find('1 of 2 allReduce targets met; medians of 3 interleaved rounds. the test machine', 1, true), out)
end

function T.resultsBlocks()
  local d = tmpdir()
  write(d .. '/rows', rows)
  local results = d .. '/RESULTS.md'
  write(results, '# Results\n\n<!-- make bench -->\nthe make bench table\n<!-- /make bench -->\n\nnotes\n')
  local ok1, out1 = run('dist_table.lua', d, results)
  local ok2, out2 = run('dist_table.lua', d, results)
  local after = read(results)
  -- bench/table.lua on an empty directory rewrites its own block only
  local ok3, out3 = run('table.lua', d .. '/none', results)
  local last = read(results)
  os.execute('rm -rf ' .. shquote(d))
  tester:assert(ok1 and ok2 and ok3, out1 .. out2 .. out3)
  local _, starts = after:gsub('<!%-%- make bench%-dist %-%->', '')
  tester:asserteq(starts, 1, 'one bench-dist block after two runs')
  tester:assert(after:find('<!-- make bench -->\nthe make bench table\n<!-- /make bench -->\n\nnotes\n', 1, true),
    'make bench block and notes kept')
  tester:assert(after:find('| 4 MB | 1.000 ms', 1, true), 'the table is in the block')
  local block = after:match('<!%-%- make bench%-dist %-%->.-<!%-%- /make bench%-dist %-%->')
  tester:assert(block and last:find(block, 1, true), 'bench/table.lua keeps the bench-dist block')
  tester:assert(not last:find('the make bench table', 1, true), "bench/table.lua rewrote its own block")
end

tester:add(T)
return tester
