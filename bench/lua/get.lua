-- GET /api/v1/public/documents/{id} with ids drawn at random from BENCH_IDS (one id a line).
package.path = os.getenv("BENCH_LUA") .. "/?.lua;" .. package.path
local r = require("report")
setup = r.setup
done = r.done
local ids = r.lines(os.getenv("BENCH_IDS"))
local n = #ids
function init(args)
  math.randomseed(os.time() + (tonumber(tostring({}):match("0x(%x+)"), 16) or 0) % 100000)
end
function request()
  return wrk.format("GET", "/api/v1/public/documents/" .. ids[math.random(n)])
end
