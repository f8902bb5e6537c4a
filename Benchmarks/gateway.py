#!/usr/bin/env python3
"""The gateway benchmark: promptc against nginx as a plain proxy and the fake provider itself.

Run through `Benchmarks/run`, which installs nginx and wrk and builds promptc in release mode
first. Everything started here is stopped on exit, also on Ctrl-C or an error. Standard library
only, so it runs on a bare machine.
"""

import argparse
import atexit
import bisect
import os
import pathlib
import re
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
BENCH = ROOT / "Benchmarks"
WORK = BENCH / ".work"

FAKE_PORT, PROXY_PORT, PROMPTC_PORT, STARTUP_PORT, BAML_PORT, LITELLM_PORT, FLOOR_PORT, HB_FLOOR_PORT = 18101, 18102, 18103, 18104, 18105, 18106, 18107, 18108
VENV = BENCH / ".venv"
BODY = '{"text":"I loved every minute of it, and the ending was perfect.","language":"en"}'
ENV = dict(os.environ, PROMPTC_BENCH_KEY="bench-key-not-secret")

CHAT = '{"model":"bench","messages":[{"role":"user","content":"I loved every minute of it, and the ending was perfect."}]}'
CHAT_STREAM = ('{"model":"bench_stream","stream":true,"stream_options":{"include_usage":true},'
               '"messages":[{"role":"user","content":"I loved every minute of it, and the ending was perfect."}]}')
SSE = "text/event-stream"

# (label, port, method, path, body, accept). The first is the (a); the next three take
# it apart; the streaming rows compare with nginx proxying the same fake stream.
TARGETS = {
    "promptc_openai": ("(a) promptc, prompt endpoint, OpenAI wire", PROMPTC_PORT, "POST", "/v1/bench_openai", BODY, None),
    "promptc_anthropic": ("promptc, prompt endpoint, Anthropic wire", PROMPTC_PORT, "POST", "/v1/bench_anthropic", BODY, None),
    "promptc_mock": ("promptc, prompt endpoint, built-in mock model (no provider call)", PROMPTC_PORT, "POST", "/v1/bench_mock", BODY, None),
    "promptc_healthz": ("promptc, GET /healthz (the HTTP server alone)", PROMPTC_PORT, "GET", "/healthz", "", None),
    "nio_floor": ("SwiftNIO's HTTP/1.1 pipeline alone, a fixed answer (Benchmarks/ServerFloor)", FLOOR_PORT, "GET", "/healthz", "", None),
    "hb_floor": ("Hummingbird 2 alone: one route, no middleware, a fixed answer", HB_FLOOR_PORT, "GET", "/healthz", "", None),
    "nginx_proxy": ("(b) nginx, plain reverse proxy", PROXY_PORT, "POST", "/v1/chat/completions", BODY, None),
    "fake_direct": ("(c) fake provider, direct", FAKE_PORT, "POST", "/v1/chat/completions", BODY, None),
    "promptc_chat": ("promptc, POST /v1/chat/completions (model group)", PROMPTC_PORT, "POST", "/v1/chat/completions", CHAT, None),
    "promptc_stream": ("(s) promptc, streaming prompt endpoint (SSE)", PROMPTC_PORT, "POST", "/v1/bench_stream", BODY, SSE),
    "promptc_chat_stream": ("promptc, /v1/chat/completions, stream: true", PROMPTC_PORT, "POST", "/v1/chat/completions", CHAT_STREAM, SSE),
    "nginx_stream": ("(t) nginx, proxying the fake stream", PROXY_PORT, "POST", "/stream/v1/chat/completions", CHAT_STREAM, SSE),
}

# The peers, on the same fake with the same sentiment function and a fallback of two models:
# BAML's `baml-cli serve` (Benchmarks/Peers/baml_src) and LiteLLM's proxy with one worker
# (Benchmarks/Peers/litellm.yaml), each given its best case (BAML's per-call log off; LiteLLM
# with no master key, so no key check). The same body as promptc's, in each one's own shape.
BAML_BODY = '{"text":"I loved every minute of it, and the ending was perfect.","language":"en"}'
LITELLM_BODY = ('{"model":"bench","temperature":0,"max_tokens":100,"messages":['
                '{"role":"system","content":"You are a precise sentiment classifier. Answer only with the requested JSON."},'
                '{"role":"user","content":"Language: en\\nText:\\nI loved every minute of it, and the ending was perfect."}]}')
PEERS = {
    "baml": ("BAML `baml-cli serve`, fallback client", BAML_PORT, "POST", "/call/ClassifySentiment", BAML_BODY, None),
    "litellm": ("LiteLLM proxy, 1 worker, fallbacks", LITELLM_PORT, "POST", "/v1/chat/completions", LITELLM_BODY, None),
}


class Processes:
    """Every process this run started, stopped in reverse order on exit."""

    def __init__(self):
        self.running = []

    def start(self, name, argv, env=None, **kwargs):
        log = open(WORK / f"{name}.log", "wb")
        process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=env or ENV, **kwargs)
        self.running.append((name, process))
        return process

    def stop(self, process):
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.running = [(n, p) for n, p in self.running if p is not process]

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        for _, process in reversed(list(self.running)):
            self.stop(process)


def port_is_free(port):
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


def http_status(port, method, path, body=b"", accept=None):
    """One request on a new connection; the status code, or None when nothing answers."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as connection:
            head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            if accept:
                head += f"Accept: {accept}\r\n"
            head += f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
            connection.sendall(head.encode() + body)
            first = connection.recv(64)
            match = re.match(rb"HTTP/1\.[01] (\d{3})", first)
            return int(match.group(1)) if match else None
    except OSError:
        return None


def wait_until_answers(port, path, process, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"error: a benchmark process exited early; see {WORK}")
        if http_status(port, "GET", path) is not None:
            return
        time.sleep(0.01)
    sys.exit(f"error: nothing answered on port {port} within {timeout} s")


def fill(template, target, **values):
    text = (BENCH / template).read_text()
    for key, value in values.items():
        text = text.replace(f"@{key}@", str(value))
    path = WORK / target
    path.write_text(text)
    return path


def start_nginx(processes, name, template, **values):
    config = fill(template, f"{name}.conf", WORK=WORK, **values)
    return processes.start(name, ["nginx", "-p", str(WORK), "-c", str(config), "-g", "daemon off;"])


def release_binary(name="promptc"):
    out = subprocess.run(["swift", "build", "-c", "release", "--show-bin-path"], cwd=ROOT, check=True,
                         capture_output=True, text=True).stdout.strip()
    return pathlib.Path(out) / name


def prepare_routes(promptc):
    """Writes the benchmark's config (the providers pointed at the fake) and compiles
    Benchmarks/Prompts with it; returns the config's path."""
    config = fill("promptc.yaml", "promptc.yaml", FAKE_PORT=FAKE_PORT)
    compile_specs(promptc, BENCH / "Prompts", WORK / "bench-generated", config)
    return config


def serve_argv(promptc, config, port, *more):
    """`promptc serve` on the routes prepare_routes compiled."""
    return [str(promptc), "serve", "--routes", str(WORK / "bench-generated" / "routes.json"),
            "--config", str(config), "--port", str(port), *more]


def compile_specs(promptc, prompts, output, config=None):
    argv = [str(promptc), "compile", str(prompts), "-o", str(output)]
    if config:
        argv += ["--config", str(config)]
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, env=ENV)


def process_tree(pid):
    """`pid` and every process below it (nginx's workers, a Python server's children)."""
    children = {}
    for stat in pathlib.Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
        except (OSError, IndexError, ValueError):
            continue
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(children.get(current, []))
    return tree


def cpu_seconds(pids):
    """User plus system CPU time the processes have used so far."""
    ticks = 0
    for pid in pids:
        try:
            fields = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            continue
    return ticks / os.sysconf("SC_CLK_TCK")


def rss_kib(pid, field="VmRSS"):
    try:
        for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class RSSSampler(threading.Thread):
    """The largest resident set of `pid` seen while a load runs, sampled every 50 ms."""

    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid, self.peak, self.stopping = pid, 0, threading.Event()

    def run(self):
        while not self.stopping.is_set():
            self.peak = max(self.peak, rss_kib(self.pid))
            time.sleep(0.05)

    def stop(self):
        self.stopping.set()
        self.join()
        return self.peak


class TreeRSSSampler(RSSSampler):
    """The largest resident set of a process tree seen while a load runs (nginx's master and
    workers together, say)."""

    def __init__(self, pids):
        super().__init__(pids[0])
        self.pids = pids

    def run(self):
        while not self.stopping.is_set():
            self.peak = max(self.peak, sum(rss_kib(pid) for pid in self.pids))
            time.sleep(0.05)


def measure_server(pid, port, method, path, body, connections, seconds, threads, accept=None):
    """A wrk run against one server, with that server's CPU per request (its whole process
    tree's user and system time over the run, divided by the requests) and peak resident set."""
    pids = process_tree(pid)
    sampler = TreeRSSSampler(pids)
    sampler.start()
    before = cpu_seconds(pids)
    result = wrk(port, method, path, connections, seconds, threads=threads, body=body, accept=accept)
    result["cpu_us"] = (cpu_seconds(pids) - before) / max(result["requests"], 1) * 1e6
    result["rss_kib"] = sampler.stop()
    return result


def time_to_first_byte(port, path, body, accept, requests):
    """Median and p99 milliseconds from a request's last byte out to its body's first byte in,
    each on a new connection, one at a time: what a streaming client waits before it sees
    anything. promptc sends its head with the first event, so this is the first event's time."""
    times = []
    payload = body.encode()
    for _ in range(requests):
        head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nAccept: {accept}\r\n"
                f"Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n").encode()
        with socket.create_connection(("127.0.0.1", port), timeout=5) as connection:
            connection.sendall(head + payload)
            start = time.perf_counter()
            received = b""
            while True:
                end = received.find(b"\r\n\r\n")
                if end >= 0 and len(received) > end + 4:
                    break  # the head and the body's first byte are in
                chunk = connection.recv(65536)
                if not chunk:
                    break
                received += chunk
            times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(len(times) * 0.99))]


def wrk(port, method, path, connections, seconds, rate=0, threads=2, body=BODY, accept=None):
    env = dict(ENV, BENCH_METHOD=method, BENCH_BODY=body, BENCH_RATE=str(rate), BENCH_THREADS=str(threads),
               BENCH_ACCEPT=accept or "")
    argv = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "5s",
            "-s", str(BENCH / "wrk" / "post.lua"), f"http://127.0.0.1:{port}{path}"]
    out = subprocess.run(argv, env=env, check=True, capture_output=True, text=True).stdout
    line = next((l for l in out.splitlines() if l.startswith("BENCH ")), None)
    if line is None:
        sys.exit(f"error: wrk printed no result:\n{out}")
    result = {key: float(value) for key, value in (pair.split("=") for pair in line.split()[1:])}
    if result["non2xx"] or result["socket_errors"]:
        print(f"warning: {path} on port {port}: {int(result['non2xx'])} non-2xx answers, "
              f"{int(result['socket_errors'])} socket errors", file=sys.stderr)
    return result


def generate_sentiment_copies(folder, count):
    """`count` copies of Prompts/sentiment.yaml, each its own endpoint: the compile benchmark's input."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    template = (ROOT / "Prompts" / "sentiment.yaml").read_text()
    for index in range(count):
        name = f"sentiment_{index:04d}"
        spec = template.replace("name: sentiment", f"name: {name}")
        spec = spec.replace("route: POST /v1/sentiment", f"route: POST /v1/{name}")
        (folder / f"{name}.yaml").write_text(spec)


def measure_compile(promptc, prompts, runs):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        compile_specs(promptc, prompts, WORK / "compile-generated")
        times.append(time.perf_counter() - start)
    return statistics.median(times), times


def measure_startup(processes, promptc, routes, config, runs):
    """Milliseconds from exec to the first 200 from /readyz, serving `routes`."""
    times = []
    for _ in range(runs):
        if not port_is_free(STARTUP_PORT):
            sys.exit(f"error: port {STARTUP_PORT} is taken")
        start = time.perf_counter()
        process = processes.start("promptc-startup", [
            str(promptc), "serve", "--routes", str(routes), "--config", str(config),
            "--port", str(STARTUP_PORT)])
        while http_status(STARTUP_PORT, "GET", "/readyz") != 200:
            if process.poll() is not None or time.perf_counter() - start > 30:
                sys.exit(f"error: promptc did not become ready; see {WORK}/promptc-startup.log")
            time.sleep(0.001)
        times.append((time.perf_counter() - start) * 1000)
        processes.stop(process)
    return statistics.median(times), times


def ms(microseconds):
    return f"{microseconds / 1000:.2f}"


def cpu_ticks():
    """The machine's CPU time by kind since boot (/proc/stat's first line), to tell how much the
    host took (steal) during a run."""
    with open("/proc/stat") as stat:
        fields = stat.readline().split()[1:]
    names = ("user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal")
    return {name: int(value) for name, value in zip(names, fields)}


def steal_percent(before, after):
    total = sum(after[name] - before[name] for name in before)
    return 100 * (after["steal"] - before["steal"]) / max(total, 1)


HALF_PACKET = re.compile(r"^(\d+\.\d+) IP 127\.0\.0\.1\.(\d+) > 127\.0\.0\.1\.(\d+): .* length (\d+)")


def measure_halves(port, path, upstream_port, seconds, rate):
    """Where a prompt request's time goes at a fixed rate, from the packets on loopback: the time
    from the client's request to promptc's call to the provider ("before the call": waking,
    reading, the pipeline up to the call), the provider's answer, and from that answer to
    promptc's answer ("after the call"). tcpdump stamps each packet as it is sent, so no
    process's scheduling is in the stamps. Each client exchange is paired with the first
    unpaired provider exchange inside it. None when tcpdump is missing or cannot capture."""
    if shutil.which("tcpdump") is None:
        return None
    capture = WORK / "halves.pcap"
    dump = subprocess.Popen(["tcpdump", "-i", "lo", "-s", "96", "-B", "16384", "-w", str(capture),
                             f"tcp and (port {port} or port {upstream_port}) and (tcp[tcpflags] & tcp-push != 0)"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1)  # tcpdump listening
    result = wrk(port, "POST", path, 16, seconds, rate=rate)
    time.sleep(0.5)
    dump.terminate()
    dump.wait()
    text = subprocess.run(["tcpdump", "-r", str(capture), "-tt", "-n"], capture_output=True, text=True).stdout
    client, upstream, open_client, open_upstream = [], [], {}, {}
    for line in text.splitlines():
        match = HALF_PACKET.match(line)
        if not match or int(match[4]) == 0:
            continue
        stamp, source, target = float(match[1]), int(match[2]), int(match[3])
        if target == port:
            open_client.setdefault(source, stamp)
        elif source == port and target in open_client:
            client.append((open_client.pop(target), stamp))
        elif target == upstream_port:
            open_upstream.setdefault(source, stamp)
        elif source == upstream_port and target in open_upstream:
            upstream.append((open_upstream.pop(target), stamp))
    client.sort()
    upstream.sort()
    starts = [sent for sent, _ in upstream]
    paired = [False] * len(upstream)
    rows = []
    for sent, answered in client:
        index = bisect.bisect_left(starts, sent)
        while index < len(upstream) and upstream[index][0] < answered and (paired[index] or upstream[index][1] > answered):
            index += 1
        if index < len(upstream) and upstream[index][0] < answered:
            paired[index] = True
            call_sent, call_answered = upstream[index]
            rows.append((answered - sent, call_sent - sent, call_answered - call_sent, answered - call_answered))
    if not rows:
        return None  # tcpdump could not capture (it needs CAP_NET_RAW)

    def percentile(values, fraction):
        values = sorted(values)
        return values[min(len(values) - 1, int(len(values) * fraction))] * 1e6

    parts = {name: {q: percentile([row[i] for row in rows], f) for q, f in (("p50", 0.5), ("p90", 0.9), ("p99", 0.99))}
             for i, name in enumerate(("whole", "before", "provider", "after"))}
    slowest = sorted(rows, reverse=True)[:max(1, len(rows) // 100)]
    parts["slowest"] = {name: statistics.mean(row[i] for row in slowest) * 1e6
                        for i, name in ((0, "whole"), (1, "before"), (2, "provider"), (3, "after"))}
    return {"parts": parts, "paired": len(rows), "requests": result["requests"], "wrk": result}


SECTIONS = ("peers", "throughput", "rate", "streams", "startup", "split")

# The split of one request's CPU into its parts, by difference between rows measured in the same
# run (each row takes one more part than the one before it) and, for metrics, by perf's samples.
SPLIT_ROWS = ("nio_floor", "hb_floor", "promptc_healthz", "promptc_mock", "promptc_openai", "promptc_chat", "promptc_stream",
              "promptc_chat_stream")
METRICS_FRAMES = re.compile(r"Prometheus|CoreMetrics|GatewayMetrics|EndpointMetrics|ModelMetrics|UpstreamStats")
LOG_FRAMES = re.compile(r"BufferedLogHandler|LogWriter|OutcomeRecorder.*record")


def libc_path():
    out = subprocess.run(["ldconfig", "-p"], capture_output=True, text=True).stdout
    match = re.search(r"libc\.so\.6 \(libc6,x86-64\) => (\S+)", out)
    return match.group(1) if match else "/lib/x86_64-linux-gnu/libc.so.6"


def malloc_probe():
    """perf's uprobe on libc's malloc, added when missing (and removed again at exit); None where
    perf cannot have it."""
    if shutil.which("perf") is None:
        return None
    listed = subprocess.run(["perf", "list", "probe_libc:malloc"], capture_output=True, text=True).stdout
    if "probe_libc:malloc" not in listed:
        subprocess.run(["perf", "probe", "-q", "-x", libc_path(), "malloc"], capture_output=True)
        atexit.register(subprocess.run, ["perf", "probe", "-q", "-d", "probe_libc:malloc"], capture_output=True)
    listed = subprocess.run(["perf", "list", "probe_libc:malloc"], capture_output=True, text=True).stdout
    return "probe_libc:malloc" if "probe_libc:malloc" in listed else None


def perf_share(pid, seconds, load, pattern):
    """The share of `pid`'s CPU samples, over `seconds` while `load` runs, whose call chain has
    a frame matching `pattern`; None when perf took no samples (it could not attach, say), so that
    a failed recording is not printed as a share of 0 %."""
    data = WORK / "perf.data"
    recorder = subprocess.Popen(["perf", "record", "-q", "-F", "1999", "-g", "-p", str(pid), "-o", str(data), "--",
                                 "sleep", str(seconds)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    load()
    recorder.wait()
    script = subprocess.run(["perf", "script", "-i", str(data), "-F", "ip,sym"], capture_output=True, text=True).stdout
    total = matched = 0
    for sample in script.split("\n\n"):
        if not sample.strip():
            continue
        total += 1
        if pattern.search(sample):
            matched += 1
    return matched / total if total else None


def mallocs_per_request(pid, probe, run):
    """libc malloc calls in `pid` per request of `run`."""
    counter = subprocess.Popen(["perf", "stat", "-x", ",", "-e", probe, "-p", str(pid)], stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
    time.sleep(0.2)
    result = run()
    counter.send_signal(signal.SIGINT)
    err = counter.communicate()[1]
    count = next((int(line.split(",")[0]) for line in err.splitlines() if probe in line and line.split(",")[0].isdigit()), 0)
    return count / max(result["requests"], 1)


def start_peers(processes):
    """BAML's and LiteLLM's servers from the venv `Benchmarks/run` made, once they answer."""
    env = dict(ENV, BENCH_FAKE_BASE_URL=f"http://127.0.0.1:{FAKE_PORT}/v1", BAML_LOG="warn",
               LITELLM_LOCAL_MODEL_COST_MAP="True", LITELLM_DANGEROUSLY_PERMIT_WEAK_OR_UNSET_MASTER_KEY="true",
               LITELLM_LOG="ERROR")
    baml = processes.start("baml", [str(VENV / "bin" / "baml-cli"), "serve", "--from", str(BENCH / "Peers" / "baml_src"),
                                    "--port", str(BAML_PORT)], env=env, cwd=WORK)
    litellm_config = fill("Peers/litellm.yaml", "litellm.yaml", FAKE_PORT=FAKE_PORT)
    litellm = processes.start("litellm", [str(VENV / "bin" / "litellm"), "--config", str(litellm_config), "--host", "127.0.0.1",
                                          "--port", str(LITELLM_PORT), "--num_workers", "1"], env=env, cwd=WORK)
    wait_until_answers(BAML_PORT, "/", baml, timeout=60)
    wait_until_answers(LITELLM_PORT, "/health/liveliness", litellm, timeout=120)
    for key, process in (("baml", baml), ("litellm", litellm)):
        _, port, method, path, body, accept = PEERS[key]
        status = http_status(port, method, path, body.encode(), accept)
        if status != 200:
            sys.exit(f"error: {path} on port {port} answered {status}; see {WORK}/{key}.log")
    return {"baml": baml, "litellm": litellm}


def measure_split(processes, promptc, config, gateway, floors, args, rounds=3):
    """CPU per request of each split row (2 threads, 16 connections), mallocs per request and the
    metrics' share of the samples, and two rows again on a second promptc whose per-request log
    line is off (`--log-level warning`). The machine's speed drifts by a tenth or more within
    minutes, so the rows are measured in `rounds` interleaved rounds and each row's median taken."""
    probe = malloc_probe()
    quiet_port = STARTUP_PORT
    quiet = processes.start("promptc-quiet", serve_argv(promptc, config, quiet_port, "--log-level", "warning"))
    wait_until_answers(quiet_port, "/", quiet)
    plan = [(key, key, floors.get(key, gateway.pid), TARGETS[key][1]) for key in SPLIT_ROWS]
    plan += [(key + "_quiet", key, quiet.pid, quiet_port) for key in ("promptc_healthz", "promptc_openai")]
    samples = {}
    for round_number in range(rounds):
        for row, key, pid, port in plan:
            label, _, method, path, body, accept = TARGETS[key]
            print(f"  split, round {round_number + 1} of {rounds}: {label}{' (log level warning)' if row != key else ''}", file=sys.stderr)
            wrk(port, method, path, 16, 1, body=body, accept=accept)
            samples.setdefault(row, []).append(measure_server(pid, port, method, path, body, 16, max(args.duration // 2, 3), 2, accept))
    rows = {}
    for row, results in samples.items():
        middle = sorted(results, key=lambda r: r["cpu_us"])[len(results) // 2]
        rows[row] = dict(middle)
    for row, key, pid, port in plan[:len(SPLIT_ROWS)]:
        label, _, method, path, body, accept = TARGETS[key]
        if probe:
            rows[row]["mallocs"] = mallocs_per_request(pid, probe, lambda: wrk(port, method, path, 16, 3, body=body, accept=accept))
        if shutil.which("perf") and key.startswith("promptc"):
            for name, frames in (("metrics_share", METRICS_FRAMES), ("log_share", LOG_FRAMES)):
                share = perf_share(pid, 3, lambda: wrk(port, method, path, 16, 4, body=body, accept=accept), frames)
                if share is not None:
                    rows[row][name] = share
    processes.stop(quiet)
    return rows


def print_split(split):
    us = {key: row["cpu_us"] for key, row in split.items()}
    print()
    print("Split of one request's CPU (µs; 2 threads, 16 connections; each row's own process tree). A part is the "
          "difference between two rows of this run; metrics is its share of perf's samples")
    print()
    print("| row | req/s | CPU per request | mallocs per request | metrics' share | log line's share |")
    print("|---|---:|---:|---:|---:|---:|")
    labels = dict((key, TARGETS[key][0]) for key in SPLIT_ROWS)
    labels["promptc_healthz_quiet"] = TARGETS["promptc_healthz"][0] + ", log level warning"
    labels["promptc_openai_quiet"] = TARGETS["promptc_openai"][0] + ", log level warning"
    for key, row in split.items():
        mallocs = f"{row['mallocs']:.0f}" if "mallocs" in row else "–"
        share = f"{row['metrics_share'] * 100:.1f} %" if "metrics_share" in row else "–"
        log_share = f"{row['log_share'] * 100:.1f} %" if "log_share" in row else "–"
        print(f"| {labels[key]} | {row['rps']:,.0f} | {row['cpu_us']:.0f} | {mallocs} | {share} | {log_share} |")
    logging = us["promptc_openai"] - us["promptc_openai_quiet"]
    openai = split["promptc_openai"]
    log_sampled = f"{us['promptc_openai'] * openai['log_share']:.0f}" if "log_share" in openai else "–"
    metrics = f"{us['promptc_openai'] * openai['metrics_share']:.0f}" if "metrics_share" in openai else "–"
    print()
    print("| part of a prompt request (OpenAI wire) | CPU (µs) | how it is found |")
    print("|---|---:|---|")
    print(f"| HTTP server: SwiftNIO's HTTP/1.1 pipeline | {us['nio_floor']:.0f} | the NIO floor row |")
    print(f"| the direct front and the pipeline: request id, consumer, limits, input, template, chain, output check, record | "
          f"{us['promptc_mock'] - us['nio_floor']:.0f} | mock − the NIO floor |")
    print(f"| the upstream call (client, provider's wire format) | {us['promptc_openai'] - us['promptc_mock']:.0f} | "
          "OpenAI − mock |")
    print(f"| the log line | {log_sampled} (by difference: {logging:.0f}) | OpenAI × the log line's share of samples "
          "(OpenAI at info − at warning) |")
    print(f"| metrics (inside the rows above) | {metrics} | OpenAI × metrics' share of samples |")
    print(f"| **whole prompt request** | **{us['promptc_openai']:.0f}** | |")
    print(f"| streamed prompt request; over the plain one | {us['promptc_stream']:.0f}; {us['promptc_stream'] - us['promptc_openai']:+.0f} | |")
    print(f"| /v1/chat/completions; streamed | {us['promptc_chat']:.0f}; {us['promptc_chat_stream']:.0f} | |")
    print()
    print("| the router's path (streams, /healthz, portal, admin, MCP) | CPU (µs) | how it is found |")
    print("|---|---:|---|")
    print(f"| Hummingbird itself | {us['hb_floor'] - us['nio_floor']:.0f} | bare Hummingbird − the NIO floor |")
    print(f"| promptc's middleware, less logging | {us['promptc_healthz_quiet'] - us['hb_floor']:.0f} | "
          "/healthz at warning − bare Hummingbird |")


def counted_rounds(quiet_rounds):
    """The fixed-rate rounds the figures are taken from: those in which the host was quiet, or all
    of them when fewer than three were. A round in which the host took the CPU measures the host:
    in such rounds the fake's own p99 reached 2–5 ms and nginx added up to 6 ms (README,
    Performance)."""
    quiet = [i for i, q in enumerate(quiet_rounds) if q]
    return quiet if len(quiet) >= 3 else list(range(len(quiet_rounds)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run (default 10)")
    parser.add_argument("--connections", default="16,64", help="wrk connection counts (default 16,64)")
    parser.add_argument("--rate", type=int, default=1000, help="the fixed request rate of the latency runs")
    parser.add_argument("--rate-rounds", type=int, default=5, help="interleaved rounds of the fixed-rate rows counted "
                        "(default 5)")
    parser.add_argument("--rate-quiet-steal", type=float, default=0.2,
                        help="a fixed-rate round counts only when the host's steal during its fake and promptc rows "
                        "was at most this many percent (default 0.2); others are run again, up to --rate-max-rounds")
    parser.add_argument("--rate-max-rounds", type=int, default=10, help="the most fixed-rate rounds run (default 10)")
    parser.add_argument("--endpoints", type=int, default=1000, help="endpoints for start-up and compile (default 1000)")
    parser.add_argument("--runs", type=int, default=5, help="runs of the start-up and compile measurements")
    parser.add_argument("--ttfb-requests", type=int, default=300, help="requests per time-to-first-byte measurement")
    parser.add_argument("--peer-connections", type=int, default=32, help="connections of the peer table's runs (default 32)")
    parser.add_argument("--promptc", help="the promptc binary to measure (default: this tree's release build), "
                        "to compare two builds in one hour")
    parser.add_argument("--serve-args", default="", help="more arguments for the measured `promptc serve` "
                        "(e.g. '--threads 1')")
    parser.add_argument("--sections", default=",".join(SECTIONS),
                        help=f"what to measure, comma-separated (default all: {','.join(SECTIONS)})")
    args = parser.parse_args()
    if args.rate_rounds < 1 or args.rate_max_rounds < 1:
        parser.error("--rate-rounds and --rate-max-rounds must be at least 1")
    connection_counts = [int(c) for c in args.connections.split(",")]
    sections = set(args.sections.split(","))
    if sections - set(SECTIONS):
        sys.exit(f"error: unknown sections {sorted(sections - set(SECTIONS))}; choose from {','.join(SECTIONS)}")
    if "peers" in sections and not (VENV / "bin" / "baml-cli").exists():
        sys.exit(f"error: the peers need {VENV} with baml-py and litellm[proxy]; Benchmarks/run makes it")

    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    for port in (FAKE_PORT, PROXY_PORT, PROMPTC_PORT, STARTUP_PORT, BAML_PORT, LITELLM_PORT, FLOOR_PORT, HB_FLOOR_PORT):
        if not port_is_free(port):
            sys.exit(f"error: port {port} is taken; the benchmark needs 18101 to 18108")
    promptc = pathlib.Path(args.promptc) if args.promptc else release_binary()
    config = prepare_routes(promptc)

    throughput, fixed, first_byte, peers, split = {}, {}, {}, {}, {}
    halves = None
    rss_at_rate = rss_peak = None
    rate_rounds = {}
    quiet_rounds = []
    counted = []
    with Processes() as processes:
        fake = start_nginx(processes, "fake-provider", "nginx/fake-provider.conf", PORT=FAKE_PORT)
        proxy = start_nginx(processes, "proxy", "nginx/proxy.conf", PORT=PROXY_PORT, UPSTREAM_PORT=FAKE_PORT)
        gateway = processes.start("promptc", serve_argv(promptc, config, PROMPTC_PORT, *shlex.split(args.serve_args)))
        floor = processes.start("server-floor", [str(release_binary("promptc-server-floor")), str(FLOOR_PORT)])
        hb_floor = processes.start("hummingbird-floor", [str(release_binary("promptc-server-floor")), str(HB_FLOOR_PORT),
                                                         "hummingbird"])
        for port, process in ((FAKE_PORT, fake), (PROXY_PORT, proxy), (PROMPTC_PORT, gateway), (FLOOR_PORT, floor),
                              (HB_FLOOR_PORT, hb_floor)):
            wait_until_answers(port, "/", process)
        for key in TARGETS:
            _, port, method, path, body, accept = TARGETS[key]
            status = http_status(port, method, path, body.encode(), accept)
            if status != 200:
                sys.exit(f"error: POST {path} on port {port} answered {status}; see {WORK}")

        if "peers" in sections:
            # One load for all four: wrk with one thread and --peer-connections connections.
            started = start_peers(processes)
            servers = {"nginx_proxy": (TARGETS["nginx_proxy"], proxy.pid), "promptc_openai": (TARGETS["promptc_openai"], gateway.pid),
                       "baml": (PEERS["baml"], started["baml"].pid), "litellm": (PEERS["litellm"], started["litellm"].pid)}
            for key, ((label, port, method, path, body, accept), pid) in servers.items():
                print(f"  peers: {label}: {args.peer_connections} connections, {args.duration} s", file=sys.stderr)
                wrk(port, method, path, args.peer_connections, 3, threads=1, body=body, accept=accept)  # warm-up
                peers[key] = measure_server(pid, port, method, path, body, args.peer_connections, args.duration, 1, accept)
            for process in started.values():
                processes.stop(process)

        def measure_throughput(keys):
            for key in keys:
                label, port, method, path, body, accept = TARGETS[key]
                wrk(port, method, path, max(connection_counts), 3, body=body, accept=accept)  # warm-up: connections and pools filled
                for connections in connection_counts:
                    print(f"  {label}: {connections} connections, {args.duration} s", file=sys.stderr)
                    pid = {PROMPTC_PORT: gateway.pid, PROXY_PORT: proxy.pid, FAKE_PORT: fake.pid, FLOOR_PORT: floor.pid,
                           HB_FLOOR_PORT: hb_floor.pid}[port]
                    throughput[key, connections] = measure_server(pid, port, method, path, body, connections, args.duration, 2, accept)

        # The streaming rows run last, after the fixed-rate run, so the memory figures are the
        # plain endpoint's (memory a process took for 64 streams at once is not given back).
        streaming = [key for key in TARGETS if TARGETS[key][5] == SSE]
        if "throughput" in sections:
            measure_throughput([key for key in TARGETS if key not in streaming])

        if "rate" in sections:
            # /healthz and the floors show how much of the added latency is the HTTP server's.
            # A p99 on this shared VM moves with the host's hiccups, so the rows run in
            # interleaved rounds, and each figure is the median over the rounds; the p99 added is
            # each round's promptc p99 less the fake's p99 of the same round. The fake, promptc
            # and nginx run one after another in each round, so the three see the same stretch
            # of the host.
            rate_keys = ("fake_direct", "promptc_openai", "nginx_proxy", "promptc_mock", "promptc_healthz", "hb_floor", "nio_floor")
            round_number = 0
            while (sum(quiet_rounds) < args.rate_rounds and round_number < max(args.rate_max_rounds, args.rate_rounds)):
                round_number += 1
                for key in rate_keys:
                    label, port, method, path, _, _ = TARGETS[key]
                    print(f"  rate, round {round_number} ({sum(quiet_rounds)} of {args.rate_rounds} quiet so far): {label}: "
                          f"{args.rate} requests/s, 16 connections, {args.duration} s", file=sys.stderr)
                    if key == "promptc_openai":
                        sampler = RSSSampler(gateway.pid)
                        sampler.start()
                    ticks = cpu_ticks()
                    run = wrk(port, method, path, 16, args.duration, rate=args.rate, body=TARGETS[key][4])
                    run["steal"] = steal_percent(ticks, cpu_ticks())
                    rate_rounds.setdefault(key, []).append(run)
                    if key == "promptc_openai":
                        rss_at_rate = max(rss_at_rate or 0, sampler.stop())
                quiet_rounds.append(all(rate_rounds[key][-1]["steal"] <= args.rate_quiet_steal
                                        for key in ("fake_direct", "promptc_openai")))
            print(f"  rate: where the prompt request's time goes, from the packets: {args.rate} requests/s, "
                  f"{args.duration} s", file=sys.stderr)
            halves = measure_halves(PROMPTC_PORT, TARGETS["promptc_openai"][3], FAKE_PORT, args.duration, args.rate)
            counted = counted_rounds(quiet_rounds)
            for key in ("promptc_openai", "promptc_mock", "promptc_healthz", "hb_floor", "nio_floor", "nginx_proxy", "fake_direct"):
                rounds = [rate_rounds[key][i] for i in counted]
                fixed[key] = {measure: statistics.median(r[measure] for r in rounds) for measure in rounds[0]}
        rss_peak = rss_kib(gateway.pid, "VmHWM")

        if "streams" in sections:
            measure_throughput(streaming)
            for key in ("promptc_stream", "promptc_chat_stream", "nginx_stream"):
                label, port, _, path, body, accept = TARGETS[key]
                print(f"  {label}: time to first byte, {args.ttfb_requests} requests", file=sys.stderr)
                first_byte[key] = time_to_first_byte(port, path, body, accept, args.ttfb_requests)
        if "split" in sections:
            split = measure_split(processes, promptc, config, gateway, {"nio_floor": floor.pid, "hb_floor": hb_floor.pid}, args)
        processes.stop(gateway)
        processes.stop(floor)
        processes.stop(hb_floor)
        processes.stop(proxy)
        processes.stop(fake)

        if "startup" in sections:
            print(f"  start-up and compile with {args.endpoints} endpoints", file=sys.stderr)
            many = WORK / "many-prompts"
            generate_sentiment_copies(many, args.endpoints)
            compile_specs(promptc, many, WORK / "many-generated", config)
            startup_ms, startup_runs = measure_startup(processes, promptc, WORK / "many-generated" / "routes.json",
                                                       config, args.runs)
            compile_s, compile_runs = measure_compile(promptc, many, args.runs)

    if peers:
        print()
        print(f"Peers: wrk, 1 thread, {args.peer_connections} connections, {args.duration} s each, on the same fake; "
              "CPU per request is the server's whole process tree (user + system) over the run")
        print()
        print("| target | req/s | × nginx | CPU per request | × nginx | peak RSS | p50 (ms) | p99 (ms) |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|")
        base = peers["nginx_proxy"]
        labels = {"nginx_proxy": "nginx as a plain reverse proxy", "promptc_openai": "**promptc**, prompt endpoint (sentiment)",
                  "baml": PEERS["baml"][0], "litellm": PEERS["litellm"][0]}
        for key, r in peers.items():
            print(f"| {labels[key]} | {r['rps']:,.0f} | {r['rps'] / base['rps']:.2f}× | {r['cpu_us']:,.0f} µs | "
                  f"{r['cpu_us'] / base['cpu_us']:.1f}× | {r['rss_kib'] / 1024:.0f} MiB | {ms(r['p50_us'])} | {ms(r['p99_us'])} |")

    if split:
        print_split(split)

    if throughput:
        keys = [key for key in TARGETS if (key, connection_counts[0]) in throughput]
        print()
        print(f"Throughput: wrk, 2 threads, {args.duration} s per run, body {len(BODY)} bytes; latency in ms; "
              "CPU per request in µs (the server's process tree)")
        print()
        header = "| target |" + "".join(f" req/s @{c} | CPU @{c} | p50 @{c} | p99 @{c} |" for c in connection_counts)
        print(header)
        print("|---|" + "---:|---:|---:|---:|" * len(connection_counts))
        for key in keys:
            cells = "".join(
                f" {throughput[key, c]['rps']:,.0f} | {throughput[key, c]['cpu_us']:,.0f} | {ms(throughput[key, c]['p50_us'])} | "
                f"{ms(throughput[key, c]['p99_us'])} |"
                for c in connection_counts)
            print(f"| {TARGETS[key][0]} |{cells}")
        if "promptc_openai" in keys and "nginx_proxy" in keys:
            ratios = [throughput["promptc_openai", c]["rps"] / throughput["nginx_proxy", c]["rps"] for c in connection_counts]
            print("| **ratio (a) / (b)** |" + "".join(f" **{r:.2f}×** | | | |" for r in ratios))
        if "promptc_stream" in keys and "nginx_stream" in keys:
            stream_ratios = [throughput["promptc_stream", c]["rps"] / throughput["nginx_stream", c]["rps"] for c in connection_counts]
            print("| **ratio (s) / (t)** |" + "".join(f" **{r:.2f}×** | | | |" for r in stream_ratios))

    if first_byte:
        print()
        print(f"Time to first byte of a stream, {args.ttfb_requests} requests one at a time, each on a new connection; ms")
        print()
        print("| target | median | p99 |")
        print("|---|---:|---:|")
        for key, (median, p99) in first_byte.items():
            print(f"| {TARGETS[key][0]} | {median:.2f} | {p99:.2f} |")

    if fixed:
        print()
        which = (f"the {len(counted)} rounds in which the host took at most {args.rate_quiet_steal} % (of {len(quiet_rounds)} run)"
                 if all(quiet_rounds[i] for i in counted) else
                 f"all {len(quiet_rounds)} rounds (too few were quiet: the host took more than {args.rate_quiet_steal} %)")
        print(f"Fixed rate: {args.rate} requests/s, 16 connections, {args.duration} s per row, interleaved rounds; "
              f"medians of {which}; latency in ms")
        print()
        print("| target | achieved req/s | p50 | p90 | p99 | max |")
        print("|---|---:|---:|---:|---:|---:|")
        for key in fixed:
            r = fixed[key]
            print(f"| {TARGETS[key][0]} | {r['rps']:,.0f} | {ms(r['p50_us'])} | {ms(r['p90_us'])} | {ms(r['p99_us'])} | {ms(r['max_us'])} |")
        print()
        print("The host's steal (CPU time the VM's host took) during each round's fake and promptc rows, "
              f"* for a round in which it was over {args.rate_quiet_steal} %: "
              + ", ".join(f"{f['steal']:.2f}/{p['steal']:.2f} %{'' if quiet else '*'}" for f, p, quiet
                          in zip(rate_rounds["fake_direct"], rate_rounds["promptc_openai"], quiet_rounds)))
    if halves:
        parts = halves["parts"]
        print()
        print(f"Where the prompt request's time goes at {args.rate} requests/s, from the packets on loopback "
              f"({halves['paired']:,} of {halves['requests']:,.0f} requests paired with their provider call; µs):")
        print()
        print("| part | p50 | p90 | p99 | mean of the slowest 1 % |")
        print("|---|---:|---:|---:|---:|")
        for name, label in (("whole", "the whole exchange, as the client's packets show it"),
                            ("before", "promptc, from the request to its call to the provider"),
                            ("provider", "the fake provider's answer"),
                            ("after", "promptc, from the provider's answer to its own")):
            q = parts[name]
            print(f"| {label} | {q['p50']:.0f} | {q['p90']:.0f} | {q['p99']:.0f} | {parts['slowest'][name]:.0f} |")
    elif "rate" in sections:
        print()
        print("(where the prompt request's time goes: not measured, tcpdump is missing or may not capture here)")

    print()
    print("| measure | result | target |")
    print("|---|---:|---:|")
    if peers:
        print(f"| throughput, promptc / nginx proxy (peer table) | {peers['promptc_openai']['rps'] / peers['nginx_proxy']['rps']:.2f}× | ≥ 0.5× |")
        for key in ("baml", "litellm"):
            print(f"| promptc / {key}: throughput, CPU per request | {peers['promptc_openai']['rps'] / peers[key]['rps']:.1f}×, "
                  f"{peers['promptc_openai']['cpu_us'] / peers[key]['cpu_us']:.2f}× | > 1×, < 1× |")
    if throughput and "promptc_openai" in keys:
        worst = min(throughput["promptc_openai", c]["rps"] / throughput["nginx_proxy", c]["rps"] for c in connection_counts)
        print(f"| throughput, promptc / nginx proxy (lowest over connection counts) | {worst:.2f}× | ≥ 0.5× |")
    if fixed:
        # nginx proxying the same fake is the native floor: what any proxy adds here, the
        # machine's share of the figure above it.
        for key, label, target in (("promptc_openai", "p99 added over the fake", "≤ 1 ms"),
                                   ("nginx_proxy", "p99 added over the fake by nginx proxying it (the native floor)", "")):
            each = [(a["p99_us"] - f["p99_us"]) / 1000 for a, f in zip(rate_rounds[key], rate_rounds["fake_direct"])]
            median = statistics.median(each[i] for i in counted)
            print(f"| {label} at {args.rate} req/s (median of the {len(counted)} counted rounds; every round, * not quiet: "
                  f"{', '.join(f'{x:.2f}' + ('' if quiet else '*') for x, quiet in zip(each, quiet_rounds))}; "
                  f"median of all {statistics.median(each):.2f}) | {median:.2f} ms | {target} |")
        print(f"| promptc resident memory at {args.rate} req/s (peak sampled) | {rss_at_rate / 1024:.1f} MiB | ≤ 64 MiB |")
    if rss_peak:
        print(f"| promptc resident memory, peak before the streaming rows (VmHWM) | {rss_peak / 1024:.1f} MiB | ≤ 64 MiB |")
    if "startup" in sections:
        print(f"| start-up to /readyz, {args.endpoints} endpoints (median of {args.runs}) | {startup_ms:.0f} ms | < 200 ms |")
        print(f"| compile of {args.endpoints} specs (median of {args.runs}) | {compile_s:.2f} s | < 1 s |")
        print()
        print(f"start-up runs (ms): {', '.join(f'{t:.0f}' for t in startup_runs)}; "
              f"compile runs (s): {', '.join(f'{t:.2f}' for t in compile_runs)}")


if __name__ == "__main__":
    main()
