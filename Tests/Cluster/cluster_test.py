"""Two `promptc serve` replicas behind nginx, sharing one PostgreSQL (gateway-contract.md,
Cluster), tried as an operator would:

1. a consumer's rate limit holds across both replicas: a burst spread over both gets exactly
   the limit;
2. a circuit opened on one replica is seen by the other, which stops calling that model;
3. one replica killed with SIGKILL under load loses no usage record of a request it answered,
   and the other keeps answering.

Usage: cluster_test.py PROMPTC POSTGRES_URL. Needs nginx (Debian's package) and psql."""
import concurrent.futures
import http.client
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

PROMPTC, ADMIN_URL = sys.argv[1], sys.argv[2]
WORK = tempfile.mkdtemp(prefix="promptc-cluster-")
FAKE_PORT, LB_PORT = random.randint(20000, 29999), random.randint(30000, 39999)
PORTS = {"a": random.randint(40000, 44999), "b": random.randint(45000, 49999)}
LIMITED_KEY, BULK_KEY = "pc_cluster-limited-key", "pc_cluster-bulk-key"
ANSWER = ('{"id":"chatcmpl-cluster","object":"chat.completion","created":1700000000,"model":"gpt-4o-mini",'
          '"choices":[{"index":0,"message":{"role":"assistant","content":"{\\\\\\"label\\\\\\":\\\\\\"positive\\\\\\",'
          '\\\\\\"score\\\\\\":0.9}"},"finish_reason":"stop"}],"usage":{"prompt_tokens":42,"completion_tokens":9,"total_tokens":51}}')
failures = []


def check(condition, what):
    print(("ok   " if condition else "FAIL ") + what, flush=True)
    if not condition:
        failures.append(what)


def sha256(text):
    import hashlib
    return hashlib.sha256(text.encode()).hexdigest()


def psql(url, sql):
    return subprocess.run(["psql", url, "-tAc", sql], check=True, capture_output=True, text=True).stdout


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as file:
        file.write(text)


def post(port, path, key, request_id=None, timeout=10):
    body = '{"text": "I loved every minute of it."}'
    headers = {"content-type": "application/json", "x-api-key": key}
    if request_id:
        headers["x-request-id"] = request_id
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("POST", path, body, headers)
        response = connection.getresponse()
        response.read()
        return response.status, {name.lower(): value for name, value in response.getheaders()}
    except OSError:
        return -1, {}
    finally:
        connection.close()


def get(port, path):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read().decode()
    except OSError:
        return -1, ""
    finally:
        connection.close()


def eventually(what, condition, seconds=20):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    check(False, what + f" within {seconds} s")
    return False


def start_replica(name, database):
    log = open(os.path.join(WORK, f"replica-{name}.log"), "a")
    process = subprocess.Popen(
        [PROMPTC, "serve", "--routes", os.path.join(WORK, "Generated", "routes.json"), "--config",
         os.path.join(WORK, "promptc.yaml"), "--port", str(PORTS[name]), "--log-level", "warning"],
        cwd=WORK, stdout=log, stderr=log, env=dict(os.environ, CLUSTER_KEY="sk-cluster"))
    eventually(f"replica {name} is ready with the shared database up",
               lambda: json.loads(get(PORTS[name], "/readyz")[1] or "{}").get("shared_database") == "up")
    return process


def main():
    database = f"promptc_cluster_{random.randrange(1 << 48):x}"
    psql(ADMIN_URL, f"CREATE DATABASE {database}")
    parts = urllib.parse.urlsplit(ADMIN_URL)
    url = urllib.parse.urlunsplit(parts._replace(path="/" + database))
    nginx = None
    replicas = {}
    try:
        write(os.path.join(WORK, "nginx.conf"), f"""
worker_processes 1;
error_log {WORK}/nginx.error.log warn;
pid {WORK}/nginx.pid;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {WORK}/body;
    proxy_temp_path {WORK}/proxy;
    server {{
        listen 127.0.0.1:{FAKE_PORT};
        default_type application/json;
        location /ok/ {{ return 200 '{ANSWER}'; }}
        location /down/ {{ return 500 '{{"error":{{"message":"down for the test","type":"server_error"}}}}'; }}
    }}
    upstream replicas {{
        server 127.0.0.1:{PORTS["a"]};
        server 127.0.0.1:{PORTS["b"]};
    }}
    server {{
        listen 127.0.0.1:{LB_PORT};
        location / {{
            proxy_pass http://replicas;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            add_header x-replica $upstream_addr always;
        }}
    }}
}}
""")
        nginx = subprocess.Popen(["nginx", "-p", WORK, "-c", os.path.join(WORK, "nginx.conf"), "-g", "daemon off;"])
        spec = open(os.path.join(os.path.dirname(__file__), "..", "..", "Prompts", "sentiment.yaml")).read()
        models_at = spec.index("models:")
        rest = spec[models_at:].split("\n\n", 1)
        for name, models in (("limited", ["ok/gpt-4o-mini"]), ("flaky", ["down/gpt-4o-mini", "ok/gpt-4o-mini"])):
            text = spec[:models_at] + "models:\n" + "".join(f"  - {m}\n" for m in models) + "\n" + (rest[1] if len(rest) > 1 else "")
            text = text.replace("name: sentiment", f"name: {name}").replace("POST /v1/sentiment", f"POST /v1/{name}")
            write(os.path.join(WORK, "Prompts", f"{name}.yaml"), text)
        write(os.path.join(WORK, "promptc.yaml"), f"""
shared:
  database: {url}
providers:
  ok: {{ api: openai, base_url: "http://127.0.0.1:{FAKE_PORT}/ok/v1", api_key_env: CLUSTER_KEY }}
  down: {{ api: openai, base_url: "http://127.0.0.1:{FAKE_PORT}/down/v1", api_key_env: CLUSTER_KEY }}
circuit_breaker: {{ failures: 3, open_for: 60s }}
consumers:
  - name: limited
    key_sha256: {sha256(LIMITED_KEY)}
    rate_limit: 20/h
  - name: bulk
    key_sha256: {sha256(BULK_KEY)}
""")
        compiled = subprocess.run([PROMPTC, "compile", os.path.join(WORK, "Prompts"), "--config",
                                   os.path.join(WORK, "promptc.yaml"), "--output", os.path.join(WORK, "Generated")],
                                  cwd=WORK, capture_output=True, text=True)
        if compiled.returncode != 0:
            sys.exit(f"compile failed:\n{compiled.stdout}{compiled.stderr}")
        replicas["a"] = start_replica("a", url)
        replicas["b"] = start_replica("b", url)

        # 1. The limit across replicas: 60 at once through nginx, 20 an hour allowed.
        left_in_hour = 3600 - time.time() % 3600
        if left_in_hour < 30:
            time.sleep(left_in_hour + 0.5)
        with concurrent.futures.ThreadPoolExecutor(30) as pool:
            results = list(pool.map(lambda _: post(LB_PORT, "/v1/limited", LIMITED_KEY), range(60)))
        statuses = [status for status, _ in results]
        served_by = {headers.get("x-replica") for _, headers in results}
        check(statuses.count(200) == 20 and statuses.count(429) == 40,
              f"a burst of 60 over both replicas gets exactly the limit of 20 (200: {statuses.count(200)}, 429: {statuses.count(429)})")
        check(len(served_by) == 2, f"both replicas answered the burst ({sorted(map(str, served_by))})")

        # 2. A circuit opened on replica a is seen by replica b.
        for _ in range(3):
            status, headers = post(PORTS["a"], "/v1/flaky", BULK_KEY)
            check(status == 200 and headers.get("x-promptc-model") == "ok/gpt-4o-mini", "replica a falls back from the model that is down")
        eventually("replica b hears that a opened the circuit",
                   lambda: 'promptc_circuit_open{model="down/gpt-4o-mini"} 1' in get(PORTS["b"], "/metrics")[1])
        status, headers = post(PORTS["b"], "/v1/flaky", BULK_KEY)
        check(status == 200 and headers.get("x-promptc-attempts") == "1" and headers.get("x-promptc-model") == "ok/gpt-4o-mini",
              f"replica b skips the model without calling it (attempts {headers.get('x-promptc-attempts')})")

        # 3. Replica a killed with SIGKILL under load.
        answered, after_kill, lock, stop = set(), [], threading.Lock(), threading.Event()
        killed = threading.Event()
        counter = iter(range(10 ** 9))

        def load():
            while not stop.is_set():
                request_id = f"kill-{database}-{next(counter)}"
                was_killed = killed.is_set()
                status, headers = post(LB_PORT, "/v1/limited", BULK_KEY, request_id)
                if status == 200:
                    with lock:
                        answered.add(request_id)
                        if was_killed:
                            after_kill.append(headers.get("x-replica"))

        threads = [threading.Thread(target=load) for _ in range(8)]
        for thread in threads:
            thread.start()
        eventually("300 answers under load", lambda: len(answered) >= 300)
        replicas["a"].send_signal(signal.SIGKILL)
        replicas["a"].wait()
        killed.set()
        eventually("100 more answers after the kill", lambda: len(after_kill) >= 100)
        stop.set()
        for thread in threads:
            thread.join()
        check(all(replica == f"127.0.0.1:{PORTS['b']}" for replica in after_kill) and after_kill,
              f"replica b answered every request after the kill ({len(after_kill)})")
        # Replica a starts again: it writes what its journal held, as the next start does.
        replicas["a"] = start_replica("a", url)
        for name in ("a", "b"):
            replicas[name].send_signal(signal.SIGTERM)
            check(replicas[name].wait(timeout=30) == 0, f"replica {name} stops cleanly")
        recorded = set(psql(url, f"SELECT request_id FROM usage WHERE request_id LIKE 'kill-{database}-%'").split())
        missing = answered - recorded
        check(not missing, f"every one of the {len(answered)} answered requests has its usage record ({len(missing)} missing)")
    finally:
        for process in replicas.values():
            if process.poll() is None:
                process.kill()
        if nginx:
            nginx.terminate()
            nginx.wait()
        subprocess.run(["psql", ADMIN_URL, "-tAc", f"DROP DATABASE IF EXISTS {database} WITH (FORCE)"], capture_output=True)
    if failures:
        print(f"{len(failures)} check(s) failed; logs in {WORK}")
        sys.exit(1)
    subprocess.run(["rm", "-rf", WORK])
    print("cluster test passed")


if __name__ == "__main__":
    main()
