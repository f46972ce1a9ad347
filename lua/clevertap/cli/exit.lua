--- Exit codes of the clevertap command: scripts branch on these, so they are
-- part of the interface (docs/cli.md, `clevertap --help`). Never renumber.
local M = {
  OK = 0,
  FAILURE = 1,        -- unexpected failure (a bug, an unreadable output file)
  USAGE = 2,          -- bad command line: unknown command/option, missing argument, no credentials
  INVALID = 3,        -- invalid input: campaign file does not load or does not validate, bad ids file
  REFUSED = 4,        -- the API refused the request (status "fail", HTTP error, rate limited)
  PARTIAL = 5,        -- send: some identities accepted, others failed or have an unknown outcome
  NETWORK = 6,        -- network failure or timeout: nothing known to be accepted
  NOT_COMPLETED = 7,  -- result: the campaign has not completed yet (try again later)
  DECLINED = 8,       -- send: the question before a big send was not answered yes; nothing sent
  INTERRUPTED = 130,  -- send/resume: stopped by SIGINT (128 + 2), journaled, resumable
  TERMINATED = 143,   -- send/resume: stopped by SIGTERM (128 + 15)
}

local by_kind = {
  validation = M.INVALID,
  api = M.REFUSED,
  http = M.REFUSED,
  rate_limited = M.REFUSED,
  network = M.NETWORK,
  timeout = M.NETWORK,
  not_completed = M.NOT_COMPLETED,
}

--- The exit code for a client error object (err.kind, docs/contract.md "Client").
function M.for_error(err)
  return (type(err) == "table" and by_kind[err.kind]) or M.FAILURE
end

M.help = [[
Exit codes:
  0  ok
  1  unexpected failure
  2  usage error (unknown command or option, missing argument, no credentials)
  3  invalid input (campaign file does not load or validate, bad identities file)
  4  API refusal (status "fail", HTTP error, rate limited after retries)
  5  partial delivery (send: some identities accepted, some failed or unknown)
  6  network failure or timeout (nothing known to be accepted)
  7  not completed (result: the campaign is still running)
  8  not confirmed (send: the question before a big send was not answered yes)
  130, 143  send/resume stopped by SIGINT, SIGTERM (partial report printed; resume from the journal)]]

return M
