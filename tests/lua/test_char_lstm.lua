-- examples/char_lstm.lua run as a child th process with tiny settings: the loss falls,
-- the sample has the requested length and only characters of the text, `-h` lists the
-- options, and a missing text file is a clear error.
local tester = torch.Tester()
local T = torch.TestSuite()

-- child.run: a script run by a child th process (tests/lua/child_th.lua)
local child = dofile((debug.getinfo(1, 'S').source:match('^@(.*)/[^/]*$') or 'tests/lua') .. '/child_th.lua')
local shquote = child.shquote
if not child.th then return child.skip(tester, T, 'not run by th (the example runs in a child th process)') end

-- run(args) -> exit code, stdout and stderr together
local function run(args) return child.run('examples/char_lstm.lua', args) end

function T.trains_and_samples()
  local textfile = os.tmpname()
  local f = io.open(textfile, 'w')
  local sentence = 'the quick brown fox jumps over the lazy dog. '
  f:write(string.rep(sentence, 12), '\n')
  f:close()
  local code, out = run('-text ' .. shquote(textfile) .. ' -seq 16 -batch 8 -embed 16 -hidden 32'
    .. ' -iters 40 -every 20 -lr 0.01 -sample 60 -temperature 0.8 -seed 3 -threads 1')
  os.remove(textfile)
  tester:eq(code, 0, 'exit status 0: ' .. out)
  tester:assert(out:find('vocabulary of 29', 1, true), 'the vocabulary: 28 letters and signs, and the newline')
  tester:assert(out:find('nn.LSTM(16 -> 32)', 1, true), 'the model is printed')
  -- the loss lines: iteration 1, 20 and 40
  local iters, losses = {}, {}
  for it, loss in out:gmatch('iter (%d+)/40  loss ([%d.]+)') do
    iters[#iters + 1], losses[#losses + 1] = tonumber(it), tonumber(loss)
  end
  tester:eq(iters, {1, 20, 40}, 'the loss is printed at 1 and every 20 iterations')
  tester:assert(#losses == 3 and math.abs(losses[1] - math.log(29)) < 0.5,
    'the first loss is near log(29) = 3.37: ' .. tostring(losses[1]))
  tester:assert(#losses == 3 and losses[3] < losses[1] - 0.5,
    string.format('the loss falls: %s -> %s', tostring(losses[1]), tostring(losses[3])))
  -- the sample: 60 characters of the text's alphabet
  local sample = out:match('sample %(60 characters, temperature 0%.8%):\n(.*)\n$')
  tester:assert(sample ~= nil, 'the sample is printed last: ' .. out)
  if sample then
    tester:eq(#sample, 60, 'the sample has the requested length')
    local alphabet = {}
    for c in (sentence .. '\n'):gmatch('.') do alphabet[c] = true end
    local bad = {}
    for c in sample:gmatch('.') do if not alphabet[c] then bad[#bad + 1] = c end end
    tester:eq(#bad, 0, 'only characters of the text: ' .. table.concat(bad))
  end
end

function T.help_lists_the_options()
  local code, out = run('-h')
  tester:eq(code, 0, '-h exits 0')
  for _, o in ipairs({'-text', '-seq', '-batch', '-embed', '-hidden', '-iters', '-lr', '-sample',
                      '-temperature', '-seed', '-threads'}) do
    tester:assert(out:find('%s' .. o:gsub('%-', '%%-') .. '%s'), '-h lists ' .. o .. ': ' .. out)
  end
  tester:assert(out:find('/usr/share/common-licenses/GPL-3', 1, true), 'the default text is shown')
end

function T.bad_arguments_are_clear_errors()
  local code, out = run('-text /nonexistent/text.txt')
  tester:assert(code ~= 0, 'a missing text file fails')
  tester:assert(out:find('cannot read the text file /nonexistent/text.txt', 1, true)
    and out:find('-text', 1, true), 'the error names the file and -text: ' .. out)
  code, out = run('-hidden 0')
  tester:assert(code ~= 0 and out:find('-hidden should be a positive integer', 1, true), '-hidden 0: ' .. out)
  code, out = run('-temperature 0')
  tester:assert(code ~= 0 and out:find('-temperature should be positive', 1, true), '-temperature 0: ' .. out)
end

tester:add(T)
return tester
