-- Runs EDITORS.md's nvim-dap configuration against the real adapter.
--
-- Not part of `npm test` (CI has no Neovim). To run it by hand, from the vscode-extension folder,
-- with Neovim 0.10+ and a checkout of nvim-dap:
--   MONADAPTER_PYTHON=/path/to/venv/bin/python NVIM_DAP=/path/to/nvim-dap \
--     nvim --headless --clean -l test/editors/nvim-dap-check.lua
-- For each configuration (stdio with runInTerminal, TCP, and attach to calls.py started with
-- `python -m monadapter.agent --listen 127.0.0.1:0`) it sets a breakpoint in test/data/calls.py,
-- checks the session stops in `add` at line 5, continues, and waits for the session to end.
-- Exits non-zero on any failure.

local python = assert(os.getenv('MONADAPTER_PYTHON'), 'set MONADAPTER_PYTHON')
vim.opt.runtimepath:prepend(assert(os.getenv('NVIM_DAP'), 'set NVIM_DAP to a checkout of nvim-dap'))

local root = vim.fn.fnamemodify(debug.getinfo(1, 'S').source:sub(2), ':p:h:h:h')

--- The lua block of EDITORS.md's Neovim section, with our interpreter put in for python3.
local function editors_md_config()
  local text = table.concat(vim.fn.readfile(root .. '/EDITORS.md'), '\n')
  local section = assert(text:find('## Neovim (nvim-dap)', 1, true), 'no Neovim section')
  local start = assert(text:find('```lua\n', section, true), 'no lua block') + #'```lua\n'
  local finish = assert(text:find('```', start, true), 'unterminated lua block')
  local code, replaced = text:sub(start, finish - 1):gsub("vim%.fn%.exepath%('python3'%)", string.format('%q', python))
  assert(replaced == 1, 'expected one vim.fn.exepath(\'python3\') in the Neovim section')
  return code
end

vim.env.MONADAPTER_ACCESS_TOKEN = 'editors-check-token' -- EDITORS.md's attach configuration reads it
assert(load(editors_md_config(), 'EDITORS.md'))()

local dap = require('dap')
local stopped_in, terminated

dap.listeners.after.event_terminated['check'] = function() terminated = true end

local function wait(what, predicate)
  if not vim.wait(20000, predicate, 50) then
    error('no ' .. what .. ' within 20 s')
  end
end

local function check(name)
  local config
  for _, candidate in ipairs(dap.configurations.python) do
    if candidate.name == name then config = candidate end
  end
  assert(config, 'no configuration named ' .. name)
  stopped_in, terminated = nil, false
  vim.cmd.edit(root .. '/test/data/calls.py')
  vim.api.nvim_win_set_cursor(0, { 5, 0 })
  dap.set_breakpoint()
  dap.run(config)
  wait('stop with a stack frame', function()
    local session = dap.session()
    return session ~= nil and session.current_frame ~= nil
  end)
  local frame = dap.session().current_frame
  if frame.name ~= 'add' or frame.line ~= 5 then
    error(string.format('%s: stopped in %s at line %d, expected add at line 5', name, frame.name, frame.line))
  end
  print(string.format('ok: %s stopped in add at line 5', name))
  dap.continue()
  wait('terminated event', function() return terminated end)
  print(string.format('ok: %s ran to its end', name))
  dap.clear_breakpoints()
end

--- Starts calls.py under `python -m monadapter.agent --listen 127.0.0.1:0`; returns the port it printed.
local function start_listening_program()
  local said = ''
  vim.fn.jobstart({ python, '-m', 'monadapter.agent', '--listen', '127.0.0.1:0', root .. '/test/data/calls.py' }, {
    on_stderr = function(_, lines) said = said .. table.concat(lines, '\n') end,
  })
  local port
  wait('the agent announcing its port', function()
    port = said:match('monadapter agent listening on 127%.0%.0%.1:(%d+)')
    return port ~= nil
  end)
  return port
end

local ok, problem = pcall(function()
  check('monadapter: current file')
  check('monadapter over TCP: current file')
  -- The attach configuration asks for the port with vim.fn.input: answer with the program's.
  local port = start_listening_program()
  local input = vim.fn.input
  vim.fn.input = function() return port end
  check('monadapter: attach to a listening program')
  vim.fn.input = input
end)
if not ok then
  io.stderr:write('FAILED: ' .. tostring(problem) .. '\n')
  vim.cmd('cquit 1')
end
vim.cmd('qall!')
