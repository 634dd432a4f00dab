-- examples/char_lstm.lua: a character-level language model (Karpathy's char-rnn, small):
-- nn.LookupTable -> nn.LSTM -> nn.Linear, trained with nn.CrossEntropyCriterion and
-- optim.Adam in the autograd style (opt:zeroGrad(); loss:backward(); opt:step()) on random
-- windows of a text file, then sampled character by character, carrying the LSTM's state.
--   th examples/char_lstm.lua [-text file] [-iters 500] [-sample 400] [-temperature 0.7]
--   th examples/char_lstm.lua -h        (all the options)
-- The default text is the GPL version 3 (/usr/share/common-licenses/GPL-3, 35 KB, part of
-- every Debian system; 76 distinct characters). With the defaults (seq 64, batch 32,
-- hidden 256, embed 128, 500 iterations) it runs in about 45 s on 2 CPU cores (~12
-- iterations/s): the loss falls from 4.3 (log 76) to ~2.2 after 100 iterations and ~0.9
-- after 500 (the model learns much of the licence by heart), and the sample reads like
-- the licence: "... of the work in such convey a copy of the Corresponding Source ...".
-- A smaller run (-iters 100, ~8 s) already samples word-like text.
require 'nn'
require 'optim'
require 'xlua'

local cmd = torch.CmdLine()
cmd:text('Train a character-level LSTM language model on a text file and sample from it')
cmd:text()
cmd:text('Options:')
cmd:option('-text', '/usr/share/common-licenses/GPL-3', 'the training text (a plain text file)')
cmd:option('-seq', 64, 'characters per training window (steps of backpropagation through time)')
cmd:option('-batch', 32, 'windows per batch')
cmd:option('-embed', 128, 'size of the character embedding')
cmd:option('-hidden', 256, 'size of the LSTM state')
cmd:option('-iters', 500, 'training iterations (batches)')
cmd:option('-lr', 0.003, 'learning rate (Adam)')
cmd:option('-every', 100, 'print the mean loss every this many iterations')
cmd:option('-sample', 400, 'characters to sample after training')
cmd:option('-temperature', 0.7, 'sampling temperature (lower: more conservative)')
cmd:option('-seed', 1, 'random seed')
cmd:option('-threads', 2, 'threads')
local opt = cmd:parse(arg or {})

local function check(ok, msg) if not ok then io.stderr:write('char_lstm: ', msg, '\n'); os.exit(1) end end
for _, k in ipairs({'seq', 'batch', 'embed', 'hidden', 'iters', 'every', 'threads'}) do
  check(opt[k] >= 1 and opt[k] == math.floor(opt[k]), '-' .. k .. ' should be a positive integer, got ' .. opt[k])
end
check(opt.sample >= 1 and opt.sample == math.floor(opt.sample), '-sample should be a positive integer, got ' .. opt.sample)
check(opt.temperature > 0, '-temperature should be positive, got ' .. opt.temperature)
check(opt.lr > 0, '-lr should be positive, got ' .. opt.lr)
torch.setnumthreads(opt.threads)
torch.manualSeed(opt.seed)

-- the text, as a list of characters (UTF-8 characters when the file is valid UTF-8, else bytes)
local f = io.open(opt.text, 'rb')
check(f, 'cannot read the text file ' .. opt.text .. ' (give one with -text FILE)')
local text = f:read('a')
f:close()
local chars = {}
if utf8.len(text) then
  for _, c in utf8.codes(text) do chars[#chars + 1] = utf8.char(c) end
else
  for i = 1, #text do chars[i] = text:sub(i, i) end
end
check(#chars > opt.seq + 1, string.format('the text has %d characters: at least -seq + 2 = %d are needed',
                                          #chars, opt.seq + 2))

-- the vocabulary: the distinct characters, sorted; index <-> character
local vocab, index = {}, {}
for _, c in ipairs(chars) do
  if not index[c] then vocab[#vocab + 1] = c; index[c] = true end
end
table.sort(vocab)
for i, c in ipairs(vocab) do index[c] = i end
local V = #vocab
local data = torch.LongTensor(#chars)
for i, c in ipairs(chars) do data[i] = index[c] end
print(string.format('text %s: %d characters, vocabulary of %d', opt.text, #chars, V))

-- the model: seqLen x batch indices -> seqLen x batch x embed -> seqLen x batch x hidden
--            -> (seqLen*batch) x V logits
local embed = nn.LookupTable(V, opt.embed)
local lstm = nn.LSTM(opt.embed, opt.hidden)
local decoder = nn.Linear(opt.hidden, V)
local model = nn.Sequential():add(embed):add(lstm):add(decoder)   -- for print and parameters
print(model)
local function logits(x)
  local h = lstm(embed(x))                     -- seqLen x batch x hidden
  return decoder(h:view(-1, opt.hidden))       -- (seqLen*batch) x V
end
local criterion = nn.CrossEntropyCriterion()
local optimizer = optim.Adam(model:parameters(), {lr = opt.lr})

-- a batch of random windows: x the characters, y the next ones, both seqLen x batch
local x = torch.LongTensor(opt.seq, opt.batch)
local y = torch.LongTensor(opt.seq, opt.batch)
local function nextBatch()
  for b = 1, opt.batch do
    local s = torch.random(1, #chars - opt.seq)   -- the window s .. s+seq, target one further
    x:select(2, b):copy(data:narrow(1, s, opt.seq))
    y:select(2, b):copy(data:narrow(1, s + 1, opt.seq))
  end
end

print(string.format('training: %d iterations of %d x %d characters', opt.iters, opt.batch, opt.seq))
local timer = torch.Timer()
local total, count = 0, 0
lstm.h0, lstm.c0 = nil, nil   -- every window starts from a zero state
for it = 1, opt.iters do
  nextBatch()
  optimizer:zeroGrad()
  local loss = criterion(logits(x), y:view(-1))
  loss:backward()
  optimizer:step()
  total, count = total + loss:item(), count + 1
  if it == 1 then print(string.format('iter 1/%d  loss %.4f', opt.iters, loss:item())) end
  local block = math.min(opt.every, opt.iters - (math.ceil(it / opt.every) - 1) * opt.every)
  xlua.progress((it - 1) % opt.every + 1, block)
  if it % opt.every == 0 or it == opt.iters then
    print(string.format('iter %d/%d  loss %.4f  (%.1fs)', it, opt.iters, total / count, timer:time().real))
    total, count = 0, 0
  end
end

-- sampling: one character at a time, the LSTM's final state carried into the next step
model:evaluate()
local out = {}
torch.noGrad(function()
  local cur = data[torch.random(1, #chars)]   -- a first character drawn from the text
  out[1] = vocab[cur]
  local input = torch.LongTensor(1, 1)
  lstm.h0, lstm.c0 = nil, nil
  for _ = 2, opt.sample do
    input[1][1] = cur
    local l = logits(input):view(V)
    lstm.h0, lstm.c0 = lstm.hN, lstm.cN
    local probs = torch.softmax(l / opt.temperature)
    cur = torch.multinomial(probs, 1)[1]
    out[#out + 1] = vocab[cur]
  end
end)
lstm.h0, lstm.c0 = nil, nil
print(string.format('sample (%d characters, temperature %g):', opt.sample, opt.temperature))
print(table.concat(out))
