-- GET of paths drawn at random from BENCH_PATHS (one a line), e.g. search queries.
package.path = os.getenv("BENCH_LUA") .. "/?.lua;" .. package.path
local r = require("report")
setup = r.setup
done = r.done
local paths = r.lines(os.getenv("BENCH_PATHS"))
function init(args)
  math.randomseed(os.time() + (tonumber(tostring({}):match("0x(%x+)"), 16) or 0) % 100000)
end
function request()
  return wrk.format("GET", paths[math.random(#paths)])
end
