-- Pacing shared by the wrk scripts: send slots handed out at a fixed total rate.
-- BENCH_RATE is requests/s over all connections (unset or 0: as fast as possible), BENCH_THREADS
-- the wrk thread count. Each wrk thread has its own Lua state; it hands out send slots
-- `interval` ms apart to whichever of its connections asks next, so the total is the rate
-- whatever the latency.
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

local rate = tonumber(os.getenv("BENCH_RATE") or "0")
local threads = tonumber(os.getenv("BENCH_THREADS") or "1")
local interval = rate > 0 and (1000 * threads / rate) or 0
local next_slot = nil

-- wrk's delay(): how long this connection waits before its next request.
function delay()
  if interval == 0 then return 0 end
  local t = now_ms()
  if next_slot == nil or next_slot < t - 1000 then next_slot = t end
  local wait = next_slot - t
  next_slot = next_slot + interval
  if wait < 0 then return 0 end
  return math.floor(wait)
end
