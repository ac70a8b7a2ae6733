-- Shared by every scenario: per-thread status counts (when a script counts them) and one JSON
-- line on stdout at the end, which bench/run reads. Latencies are wrk's own (microseconds).
local M = {}
local threads = {}

function M.setup(thread)
  table.insert(threads, thread)
end

function M.done(summary, latency, requests)
  local by_status = {}
  for _, t in ipairs(threads) do
    local counts = t:get("counts")
    if counts then
      for code, n in pairs(counts) do
        by_status[code] = (by_status[code] or 0) + n
      end
    end
  end
  local parts = {}
  for code, n in pairs(by_status) do
    table.insert(parts, string.format('"%s":%d', code, n))
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"bytes":%d,"non2xx":%d,"connect_errors":%d,"read_errors":%d,"write_errors":%d,"timeouts":%d,"p50_ms":%.3f,"p95_ms":%.3f,"p99_ms":%.3f,"max_ms":%.3f,"mean_ms":%.3f,"status":{%s}}\n',
    summary.requests, summary.duration, summary.bytes, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, latency.mean / 1000, table.concat(parts, ",")))
end

-- Reads a file's lines into a table.
function M.lines(path)
  local t = {}
  for line in io.lines(path) do
    if #line > 0 then table.insert(t, line) end
  end
  return t
end

-- Counting statuses costs a Lua call per response; scripts that must tell 429 from other errors use it.
function M.counting_response(status, headers, body)
  counts = counts or {}
  local key = tostring(status)
  counts[key] = (counts[key] or 0) + 1
end

return M
