#!/usr/bin/env python3
"""The functions of a promptc build that the benchmark's requests run, for the linker to put
side by side (Benchmarks/build-lean).

Why: the kernel maps a program's code 64 KiB at a time ("fault-around"), and a request touches a
few functions in each of hundreds of places, so most of promptc's resident memory was cold code
beside hot code (11.5 MiB of its 22.6 MiB of machine code resident, 5.3–5.9 MiB of it run). Laid out
hot-first, the same run keeps little more than the code it runs.

How: `promptc serve` runs with HotCode/page_trace.c preloaded, which makes each page of the code
its own mapping, so a page is present only if it ran; it gets the benchmark's kinds of request
(each prompt endpoint, streams, /v1/chat/completions, refusals, /metrics, a fixed rate); then its
/proc/PID/pagemap gives the pages run, and `nm` the functions on them. A few functions show up
in one layout's trace and not in another's (why is not known yet), so `--adding` puts the
functions of an earlier trace first and appends those this one adds; `--shuffled` writes the
list in another order, for a second layout.

    hot_code.py BIN OUT [--adding EARLIER] [--shuffled LAYOUT]
"""
import argparse
import hashlib
import pathlib
import struct
import subprocess
import sys

import gateway as g

PAGE = 4096


def trace_pages(binary):
    """The page addresses (link-time, not load-time) of BIN's code that the loads ran."""
    g.WORK.mkdir(parents=True, exist_ok=True)
    config = g.prepare_routes(binary)
    library = g.WORK / "page_trace.so"
    subprocess.run(["cc", "-O2", "-shared", "-fPIC", "-o", str(library), str(g.BENCH / "HotCode" / "page_trace.c")], check=True)
    range_file = g.WORK / "page_trace.range"
    range_file.unlink(missing_ok=True)
    env = dict(g.ENV, LD_PRELOAD=str(library), PAGE_TRACE_OUT=str(range_file))
    with g.Processes() as processes:
        fake = g.start_nginx(processes, "fake-provider", "nginx/fake-provider.conf", PORT=g.FAKE_PORT)
        gateway = processes.start("promptc-page-trace", g.serve_argv(binary, config, g.PROMPTC_PORT), env=env)
        g.wait_until_answers(g.FAKE_PORT, "/", fake)
        g.wait_until_answers(g.PROMPTC_PORT, "/", gateway)
        for key in ("promptc_openai", "promptc_anthropic", "promptc_mock", "promptc_healthz", "promptc_chat",
                    "promptc_stream", "promptc_chat_stream"):
            _, port, method, path, body, accept = g.TARGETS[key]
            g.wrk(port, method, path, 16, 2, body=body, accept=accept)
        for method, path, body in (("POST", "/v1/bench_openai", b"{"), ("POST", "/v1/bench_openai", b'{"text": 5}'),
                                   ("GET", "/nowhere", b""), ("GET", "/metrics", b""), ("GET", "/readyz", b"")):
            if g.http_status(g.PROMPTC_PORT, method, path, body) is None:
                sys.exit(f"hot_code: {method} {path} got no answer; see {g.WORK / 'promptc-page-trace.log'}")
        _, port, method, path, body, _ = g.TARGETS["promptc_openai"]
        g.wrk(port, method, path, 16, 3, rate=1000, body=body)
        if not range_file.exists():
            sys.exit(f"hot_code: {binary} ran without the page trace (no {range_file}); see {g.WORK / 'promptc-page-trace.log'}")
        pages = set()
        with open(f"/proc/{gateway.pid}/pagemap", "rb") as pagemap:
            for line in range_file.read_text().splitlines():  # one executable segment a line
                start, end, base = (int(field, 16) for field in line.split())
                pagemap.seek(start // PAGE * 8)
                entries = pagemap.read((end - start) // PAGE * 8)
                pages.update(start - base + i * PAGE for i in range(len(entries) // 8)
                             if struct.unpack_from("<Q", entries, i * 8)[0] >> 63)
    return pages


def functions(binary):
    """BIN's functions as (address, size, name), in address order."""
    listing = subprocess.run(["nm", "-S", "--defined-only", str(binary)], check=True, capture_output=True, text=True).stdout
    found = []
    for line in listing.splitlines():
        fields = line.split(" ", 3)
        if len(fields) == 4 and fields[2] in ("t", "T", "w", "W"):
            found.append((int(fields[0], 16), int(fields[1], 16), fields[3]))
    return sorted(found)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("binary", help="the promptc build to trace")
    parser.add_argument("out", help="where to write the functions run, one symbol a line (lld's --symbol-ordering-file)")
    parser.add_argument("--adding", help="an earlier list: its functions first, then the ones this run adds")
    parser.add_argument("--shuffled", help="also write the functions in another order, for a second layout to trace")
    args = parser.parse_args()
    pages = trace_pages(args.binary)
    run, seen = [], set()
    for address, size, name in functions(args.binary):
        first, last = address // PAGE, (address + max(size, 1) - 1) // PAGE
        if name not in seen and any(page * PAGE in pages for page in range(first, last + 1)):
            seen.add(name)
            run.append(name)
    if args.adding:
        earlier = pathlib.Path(args.adding).read_text().split()
        known = set(earlier)
        run = earlier + [name for name in run if name not in known]
    with open(args.out, "w") as out:
        out.writelines(name + "\n" for name in run)
    if args.shuffled:
        with open(args.shuffled, "w") as out:
            out.writelines(name + "\n" for name in sorted(run, key=lambda name: hashlib.sha1(name.encode()).digest()))
    print(f"hot_code: {len(pages)} pages ({len(pages) * PAGE / 1048576:.1f} MiB) of code ran; {len(run)} functions on them",
          file=sys.stderr)


if __name__ == "__main__":
    main()
