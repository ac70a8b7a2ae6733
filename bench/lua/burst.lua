-- POST /api/v1/public/disclosure-requests with bodies from BENCH_BODIES (one JSON object a
-- line, each a distinct applicant); each thread starts at its own offset. Counts statuses so
-- that documented 429s are told apart from errors.
package.path = os.getenv("BENCH_LUA") .. "/?.lua;" .. package.path
local r = require("report")
done = r.done
local bodies = r.lines(os.getenv("BENCH_BODIES"))
local thread_no = 0
function setup(thread)
  r.setup(thread)
  thread:set("offset", thread_no * math.floor(#bodies / tonumber(os.getenv("BENCH_THREADS") or "2")))
  thread_no = thread_no + 1
end
local i = 0
local headers = { ["Content-Type"] = "application/json" }
function request()
  i = i + 1
  local body = bodies[((offset + i) % #bodies) + 1]
  return wrk.format("POST", "/api/v1/public/disclosure-requests", headers, body)
end
response = r.counting_response
