#!/usr/bin/env python3
"""Hedged requests against a model with a long tail (issue 17), in one command.

Starts a fake OpenAI-compatible provider on loopback whose `tail` model answers most calls in
20-40 ms and a set share of them (a tenth by default) only after a long wait, and whose `steady`
model always answers in 20-40 ms; compiles a project with three endpoints on it:

  plain   chain [tail, steady], no hedging
  hedged  the same chain with fallback.hedge_after
  steady  the steady model alone: the "fast model's p99" the goal is measured against

then starts `promptc serve` (release build) and sends the same load to each, one after the
other: --requests requests over --concurrency keep-alive connections. It prints p50, p95, p99
and max latency per endpoint and the calls the provider received per request (the extra calls
hedging costs), and checks the goal: the hedged p99 within 2x the steady model's, for under
10 % extra calls. The fake's draws are seeded (--seed), so runs are comparable.
"""
import argparse
import asyncio
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class FakeProvider:
    """A minimal HTTP/1.1 keep-alive server answering chat completions after a drawn delay."""

    def __init__(self, slow_fraction, slow_ms, seed):
        self.slow_fraction = slow_fraction
        self.slow_ms = slow_ms
        self.random = random.Random(seed)
        self.calls = {}
        self.cancelled = 0

    def delay(self, model):
        fast = self.random.uniform(0.020, 0.040)
        if model == "tail" and self.random.random() < self.slow_fraction:
            return self.slow_ms / 1000
        return fast

    async def handle(self, reader, writer):
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                body = json.loads(await reader.readexactly(length)) if length else {}
                model = body.get("model", "")
                self.calls[model] = self.calls.get(model, 0) + 1
                await asyncio.sleep(self.delay(model))
                if reader.at_eof():
                    # The gateway closed the connection: the call was cancelled.
                    self.cancelled += 1
                    break
                content = json.dumps({"label": "positive", "score": 0.5})
                answer = json.dumps({
                    "id": "fake", "object": "chat.completion", "model": model,
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
                    "usage": {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18},
                }).encode()
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: %d\r\n\r\n" % len(answer) + answer)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()


SPEC = """name: {name}
description: Classify the sentiment of a text.
route: POST /v1/{name}
input:
  text: {{ type: string, minLength: 1 }}
output:
  label: {{ type: string, enum: [positive, negative, neutral] }}
  score: {{ type: number, minimum: -1, maximum: 1 }}
models:
{models}
{fallback}
prompt:
  user: "Text: {{{{text}}}}"
"""


def project(folder, port, hedge_after, budget):
    os.makedirs(os.path.join(folder, "Prompts"))
    endpoints = {
        "plain": (["fake/tail", "fake/steady"], "fallback: { timeout: 10s }"),
        "hedged": (["fake/tail", "fake/steady"], f"fallback: {{ timeout: 10s, hedge_after: {hedge_after} }}"),
        "steady": (["fake/steady"], "fallback: { timeout: 10s }"),
    }
    for name, (models, fallback) in endpoints.items():
        with open(os.path.join(folder, "Prompts", f"{name}.yaml"), "w") as file:
            file.write(SPEC.format(name=name, models="\n".join(f"  - {m}" for m in models), fallback=fallback))
    with open(os.path.join(folder, "promptc.yaml"), "w") as file:
        file.write(f"providers:\n  fake: {{ api: openai, base_url: \"http://127.0.0.1:{port}/v1\" }}\n"
                   f"hedge_budget: {budget}\nusage: {{ journal: false }}\n"
                   "limits: { max_connections: 4096 }\n")


async def load(port, path, requests, concurrency):
    """Latencies (ms) of `requests` POSTs over `concurrency` keep-alive connections."""
    body = json.dumps({"text": "I loved it"}).encode()
    request = (b"POST %s HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: %d\r\n\r\n"
               % (path.encode(), len(body)) + body)
    latencies, statuses = [], {}
    remaining = [requests]

    async def client():
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        while remaining[0] > 0:
            remaining[0] -= 1
            start = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = int([line for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")][0].split(b":")[1])
            await reader.readexactly(length)
            latencies.append((time.perf_counter() - start) * 1000)
            status = int(head.split(b" ", 2)[1])
            statuses[status] = statuses.get(status, 0) + 1
        writer.close()

    await asyncio.gather(*(client() for _ in range(concurrency)))
    return latencies, statuses


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[max(int(len(ordered) * fraction + 0.999999) - 1, 0)]


def wait_ready(port, process):
    deadline = time.time() + 30
    while time.time() < deadline:
        if process.poll() is not None:
            sys.exit("promptc serve exited")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=1).read()
            return
        except Exception:
            time.sleep(0.1)
    sys.exit("promptc serve did not become ready")


def metric(port, prefix):
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics").read().decode()
    return sum(float(line.split()[-1]) for line in text.splitlines() if line.startswith(prefix))


async def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--promptc", default=os.path.join(ROOT, ".build/release/promptc"), help="the promptc binary")
    parser.add_argument("--requests", type=int, default=2000, help="requests per endpoint")
    parser.add_argument("--concurrency", type=int, default=16, help="keep-alive connections sending them")
    parser.add_argument("--slow-fraction", type=float, default=0.1, help="share of the tail model's calls that are slow")
    parser.add_argument("--slow-ms", type=int, default=2000, help="how long a slow call takes")
    parser.add_argument("--hedge-after", default="45ms", help="fallback.hedge_after of the hedged endpoint")
    parser.add_argument("--budget", default="12%", help="hedge_budget")
    parser.add_argument("--seed", type=int, default=17, help="the fake's random seed")
    parser.add_argument("--warmup", type=int, default=300,
                        help="requests sent to each endpoint first, not measured: the hedge budget is a share of the last "
                             "minute's calls, so a gateway that has just started has none to spend")
    args = parser.parse_args()

    fake = FakeProvider(args.slow_fraction, args.slow_ms, args.seed)
    server = await asyncio.start_server(fake.handle, "127.0.0.1", 0)
    fake_port = server.sockets[0].getsockname()[1]
    folder = tempfile.mkdtemp(prefix="promptc-hedging-")
    gateway_port = 18_000 + os.getpid() % 1000
    try:
        project(folder, fake_port, args.hedge_after, args.budget)
        subprocess.run([args.promptc, "compile"], cwd=folder, check=True, stdout=subprocess.DEVNULL)
        log = open(os.path.join(folder, "serve.log"), "w")
        gateway = subprocess.Popen([args.promptc, "serve", "--port", str(gateway_port), "--log-level", "warning"], cwd=folder,
                                   stdout=log, stderr=log)
        try:
            await asyncio.get_running_loop().run_in_executor(None, wait_ready, gateway_port, gateway)
            rows = []
            for name in ["steady", "plain", "hedged"]:
                await load(gateway_port, f"/v1/{name}", args.warmup, args.concurrency)
                before = sum(fake.calls.values())
                if name == "hedged":
                    warm_hedges = metric(gateway_port, 'promptc_hedges_total{endpoint="hedged"')
                latencies, statuses = await load(gateway_port, f"/v1/{name}", args.requests, args.concurrency)
                calls = sum(fake.calls.values()) - before
                rows.append((name, latencies, statuses, calls))
            hedges = metric(gateway_port, 'promptc_hedges_total{endpoint="hedged"') - warm_hedges
        finally:
            gateway.send_signal(signal.SIGTERM)
            gateway.wait(timeout=40)
    finally:
        server.close()
        shutil.rmtree(folder, ignore_errors=True)

    print(f"fake provider: tail model {args.slow_fraction:.0%} of calls at {args.slow_ms} ms, the rest 20-40 ms; "
          f"steady model 20-40 ms; {args.requests} requests per endpoint over {args.concurrency} connections; "
          f"hedge_after {args.hedge_after}, hedge_budget {args.budget}")
    print(f"{'endpoint':<10}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}{'calls/req':>11}  statuses")
    figures = {}
    for name, latencies, statuses, calls in rows:
        p99 = percentile(latencies, 0.99)
        figures[name] = (p99, calls / len(latencies))
        print(f"{name:<10}{percentile(latencies, 0.5):>9.1f}{percentile(latencies, 0.95):>9.1f}{p99:>9.1f}"
              f"{max(latencies):>9.1f}{calls / len(latencies):>11.3f}  {statuses}")
    hedged_p99, hedged_calls = figures["hedged"]
    steady_p99 = figures["steady"][0]
    extra = hedged_calls - 1
    print(f"hedges sent: {hedges:.0f}; cancelled calls seen by the fake (warm-ups included): {fake.cancelled}")
    print(f"goal: hedged p99 {hedged_p99:.1f} ms = {hedged_p99 / steady_p99:.2f}x the steady model's {steady_p99:.1f} ms "
          f"(goal <= 2x), for {extra:.1%} extra calls (goal < 10%): "
          f"{'met' if hedged_p99 <= 2 * steady_p99 and extra < 0.10 else 'NOT met'}")


if __name__ == "__main__":
    asyncio.run(main())
