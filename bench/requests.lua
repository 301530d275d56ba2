-- wrk script for bench/run: each argument after `--` is one header
-- ("Name: value") that makes one variant of the request; the requests go
-- round the variants in turn (no argument: one variant, wrk's own request).
-- All requests are formatted once, in init, so sending costs wrk the same
-- on every row; bench/run uses this script on every row, the baseline too.
--
-- Why variants: the API allows an account at most 1,000 requests a second
-- after a burst of its quota (WARDEN_API_QUOTA, at most 60,000 a minute), so
-- P1 spreads its load over the tokens of several accounts.

local requests = {}
local n = 0

-- WRK_METHOD and WRK_BODY (environment): another method and a body for
-- every request (bench/run's P2 data row posts a server function's form).
wrk.method = os.getenv("WRK_METHOD") or wrk.method
wrk.body = os.getenv("WRK_BODY") or wrk.body

function init(args)
  for _, arg in ipairs(args) do
    local name, value = arg:match("^([^:]+):%s*(.*)$")
    if name then
      local headers = {}
      for k, v in pairs(wrk.headers) do
        headers[k] = v
      end
      headers[name] = value
      requests[#requests + 1] = wrk.format(nil, nil, headers)
    end
  end
  if #requests == 0 then
    requests[1] = wrk.format()
  end
end

function request()
  n = n % #requests + 1
  return requests[n]
end
