-- wrk script: POSTs one JSON body, optionally paced to a fixed total rate, and prints one
-- machine-readable line for Benchmarks/run.
--
-- Environment: BENCH_METHOD (POST unless set), BENCH_BODY (the request body), BENCH_RATE (requests/s over all connections;
-- unset or 0 means as fast as possible), BENCH_CONNECTIONS and BENCH_THREADS (to split the
-- rate per wrk thread).
local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } timespec_t;
  int clock_gettime(int clock, timespec_t *tp);
]]
local now_ts = ffi.new("timespec_t")
local function now_ms()
  ffi.C.clock_gettime(1, now_ts) -- CLOCK_MONOTONIC
  return tonumber(now_ts.tv_sec) * 1000 + tonumber(now_ts.tv_nsec) / 1e6
end

wrk.method = os.getenv("BENCH_METHOD") or "POST"
if wrk.method == "POST" then
  wrk.body = os.getenv("BENCH_BODY") or '{"text":"I loved every minute of it."}'
  wrk.headers["Content-Type"] = "application/json"
end

local rate = tonumber(os.getenv("BENCH_RATE") or "0")
local threads = tonumber(os.getenv("BENCH_THREADS") or "1")
-- Each wrk thread has its own Lua state; it hands out send slots `interval` ms apart to
-- whichever of its connections asks next, so the total is `rate` whatever the latency.
local interval = rate > 0 and (1000 * threads / rate) or 0
local next_slot = nil

function delay()
  if interval == 0 then return 0 end
  local t = now_ms()
  if next_slot == nil or next_slot < t - 1000 then next_slot = t end
  local wait = next_slot - t
  next_slot = next_slot + interval
  if wait < 0 then return 0 end
  return math.floor(wait)
end

function done(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    "BENCH requests=%d rps=%.1f p50_us=%d p90_us=%d p99_us=%d max_us=%d non2xx=%d socket_errors=%d\n",
    summary.requests, summary.requests / seconds,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    e.status, e.connect + e.read + e.write + e.timeout))
end
