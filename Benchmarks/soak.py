#!/usr/bin/env python3
"""The soak: promptc under a steady load while its provider misbehaves (issue 10).

Run through `Benchmarks/soak`, which installs wrk and builds promptc in release mode first.
It starts a faulty fake provider (the OpenAI wire format; a share of calls fail in mixed ways:
500, 429, a dropped connection, a hang past the attempt timeout, a 200 that is not JSON),
`promptc serve` on Benchmarks/Soak, and drives it with one wrk run at a fixed rate. Every 30 s
it prints the requests and statuses of those 30 s (from promptc's /metrics) and promptc's
resident memory; at the end promptc is stopped gracefully and its usage records are counted
against the requests it answered. Everything started here is stopped on exit. Standard library
only.
"""

import argparse
import asyncio
import collections
import json
import os
import pathlib
import random
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
BENCH = ROOT / "Benchmarks"
WORK = BENCH / ".work" / "soak"
FAKE_PORT, PROMPTC_PORT = 18201, 18203
ENV = dict(os.environ, PROMPTC_BENCH_KEY="bench-key-not-secret")
ANSWER = json.dumps({
    "id": "chatcmpl-soak", "object": "chat.completion",
    "choices": [{"index": 0, "finish_reason": "stop",
                 "message": {"role": "assistant", "content": json.dumps({"label": "positive", "score": 0.8})}}],
    "usage": {"prompt_tokens": 20, "completion_tokens": 8, "total_tokens": 28},
}).encode()


class FaultyProvider:
    """An HTTP/1.1 server on its own thread and event loop, answering chat completions; a
    `failure_rate` share of calls fail, evenly among the five kinds of fault."""

    FAULTS = ("500", "429", "drop", "hang", "garbage")

    def __init__(self, port, failure_rate, seed=10):
        self.port, self.failure_rate = port, failure_rate
        self.random = random.Random(seed)
        self.counts = collections.Counter()
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def start(self):
        self.thread.start()
        self.ready.wait(10)

    def _run(self):
        asyncio.set_event_loop(self.loop)
        server = self.loop.run_until_complete(asyncio.start_server(self._serve, "127.0.0.1", self.port, backlog=4096))
        self.ready.set()
        self.loop.run_forever()
        server.close()

    async def _serve(self, reader, writer):
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                if length:
                    await reader.readexactly(length)
                outcome = "ok"
                if self.random.random() < self.failure_rate:
                    outcome = self.random.choice(self.FAULTS)
                self.counts[outcome] += 1
                if outcome == "ok":
                    self._write(writer, 200, ANSWER)
                elif outcome == "500":
                    self._write(writer, 500, b'{"error":{"message":"internal error","type":"server_error"}}')
                elif outcome == "429":
                    self._write(writer, 429, b'{"error":{"message":"slow down","type":"rate_limit"}}', b"retry-after: 1\r\n")
                elif outcome == "garbage":
                    self._write(writer, 200, b"<html>upstream trouble</html>", content_type=b"text/html")
                elif outcome == "drop":
                    writer.transport.abort()
                    return
                elif outcome == "hang":
                    await asyncio.sleep(5)
                    writer.transport.abort()
                    return
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError, ValueError):
            pass
        finally:
            writer.close()

    @staticmethod
    def _write(writer, status, body, extra=b"", content_type=b"application/json"):
        reason = {200: b"OK", 429: b"Too Many Requests", 500: b"Internal Server Error"}[status]
        writer.write(b"HTTP/1.1 %d %s\r\ncontent-type: %s\r\ncontent-length: %d\r\n%s\r\n" % (
            status, reason, content_type, len(body), extra) + body)


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def wait_ready(port, timeout=30):
    import urllib.request
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=1)
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("promptc did not become ready")


def start_wrk(seconds, rate, connections):
    env = dict(ENV, BENCH_RATE=str(rate), BENCH_THREADS="2",
               BENCH_BODY='{"text":"I loved every minute of it, and the ending was perfect."}')
    return subprocess.Popen(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s", str(BENCH / "wrk" / "soak.lua"),
         f"http://127.0.0.1:{PROMPTC_PORT}/v1/soak"],
        env=env, stdout=subprocess.PIPE, text=True)


def wrk_result(process):
    output = process.communicate()[0]
    line = next(l for l in output.splitlines() if l.startswith("SOAK "))
    return {key: int(value) for key, value in (part.split("=") for part in line.split()[1:])}


def answered_by_status(port):
    """promptc's own count of answered requests, by status, from /metrics."""
    import urllib.request
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    counts = collections.Counter()
    for match in re.finditer(r'^promptc_requests_total\{[^}]*status="(\d+)"[^}]*\} (\d+)', text, re.M):
        counts[int(match.group(1))] += int(match.group(2))
    return counts


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10, help="how long the load runs (default 10)")
    parser.add_argument("--rate", type=int, default=1000, help="requests per second (default 1000)")
    parser.add_argument("--failure-rate", type=float, default=0.3, help="share of upstream calls that fail (default 0.3)")
    parser.add_argument("--round", type=int, default=30, help="seconds per round, between samples (default 30)")
    parser.add_argument("--connections", type=int, default=128, help="wrk connections (default 128)")
    parser.add_argument("--promptc", default=str(ROOT / ".build" / "release" / "promptc"), help="the promptc binary (default: the release build)")
    args = parser.parse_args()

    WORK.mkdir(parents=True, exist_ok=True)
    database = WORK / "soak-usage.sqlite"
    for leftover in WORK.glob("soak-usage.sqlite*"):
        leftover.unlink()
    config = WORK / "promptc.yaml"
    config.write_text((BENCH / "Soak" / "promptc.yaml").read_text()
                      .replace("@FAKE_PORT@", str(FAKE_PORT)).replace("@USAGE_DB@", str(database)))
    promptc = pathlib.Path(args.promptc)

    fake = FaultyProvider(FAKE_PORT, args.failure_rate)
    fake.start()
    log = open(WORK / "promptc.log", "wb")
    server = subprocess.Popen(
        [str(promptc), "serve", "--prompts", str(BENCH / "Soak" / "Prompts"), "--config", str(config),
         "--port", str(PROMPTC_PORT), "--log-level", "warning"],
        stdout=log, stderr=subprocess.STDOUT, env=ENV)
    try:
        wait_ready(PROMPTC_PORT)
        seconds = int(args.minutes * 60)
        print(f"soak: {args.rate} requests/s for {seconds} s, {args.failure_rate:.0%} of upstream calls failing"
              f" (500, 429, drop, hang, garbage), {args.connections} connections", file=sys.stderr)
        print(f"| minute | requests in the last {args.round} s | req/s | statuses | promptc RSS MiB |")
        print("|---|---|---|---|---|")
        load = start_wrk(seconds, args.rate, args.connections)
        started = time.time()
        samples = []
        last = collections.Counter()
        while load.poll() is None:
            time.sleep(max(0, started + (len(samples) + 1) * args.round - time.time()))
            if load.poll() is not None and time.time() - started < (len(samples) + 1) * args.round - 1:
                break
            counts = answered_by_status(PROMPTC_PORT)
            window = counts - last
            last = counts
            rss = rss_kib(server.pid) / 1024
            samples.append(rss)
            shown = " ".join(f"{k}:{v}" for k, v in sorted(window.items()))
            print(f"| {(time.time() - started) / 60:.1f} | {sum(window.values())} | {sum(window.values()) / args.round:.0f} |"
                  f" {shown} | {rss:.1f} |", flush=True)
            if server.poll() is not None:
                raise SystemExit(f"promptc exited with {server.returncode} during the soak")
        result = wrk_result(load)
        time.sleep(2)  # requests cut off when wrk stopped finish (as 499) and are counted
        answered = answered_by_status(PROMPTC_PORT)
        server.send_signal(signal.SIGTERM)
        code = server.wait(timeout=60)
    finally:
        if server.poll() is None:
            server.kill()

    with sqlite3.connect(database) as db:
        by_status = dict(db.execute("SELECT status, COUNT(*) FROM usage GROUP BY status").fetchall())
        distinct = db.execute("SELECT COUNT(DISTINCT record_id) FROM usage").fetchone()[0]
    records = sum(by_status.values())
    total = sum(answered.values())
    warm = samples[1:] or samples
    spread = (max(warm) - min(warm)) / min(warm)
    print()
    print(f"promptc exit code after SIGTERM: {code}")
    print(f"wrk: {result['requests']} responses, {result['socket_errors']} socket errors, p50 {result['p50_us'] / 1000:.1f} ms,"
          f" p99 {result['p99_us'] / 1000:.1f} ms")
    print(f"promptc answered (its /metrics): {total}; by status: {dict(sorted(answered.items()))}")
    print(f"upstream calls (fake): {sum(fake.counts.values())}: " + ", ".join(f"{k} {v}" for k, v in sorted(fake.counts.items())))
    print(f"usage records: {records} ({distinct} distinct ids); by status: {dict(sorted(by_status.items()))}")
    print(f"records equal requests answered: {records == total and distinct == records}"
          f" (the {total - result['requests']} answered beyond wrk's count were in flight when wrk stopped: 499)")
    print(f"RSS after warm-up (from the second sample): min {min(warm):.1f} MiB, max {max(warm):.1f} MiB, spread {spread:.1%} (goal: within 10 %)")
    ok = code == 0 and records == total and distinct == records and spread <= 0.10
    print("soak goal met" if ok else "soak goal MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
