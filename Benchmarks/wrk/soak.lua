-- wrk script for Benchmarks/soak: POSTs one JSON body paced to BENCH_RATE requests/s over all
-- connections (BENCH_THREADS threads), counts answers by status, and prints one line:
--   SOAK requests=N socket_errors=N status_200=N status_502=N ...
dofile(debug.getinfo(1, "S").source:sub(2):match("(.*/)") .. "pacing.lua")

wrk.method = "POST"
wrk.body = os.getenv("BENCH_BODY") or '{"text":"I loved every minute of it."}'
wrk.headers["Content-Type"] = "application/json"

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  statuses = {}
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    local counts = thread:get("statuses") or {}
    for status, count in pairs(counts) do total[status] = (total[status] or 0) + count end
  end
  local e = summary.errors
  local line = string.format("SOAK requests=%d socket_errors=%d p50_us=%d p99_us=%d",
    summary.requests, e.connect + e.read + e.write + e.timeout, latency:percentile(50), latency:percentile(99))
  for status, count in pairs(total) do line = line .. string.format(" status_%d=%d", status, count) end
  io.write(line .. "\n")
end
