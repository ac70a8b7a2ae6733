-- POST /api/v1/auth/refresh: each thread (run with -t equal to -c, so one connection a thread)
-- holds its own session's refresh token from BENCH_TOKENS and sends the new one each time, as a
-- client would. A reused token would revoke the session, so ordering matters: one connection a thread.
package.path = os.getenv("BENCH_LUA") .. "/?.lua;" .. package.path
local r = require("report")
done = r.done
local tokens = r.lines(os.getenv("BENCH_TOKENS"))
local next_index = 1
function setup(thread)
  r.setup(thread)
  thread:set("token", tokens[next_index])
  next_index = next_index + 1
end
local headers = { ["Content-Type"] = "application/json" }
function request()
  return wrk.format("POST", "/api/v1/auth/refresh", headers, '{"refresh_token":"' .. token .. '"}')
end
function response(status, hdrs, body)
  r.counting_response(status, hdrs, body)
  if status == 200 then
    local t = body:match('"refresh_token"%s*:%s*"([^"]+)"')
    if t then token = t end
  end
end
