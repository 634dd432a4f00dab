-- nn.Module: the base class of every module.
--
-- A module computes its output in updateOutput(input) with tensor ops, which the
-- autograd engine records while grad mode is on. The rest of Torch7's module API comes
-- from that graph:
--   forward(input)        keeps the input (a float tensor that does not require grad is
--                         replaced by a leaf that does, sharing its data, so that
--                         gradInput can be computed) and returns updateOutput(input);
--   backward(input, gradOutput[, scale])
--                         the gradients of this module's own computation (from its input
--                         to its output): gradInput is returned and kept in
--                         self.gradInput, and scale * the parameters' gradients are added
--                         into gradWeight/gradBias... (Torch7's accumulation);
--   updateGradInput / accGradParameters: the two halves of backward.
-- Parameters require grad and their .grad IS the module's gradient tensor
-- (self.weight.grad == self.gradWeight), so `loss:backward()` in the autograd style fills
-- the same tensors that Torch7-style backward does. A module written in Lua with only
-- updateOutput gets its backward this way; a module may still write its own
-- updateGradInput/accGradParameters (Torch7 style) and they are used instead.
local nn = require 'nn'

local Module = torch.class('nn.Module')

function Module:__init()
  self.gradInput = torch.Tensor()
  self.output = torch.Tensor()
  self.train = true
end

-- ---- parameters ----

local function link_pairs(params, grads)
  for i, p in ipairs(params) do
    if not p.requiresGrad then p.requiresGrad = true end
    local g = grads[i]
    if g and p.grad == nil and g:nElement() == p:nElement() then p.grad = g end
  end
  return params, grads
end

-- the parameters (weight, bias) and their gradient tensors; they require grad and their
-- .grad is the gradient tensor (made so here for modules whose __init did not)
function Module:parameters()
  if self.weight and self.bias then
    return link_pairs({ self.weight, self.bias }, { self.gradWeight, self.gradBias })
  elseif self.weight then
    return link_pairs({ self.weight }, { self.gradWeight })
  elseif self.bias then
    return link_pairs({ self.bias }, { self.gradBias })
  end
end

-- parameters require grad, and their .grad is the module's gradient tensor
function Module:_linkGrads()
  local params, grads = self:parameters()
  if not params then return self end
  for i, p in ipairs(params) do
    p.requiresGrad = true
    local g = grads and grads[i]
    if g then
      if g:nElement() ~= p:nElement() then g:resizeAs(p):zero() end
      p.grad = g
    end
  end
  return self
end

function Module:zeroGradParameters()
  local _, grads = self:parameters()
  if grads then for _, g in ipairs(grads) do g:zero() end end
end

function Module:updateParameters(learningRate)
  if type(learningRate) ~= 'number' then
    error(string.format('%s:updateParameters: learningRate must be a number, got %s',
                        torch.typename(self) or 'nn.Module', torch.type(learningRate)), 2)
  end
  local params, grads = self:parameters()
  if params then
    torch.noGrad(function()
      for i, p in ipairs(params) do p:add(-learningRate, grads[i]) end
    end)
  end
end

-- ---- forward ----

local function is_float(t)
  local tp = t:type()
  return tp:find('Float') or tp:find('Double') or tp:find('Half') or tp:find('BFloat16') or tp == 'torch.CudaTensor'
end

-- the leaves made by as_graph_input (weak keys): their data is the caller's tensor, which
-- requires no grad, so an in-place module may write into it (nn._inplace)
local made_leaves = setmetatable({}, { __mode = 'k' })

-- the input as the graph should see it: float tensors without a history become leaves
-- that require grad (sharing the data), tables are walked; anything else as it is. A
-- tensor found twice in a table gets its own (recorded) view the second time, so that
-- each position has its own gradient.
local function as_graph_input(x, seen)
  if torch.isTensor(x) then
    if seen then
      if seen[x] then x = x:viewAs(x) end
      seen[x] = true
    end
    if torch.isGradEnabled() and not x.requiresGrad and is_float(x) then
      local leaf = x:detach():setRequiresGrad()
      made_leaves[leaf] = true
      return leaf
    end
    return x
  elseif type(x) == 'table' and getmetatable(x) == nil then
    seen = seen or {}
    local c = {}
    for k, v in pairs(x) do c[k] = as_graph_input(v, seen) end
    return c
  end
  return x
end
nn._asGraphInput = function(x) return as_graph_input(x) end

function Module:updateOutput(input)
  return self.output
end

-- the tensors of x (a tensor or nested tables), in a stable order
local function tensors_of(x, list, pred)
  if torch.isTensor(x) then
    if not pred or pred(x) then list[#list + 1] = x end
  elseif type(x) == 'table' then
    local n = #x
    for i = 1, n do tensors_of(x[i], list, pred) end
    local keys = {}
    for k in pairs(x) do if not (math.type(k) == 'integer' and k >= 1 and k <= n) then keys[#keys + 1] = k end end
    table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
    for _, k in ipairs(keys) do tensors_of(x[k], list, pred) end
  end
  return list
end
nn._tensorsOf = tensors_of

-- parameters made in a Lua __init (Torch7 style) are linked on first use
local function link_once(self)
  if not rawget(self, '_linked') then
    self:_linkGrads()
    self._linked = true
  end
end

local writes_own   -- below

-- A module that writes its own updateGradInput/accGradParameters (Torch7 style) runs its
-- updateOutput without recording and becomes one node of the graph whose backward calls
-- those methods, so containers and loss:backward() use them too.
local function forward_own(self, x)
  local out = torch.noGrad(function() return self:updateOutput(x) end)
  if not torch.isGradEnabled() or not torch.isTensor(out) then return out end
  local inputs = tensors_of(x, {}, function(t) return t.requiresGrad end)
  local params = self:parameters() or {}
  for _, p in ipairs(params) do if p.requiresGrad then inputs[#inputs + 1] = p end end
  if #inputs == 0 then return out end
  local nin = #inputs - 0
  local out_rec = out:detach()
  torch._recordFunction(out_rec, inputs, function(g)
    local gi = self:updateGradInput(x, g)
    self:accGradParameters(x, g, 1)
    local res, k = {}, 0
    local function put(v)
      if torch.isTensor(v) then k = k + 1; res[k] = v
      elseif type(v) == 'table' then for i = 1, #v do put(v[i]) end end
    end
    if torch.isTensor(x) then
      if x.requiresGrad then put(gi) end
    else
      -- the gradInput table, in the order of the input's tensors that require grad
      local function walk(xi, gv)
        if torch.isTensor(xi) then if xi.requiresGrad then k = k + 1; res[k] = gv end
        elseif type(xi) == 'table' then for i = 1, #xi do walk(xi[i], type(gv) == 'table' and gv[i] or nil) end end
      end
      walk(x, gi)
    end
    return table.unpack(res, 1, nin)
  end, torch.typename(self) .. 'Backward')
  return out_rec
end

-- the module's backward is entirely its own: updateGradInput, and accGradParameters too
-- when it has parameters (a module writing only one of them gets the other from the graph)
local function own_backward(self)
  if not writes_own(self, 'updateGradInput') then return false end
  local params = self:parameters()
  return not params or #params == 0 or writes_own(self, 'accGradParameters')
end

local function run_update_output(self, x)
  if own_backward(self) then return forward_own(self, x) end
  return self:updateOutput(x)
end

-- the output's storage version once forward has returned: a later in-place write into it
-- (an in-place module after this one, out:mul(2) on a non-leaf) replaces or invalidates
-- the history this module's backward would read, so graph_usable then recomputes
-- (only a recorded forward's: graph_usable recomputes after an unrecorded one anyway)
local function output_version(self, out)
  return self._recorded and torch.isTensor(out) and torch._version(out) or nil
end

-- containers call this on their children: the input is already on the graph
function Module:_forward(input)
  link_once(self)
  self._input = input
  self._inputRaw = input
  self._recorded = torch.isGradEnabled()
  self.output = run_update_output(self, input)
  self._outVersion = output_version(self, self.output)
  return self.output
end

-- an input that holds no tensor at all (nil, a number, an empty table ...)
local function tensorless(input)
  return not torch.isTensor(input) and #tensors_of(input, {}) == 0
end

local function input_kind(input)
  if type(input) == 'table' and not torch.isTensor(input) and next(input) == nil then return 'an empty table' end
  return torch.type(input)
end

local function named_error(self, err, input)
  local msg = tostring(err)
  local name = torch.typename(self) or 'nn.Module'
  -- a Lua error inside updateOutput ("attempt to index a nil value (local 'input')") on an
  -- input without tensors: the input is what is wrong
  if tensorless(input) and msg:find('attempt to ', 1, true) then
    msg = string.format('%s: expected a tensor input, got %s', name, input_kind(input))
  end
  -- a position inside the nn library itself tells the user nothing
  msg = msg:gsub('^[^\n:]*/nn/[%w_]+%.lua:%d+: ', '')
  if not msg:find(name, 1, true) then msg = name .. ': ' .. msg end
  error(msg, 0)
end

-- modules computing float math (tanh, exp, log ...) refuse integer input, as the fused
-- activations do (an IntTensor tanh would round every value to 0 or +-1)
function nn._checkFloatInput(self, input)
  if torch.isTensor(input) and not is_float(input) then
    error(string.format('%s: the input must be a floating-point tensor (FloatTensor or DoubleTensor), got %s',
                        torch.typename(self), (input:type():gsub('^torch%.', ''))), 3)
  end
end

function Module:forward(input)
  link_once(self)
  if input == nil then
    error((torch.typename(self) or 'nn.Module') .. ': expected a tensor input, got nil', 2)
  end
  local x = as_graph_input(input)
  self._input = x
  self._inputRaw = input
  self._recorded = torch.isGradEnabled()
  -- while recording, an in-place write into a leaf that requires grad (self.weight:add(1),
  -- input:mul(2)) is an error: it would not be recorded and the gradients would be wrong
  local prev = self._recorded and torch._refuseLeafWrites(true)
  local ok, out = pcall(run_update_output, self, x)
  if self._recorded then torch._refuseLeafWrites(prev) end
  if not ok then named_error(self, out, input) end
  self.output = out
  self._outVersion = output_version(self, out)
  return out
end

-- module(input): the autograd style (no leaf is made for the input)
function Module:__call__(input)
  if input == nil then
    error((torch.typename(self) or 'nn.Module') .. ': expected a tensor input, got nil', 2)
  end
  if not torch.isGradEnabled() then return self:_forward(input) end
  local prev = torch._refuseLeafWrites(true)
  local ok, out = pcall(self._forward, self, input)
  torch._refuseLeafWrites(prev)
  if not ok then error(out, 0) end
  return out
end

-- Torch7's in-place flag (self.inplace): the output is written into the input's storage
-- and shares it. fresh(x) returns f(x) as a new tensor, into(res, x) writes f(x) into res
-- (res may share x's storage). The input is overwritten when that cannot change a
-- gradient: it requires no grad; it is a leaf forward made from a tensor that requires
-- none (the output is then a new tensor on the same storage, recorded from a copy of the
-- input); or it is a non-leaf that no recorded op used yet (the write is recorded, and
-- the input's history becomes this module's). Otherwise (a leaf of yours that requires
-- grad, a view, a tensor another op already used or saved) f(x) is a new tensor. After
-- an in-place forward, backward computes again from the input it is given (which is the
-- output now): f must be one whose gradient the output determines.
function nn._inplace(self, input, fresh, into)
  if not torch.isTensor(input) then
    error(string.format('expected a tensor input, got %s', torch.type(input)), 0)
  end
  local done = false
  local out
  if not self.inplace or self._recomputing then
    out = fresh(input)
  elseif not input.requiresGrad then
    out = into(input, input)
    done = true
  elseif torch.isGradEnabled() and made_leaves[input] and torch._canOverwrite(input) then
    out = into(input.new():set(input), input)
    done = true
  elseif torch.isGradEnabled() and not input:isLeaf() and torch._canOverwrite(input) then
    out = into(input, input)
    done = true
  else
    out = fresh(input)
  end
  self._inplaceDone = done
  return out
end

-- ---- backward through the recorded graph ----

-- a structure like x with its tensors replaced, in order, from list
local function rebuild(x, list, pos, pred)
  if torch.isTensor(x) then
    if not pred or pred(x) then
      pos[1] = pos[1] + 1
      return list[pos[1]]
    end
    return x.new and x.new():resizeAs(x):zero() or x
  elseif type(x) == 'table' then
    local c, n = {}, #x
    for i = 1, n do c[i] = rebuild(x[i], list, pos, pred) end
    local keys = {}
    for k in pairs(x) do if not (math.type(k) == 'integer' and k >= 1 and k <= n) then keys[#keys + 1] = k end end
    table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
    for _, k in ipairs(keys) do c[k] = rebuild(x[k], list, pos, pred) end
    return c
  end
  return x
end

local function needs_grad(t) return t.requiresGrad end

-- gradients of this module's computation: for the input (when wantInput) and for the
-- parameters (when wantParams); returns gradInput and the list of parameter gradients
-- the same data (or the same table of it) as what forward saw
local function same_input(a, b)
  if rawequal(a, b) then return true end
  if torch.isTensor(a) and torch.isTensor(b) then
    if a:nElement() ~= b:nElement() then return false end
    if a:nElement() == 0 then return true end
    if torch.pointer(a:storage()) == torch.pointer(b:storage()) and a:storageOffset() == b:storageOffset() then
      return true
    end
    -- another tensor with the same values (Torch7 code often rebuilds the input)
    return a:type() == b:type() and torch.noGrad(function() return a:view(-1):equal(b:contiguous():view(-1)) end)
  end
  if type(a) == 'table' and type(b) == 'table' then
    for k, v in pairs(a) do if not same_input(v, b[k]) then return false end end
    return true
  end
  return false
end

local function sizestr(t)
  if t:dim() == 0 then return t:nElement() == 0 and 'empty' or 'scalar' end
  return table.concat(t:size():totable(), 'x')
end

-- whether the graph the last forward recorded gives the gradients at `input`: it exists
-- (forward ran with grad mode on, and no :type(), clearState() or clone() dropped it since),
-- it was recorded for this input (the same tensor, or the same values), and, when the
-- input's gradient is wanted, the input is on it (module(x) in the autograd style records
-- no path from x). Otherwise backward computes forward again at the input it is given
-- (Torch7's backward is the gradient at the input given, whatever forward saw last).
local function graph_usable(self, input, wantInput)
  local x = self._input
  if x == nil then
    -- updateOutput was called directly (a Torch7 decorator): the input given is on the
    -- graph its updateOutput recorded when an output has a recorded history
    if input ~= nil and #tensors_of(input, {}, needs_grad) > 0 then
      for _, o in ipairs(tensors_of(self.output, {})) do
        if o.requiresGrad and not o:isLeaf() then
          self._input, self._inputRaw, self._recorded = input, input, true
          return true
        end
      end
    end
    return false
  end
  if not self._recorded then return false end
  -- forward wrote into its input (nn._inplace), or the output was changed in place since
  if self._inplaceDone then return false end
  if self._outVersion and torch.isTensor(self.output) and torch._version(self.output) ~= self._outVersion then
    return false
  end
  if input ~= nil and not rawequal(input, self._inputRaw) and not rawequal(input, x)
     and not same_input(input, self._inputRaw) and not same_input(input, x) then
    return false
  end
  if wantInput then
    for _, t in ipairs(tensors_of(x, {})) do
      if not t.requiresGrad and is_float(t) then return false end
    end
  end
  return true
end

-- forward again at input, with grad mode on. Modules with side effects in forward read
-- self._recomputing: BatchNormalization leaves its running statistics alone, Dropout
-- reuses its mask.
function Module:_recompute(input)
  local name = torch.typename(self) or 'nn.Module'
  if input == nil then
    error(name .. ': backward: bad argument #1 \'input\' (the input given to forward expected, got nil)', 4)
  end
  self:apply(function(m) m._recomputing = true end)
  local ok, err = pcall(torch.enableGrad, function() return self:forward(input) end)
  self:apply(function(m) m._recomputing = nil end)
  if not ok then error(err, 0) end
end

-- the tensors this module and those inside it read from fields as inputs of the last
-- forward (module._graphStops, set by updateOutput) that have a history
local function field_stops(self)
  local list = {}
  self:apply(function(m)
    local f = rawget(m, '_graphStops')
    if f then
      -- (a leaf has no graph below it: it keeps accumulating its .grad)
      for _, t in pairs(f) do
        if torch.isTensor(t) and t.requiresGrad and not t:isLeaf() then list[#list + 1] = t end
      end
    end
  end)
  return list
end

function Module:_gradients(input, gradOutput, wantInput, wantParams, accumulate)
  if not graph_usable(self, input, wantInput) then self:_recompute(input) end
  local x = self._input
  local outs = tensors_of(self.output, {})
  local gouts = tensors_of(gradOutput, {})
  if #outs ~= #gouts then
    error(string.format('%s: backward: gradOutput has %d tensors, the output %d', torch.typename(self), #gouts, #outs), 3)
  end
  for i, o in ipairs(outs) do
    if not gouts[i]:isSameSizeAs(o) then
      error(string.format('%s: backward: bad argument #2 \'gradOutput\': %s gradient for a %s output (the sizes must be equal)',
                          torch.typename(self), sizestr(gouts[i]), sizestr(o)), 3)
    end
  end
  local ins = wantInput and tensors_of(x, {}, needs_grad) or {}
  local params = wantParams and (self:parameters()) or {}
  local targets, nin = {}, #ins
  for _, t in ipairs(ins) do targets[#targets + 1] = t end
  -- states a module read from its fields (nn.RNN's h0/c0) are inputs of this call too:
  -- the graph is cut there, so a state carried over from the last call (m.h0 = m.hN)
  -- does not send this call's gradients into the last call's graph
  local cut = ins
  local stops = field_stops(self)
  if #stops > 0 then
    cut = {}
    for _, t in ipairs(ins) do cut[#cut + 1] = t end
    for _, t in ipairs(stops) do cut[#cut + 1] = t; targets[#targets + 1] = t end
  end
  local pidx = {}
  for i, p in ipairs(params) do
    if p.requiresGrad then targets[#targets + 1] = p; pidx[#targets] = i end
  end
  local live_outs, live_gouts = {}, {}
  for i, o in ipairs(outs) do
    if o.requiresGrad then live_outs[#live_outs + 1] = o; live_gouts[#live_gouts + 1] = gouts[i] end
  end
  local gs = {}
  if accumulate then
    -- the parameters (leaves) add their gradients straight into .grad (= gradWeight ...)
    local _, grads = self:parameters()
    if #live_outs > 0 then
      gs = torch.grad(live_outs, cut, live_gouts, { retainGraph = true, stopAtInputs = true, accumulate = true })
    elseif (#ins > 0 or (grads and #grads > 0)) and not self._recorded then
      error(torch.typename(self) .. ': backward: forward ran with grad mode off, so nothing was recorded', 3)
    end
  elseif #targets > 0 and #live_outs > 0 then
    gs = torch.grad(live_outs, targets, live_gouts, { retainGraph = true, stopAtInputs = true })
  elseif #targets > 0 and not self._recorded then
    error(torch.typename(self) .. ': backward: forward ran with grad mode off, so nothing was recorded', 3)
  end
  local gradInput
  if wantInput then
    local list = {}
    for i = 1, nin do
      -- Torch7's gradInputs are contiguous; the engine's can be views (a sum's gradient is
      -- an expanded one, stride 0, which in-place changes such as gradInput:mul(s) refuse)
      local g = gs[i]
      if g and not g:isContiguous() then g = g:contiguous() end
      list[i] = g or ins[i].new():resizeAs(ins[i]):zero()
    end
    if torch.isTensor(x) then
      -- an integer input (indices, a mask) has no gradient: zeros of its size, as in a table
      gradInput = list[1] or x.new():resizeAs(x):zero()
    else
      gradInput = rebuild(x, list, { 0 }, needs_grad)
    end
  end
  local pgrads = {}
  for k, i in pairs(pidx) do pgrads[i] = gs[k] end
  return gradInput, pgrads
end

function Module:updateGradInput(input, gradOutput)
  self.gradInput = self:_gradients(input, gradOutput, true, false)
  return self.gradInput
end

function Module:accGradParameters(input, gradOutput, scale)
  scale = scale or 1
  local _, pgrads = self:_gradients(input, gradOutput, false, true)
  local _, grads = self:parameters()
  if grads then
    torch.noGrad(function()
      for i, g in pairs(pgrads) do grads[i]:add(scale, g) end
    end)
  end
end

-- a module whose class (or a parent below nn.Module) writes updateGradInput or
-- accGradParameters itself is backwarded the Torch7 way, through those methods
writes_own = function(self, name)
  -- the usual case first: the method found is Module's own (one lookup by the VM). A class
  -- that sets Module's own function as its method counts as not writing its own.
  if rawequal(self[name], Module[name]) then return false end
  local mt = getmetatable(self)
  while mt and not rawequal(mt, Module) do   -- (== would dispatch to the classes' __eq)
    if rawget(mt, name) then return true end
    mt = getmetatable(mt)
  end
  return false
end

function Module:backward(input, gradOutput, scale)
  scale = scale or 1
  if writes_own(self, 'updateGradInput') or writes_own(self, 'accGradParameters') then
    local x = self._input or input
    self:updateGradInput(x, gradOutput)
    self:accGradParameters(x, gradOutput, scale)
    return self.gradInput
  end
  if scale == 1 then
    self.gradInput = self:_gradients(input, gradOutput, true, false, true)
    return self.gradInput
  end
  local gradInput, pgrads = self:_gradients(input, gradOutput, true, true)
  self.gradInput = gradInput
  local _, grads = self:parameters()
  if grads then
    torch.noGrad(function()
      for i, g in pairs(pgrads) do grads[i]:add(scale, g) end
    end)
  end
  return self.gradInput
end

-- ---- modes ----

function Module:training()
  self.train = true
  if self.modules then for _, m in ipairs(self.modules) do m:training() end end
  return self
end

function Module:evaluate()
  self.train = false
  if self.modules then for _, m in ipairs(self.modules) do m:evaluate() end end
  return self
end

-- ---- flat parameters (Torch7's getParameters) ----

-- One storage for all the parameters and one for all their gradients: each parameter
-- (and gradient) tensor is re-pointed at its slice, so an optimizer updating the flat
-- tensor updates the module. Tensors that already share one storage stay shared.
local function flatten(tensors)
  if #tensors == 0 then return torch.Tensor() end
  local proto = tensors[1]
  -- one slice per storage, laid out as the storage is, so that tensors sharing a storage
  -- (shared parameters, views) keep sharing it
  local slices, total, order = {}, 0, {}
  local unique, seen_t = {}, {}
  for _, t in ipairs(tensors) do   -- a module used twice lists its tensors twice
    local k = torch.pointer(t)
    if not seen_t[k] then seen_t[k] = true; unique[#unique + 1] = t end
  end
  tensors = unique
  for _, t in ipairs(tensors) do
    local st = t:storage()
    if st then
      local key = torch.pointer(st)
      if not slices[key] then
        slices[key] = { offset = total, storage = st }
        order[#order + 1] = key
        total = total + st:size()
      end
    end
  end
  local flat = proto.new(math.max(total, 0)):zero()
  torch.noGrad(function()
    for _, key in ipairs(order) do
      local s = slices[key]
      local n = s.storage:size()
      if n > 0 then flat:narrow(1, s.offset + 1, n):copy(proto.new(s.storage)) end
    end
    local where = {}
    for i, t in ipairs(tensors) do
      local st = t:storage()
      where[i] = st and slices[torch.pointer(st)]
    end
    for i, t in ipairs(tensors) do
      local s = where[i]
      if s then t:set(flat:storage(), s.offset + t:storageOffset(), t:size(), t:stride()) end
    end
  end)
  return flat
end

function Module:getParameters()
  local params, grads = self:parameters()
  params, grads = params or {}, grads or {}
  -- one flat tensor holds them all, so they must share one type
  for _, list in ipairs { params, grads } do
    for _, t in ipairs(list) do
      if t:type() ~= params[1]:type() then
        error(string.format('%s:getParameters: the modules\' parameters must all be of one type, found %s and %s ' ..
                            '(convert the whole network, e.g. with :double())', torch.typename(self) or 'nn.Module',
                            params[1]:type(), t:type()), 2)
      end
    end
  end
  local flatParams = flatten(params)
  local flatGrads = flatten(grads)
  self:_relinkAll()
  return flatParams, flatGrads
end

-- after parameters were re-pointed or replaced: requiresGrad and .grad for every module
function Module:_relinkAll()
  self:apply(function(m) m:_linkGrads() end)
end

-- ---- traversal ----

function Module:apply(fn)
  fn(self)
  if self.modules then for _, m in ipairs(self.modules) do m:apply(fn) end end
end

function Module:listModules()
  local list = {}
  self:apply(function(m) list[#list + 1] = m end)
  return list
end

function Module:findModules(typename, container)
  container = container or self
  local nodes, containers = {}, {}
  local name = torch.typename(self)
  if name == typename then
    nodes[#nodes + 1] = self
    containers[#containers + 1] = container
  end
  if self.modules then
    for _, child in ipairs(self.modules) do
      local n, c = child:findModules(typename, self)
      for i = 1, #n do nodes[#nodes + 1] = n[i]; containers[#containers + 1] = c[i] end
    end
  end
  return nodes, containers
end

-- ---- types, state, copies ----

-- x as a tensor of typename: tensors that shared a storage share the converted one
local function convert(x, typename, memo)
  if torch.isTensor(x) then
    if x:type() == typename then return x end
    local key = torch.pointer(x)
    if memo[key] == nil then
      local st = x:storage()
      local c
      if st then
        local skey = 'storage:' .. torch.pointer(st)
        if memo[skey] == nil then memo[skey] = x.new(st):type(typename) end
        local full = memo[skey]
        c = full.new():set(full:storage(), x:storageOffset(), x:size(), x:stride())
      else
        c = x:detach():type(typename)
      end
      if x.requiresGrad then c:setRequiresGrad() end
      memo[key] = c
    end
    return memo[key]
  elseif type(x) == 'table' then
    if memo[x] then return memo[x] end
    memo[x] = x
    for k, v in pairs(x) do
      if k ~= '_input' then x[k] = convert(v, typename, memo) end
    end
    return x
  end
  return x
end

-- An integer tensor (indices, masks) keeps its dtype but follows the module to the GPU
-- or back: a LongTensor becomes a CudaLongTensor under :cuda(), and a LongTensor again
-- under :float(). Floating tensors take typename.
local function is_int_type(tp)
  return tp:find('Long') or tp:find('Byte') or tp:find('Bool') or tp:find('Int') or tp:find('Short') or tp:find('Char')
end
local function target_type(tp, typename)
  if not is_int_type(tp) then return typename end
  local dt = tp:match('^torch%.Cuda(%w+)Tensor$') or tp:match('^torch%.(%w+)Tensor$')
  if not dt then return tp end
  return typename:find('^torch%.Cuda') and 'torch.Cuda' .. dt .. 'Tensor' or 'torch.' .. dt .. 'Tensor'
end
nn._typeFor = target_type

-- tensors of another type: floating fields (and integer ones kept as they are when
-- they hold indices, moved to the GPU or back with the module; Torch7 converts every
-- tensor field, we keep LongTensors)
function Module:type(typename, memo)
  if not typename then return self._type or 'torch.FloatTensor' end
  memo = memo or {}
  self:apply(function(m)
    m._input = nil
    for k, v in pairs(m) do
      if torch.isTensor(v) then
        m[k] = convert(v, target_type(v:type(), typename), memo)
      elseif type(v) == 'table' and k ~= 'modules' and torch.isTypeOf(v, 'nn.Module') then
        if not memo[v] then memo[v] = true; v:type(typename, memo) end
      elseif type(v) == 'table' and k ~= 'modules' and getmetatable(v) == nil then
        for kk, vv in pairs(v) do
          if torch.isTensor(vv) then v[kk] = convert(vv, target_type(vv:type(), typename), memo) end
        end
      end
    end
    m._type = typename
  end)
  self:_relinkAll()
  return self
end

function Module:float() return self:type('torch.FloatTensor') end
function Module:double() return self:type('torch.DoubleTensor') end
function Module:cuda() return self:type('torch.CudaTensor') end
-- float16 / bfloat16 parameters, on the device the module is on
function Module:half()
  return self:type(tostring(self._type):find('^torch%.Cuda') and 'torch.CudaHalfTensor' or 'torch.HalfTensor')
end
function Module:bfloat16()
  return self:type(tostring(self._type):find('^torch%.Cuda') and 'torch.CudaBFloat16Tensor' or 'torch.BFloat16Tensor')
end

-- drops the buffers (output, gradInput, the kept input) to save memory
function Module:clearState()
  self._input, self._inputRaw = nil, nil
  for _, k in ipairs { 'output', 'gradInput' } do
    local v = rawget(self, k)
    if torch.isTensor(v) then self[k] = v.new() elseif type(v) == 'table' then self[k] = {} end
  end
  if self.modules then for _, m in ipairs(self.modules) do m:clearState() end end
  return self
end

-- self's named fields become the same tensors as mlp's (Torch7's share)
function Module:share(mlp, ...)
  for _, name in ipairs { ... } do
    local a, b = self[name], mlp[name]
    if torch.isTensor(a) and torch.isTensor(b) then
      a:set(b)
    end
  end
  if self.modules and mlp.modules then
    for i, m in ipairs(self.modules) do
      if mlp.modules[i] then m:share(mlp.modules[i], ...) end
    end
  end
  self:_relinkAll()
  return self
end

-- a deep copy (tensors copied, sharing between them preserved); with names, the copy
-- then shares those fields with self
local function deepcopy(x, memo)
  if torch.isTensor(x) then
    local key = torch.pointer(x)
    if not memo[key] then
      local st = x:storage()
      local c
      if st then   -- one copy per storage: sharing within the module is kept
        local skey = 'storage:' .. torch.pointer(st)
        if not memo[skey] then memo[skey] = x.new(st):clone() end
        local full = memo[skey]
        c = full.new():set(full:storage(), x:storageOffset(), x:size(), x:stride())
      else
        c = x.new()
      end
      if x.requiresGrad then c:setRequiresGrad() end
      memo[key] = c
    end
    return memo[key]
  elseif type(x) == 'table' then
    if memo[x] then return memo[x] end
    local c = {}
    memo[x] = c
    for k, v in pairs(x) do
      if k ~= '_input' then c[deepcopy(k, memo)] = deepcopy(v, memo) end
    end
    return setmetatable(c, getmetatable(x))
  end
  return x
end

function Module:clone(...)
  local c = deepcopy(self, {})
  c:_relinkAll()
  if select('#', ...) > 0 then c:share(self, ...) end
  return c
end

function Module:__tostring__()
  return torch.typename(self)
end

-- Torch7's helper for containers' error messages
function Module:rethrowErrors(module, id, name, ...)
  local ok, r = pcall(module[name], module, ...)
  if not ok then
    error(string.format('In %d module of %s:\n%s', id, torch.typename(self), tostring(r)), 0)
  end
  return r
end

-- ---- state dicts (PyTorch's naming) ----

-- the buffers kept in a state dict next to the parameters (BatchNormalization's)
local state_buffers = { 'running_mean', 'running_var' }

local function state_into(m, prefix, dest)
  if type(m.modules) == 'table' then
    -- containers: children by 0-based index ('0.weight', '1.0.bias', ...)
    for i, child in ipairs(m.modules) do state_into(child, prefix .. (i - 1) .. '.', dest) end
    return dest
  end
  local field = {}
  local keys = {}
  for k, v in pairs(m) do
    if type(k) == 'string' and torch.isTensor(v) then keys[#keys + 1] = k end
  end
  table.sort(keys)
  for _, k in ipairs(keys) do
    if field[m[k]] == nil then field[m[k]] = k end
  end
  local params = m:parameters() or {}
  for i, p in ipairs(params) do
    dest[prefix .. (field[p] or ('param' .. i))] = p
  end
  for _, b in ipairs(state_buffers) do
    if torch.isTensor(m[b]) then dest[prefix .. b] = m[b] end
  end
  return dest
end

-- a flat table name -> tensor of the parameters and buffers, named as PyTorch names
-- them: 'weight', 'bias', 'running_mean', 'running_var', a container's children by
-- 0-based index ('0.weight', '2.running_mean', '1.0.bias'). The tensors are the
-- module's own (not copies).
function Module:stateDict()
  return state_into(self, '', {})
end

local function shape_str(t)
  local s = {}
  for i = 1, t:dim() do s[i] = tostring(t:size(i)) end
  return '[' .. table.concat(s, ', ') .. ']'
end

-- copies the tensors of tbl (name -> tensor, as stateDict() or PyTorch's state_dict)
-- into this module's own tensors, in place (getParameters views stay valid). strict
-- (default true): a missing or unexpected key is an error. A shape mismatch is always an
-- error (nothing is copied then). PyTorch's '*.num_batches_tracked' entries are ignored.
-- Returns the missing and the unexpected keys (sorted lists).
function Module:loadStateDict(tbl, strict)
  local fname = torch.typename(self) .. ':loadStateDict'
  if type(tbl) ~= 'table' or torch.isTensor(tbl) then
    error(fname .. ": bad argument #1 'stateDict' (a table of name -> tensor expected, got " .. torch.type(tbl) .. ')', 2)
  end
  if strict ~= nil and type(strict) ~= 'boolean' then
    error(fname .. ": bad argument #2 'strict' (a boolean expected, got " .. type(strict)
      .. (type(strict) == 'table' and '; put torch.loadSafetensors(...) in parentheses to pass only its first result' or '')
      .. ')', 2)
  end
  if strict == nil then strict = true end
  local own = self:stateDict()
  local missing, unexpected = {}, {}
  for k in pairs(own) do
    if tbl[k] == nil then missing[#missing + 1] = k end
  end
  for k in pairs(tbl) do
    if own[k] == nil and not (type(k) == 'string' and (k == 'num_batches_tracked' or k:match('%.num_batches_tracked$'))) then
      unexpected[#unexpected + 1] = tostring(k)
    end
  end
  table.sort(missing)
  table.sort(unexpected)
  if strict and (#missing > 0 or #unexpected > 0) then
    local parts = {}
    if #missing > 0 then parts[#parts + 1] = 'missing keys: ' .. table.concat(missing, ', ') end
    if #unexpected > 0 then parts[#parts + 1] = 'unexpected keys: ' .. table.concat(unexpected, ', ') end
    error(fname .. ': ' .. table.concat(parts, '; '), 2)
  end
  local names = {}
  for k, dst in pairs(own) do
    local src = tbl[k]
    if src ~= nil then
      if not torch.isTensor(src) then
        error(string.format('%s: "%s" is a %s, not a tensor', fname, k, torch.type(src)), 2)
      end
      local same = src:dim() == dst:dim()
      for i = 1, same and dst:dim() or 0 do
        if src:size(i) ~= dst:size(i) then same = false end
      end
      if not same then
        error(string.format('%s: size mismatch for "%s": the state dict has %s, the model has %s',
          fname, k, shape_str(src), shape_str(dst)), 2)
      end
      names[#names + 1] = k
    end
  end
  torch.noGrad(function()
    for _, k in ipairs(names) do own[k]:copy(tbl[k]) end
  end)
  return missing, unexpected
end

return Module
