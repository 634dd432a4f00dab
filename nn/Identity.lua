-- nn.Identity(): output = input (a tensor or a table), gradInput = gradOutput (Torch7's,
-- for any input type: an integer or boolean input passes its gradOutput through too).
local nn = require 'nn'
local Identity, parent = torch.class('nn.Identity', 'nn.Module')

function Identity:updateOutput(input)
  self.output = input
  return self.output
end

-- written here (not taken from the graph), so that an input the graph cannot follow
-- (an integer tensor) still gets gradOutput back
function Identity:updateGradInput(input, gradOutput)
  self.gradInput = gradOutput
  return self.gradInput
end

return Identity
