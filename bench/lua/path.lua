-- GET of one fixed path (BENCH_PATH), optionally with a bearer token (BENCH_TOKEN).
package.path = os.getenv("BENCH_LUA") .. "/?.lua;" .. package.path
local r = require("report")
setup = r.setup
done = r.done
local path = os.getenv("BENCH_PATH")
local token = os.getenv("BENCH_TOKEN")
local headers = {}
if token and #token > 0 then headers["Authorization"] = "Bearer " .. token end
local req
function init(args)
  req = wrk.format("GET", path, headers)
end
function request()
  return req
end
