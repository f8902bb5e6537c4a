-- wrk script: POSTs one JSON body, optionally paced to a fixed total rate, and prints one
-- machine-readable line for Benchmarks/run.
--
-- Environment: BENCH_METHOD (POST unless set), BENCH_BODY (the request body), BENCH_ACCEPT (an Accept header), BENCH_RATE (requests/s over all connections;
-- unset or 0 means as fast as possible), BENCH_CONNECTIONS and BENCH_THREADS (to split the
-- rate per wrk thread).
dofile(debug.getinfo(1, "S").source:sub(2):match("(.*/)") .. "pacing.lua")

wrk.method = os.getenv("BENCH_METHOD") or "POST"
if wrk.method == "POST" then
  wrk.body = os.getenv("BENCH_BODY") or '{"text":"I loved every minute of it."}'
  wrk.headers["Content-Type"] = "application/json"
end
local accept = os.getenv("BENCH_ACCEPT")
if accept and accept ~= "" then
  wrk.headers["Accept"] = accept
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
