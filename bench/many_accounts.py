#!/usr/bin/env python3
"""Start-up time and memory of the release proxy with many configured accounts.

    many_accounts.py --sim BIN --proxy BIN --work DIR [--accounts 1000] [--starts 5]

1. Writes a simulator config with N accounts and starts the simulator (system clock).
2. Writes a proxy config with N [[accounts]] (by username, base_url at the simulator).
3. Start-up: spawns the proxy `--starts` times (RUST_LOG unset: the default logging, stderr to
   a file), each time on a port picked just before; from just before the spawn until the first
   `GET /health` that answers 200, a loop polls every millisecond: connect (refused while
   nothing listens), send the request, read the status line. The figure includes fork/exec and
   is resolved to about 1 ms. All but the last process are stopped.
4. RSS (VmRSS of /proc/PID/status) of the last one before any read (1 s after it answered),
   then every account is asked once (`/readings/current?account=...`, 16 at a time; each cold
   request waits for the account's feed to log in and read its day), and RSS again once all
   answered 200, and after 2 s more.

Prints one JSON object on stdout.
"""

import argparse
import concurrent.futures
import http.client
import json
import os
import socket
import statistics
import subprocess
import threading
import time

from benchproc import env_without_rust_log, free_port, rss_kb, start_simulator, stop, write_private

PASSWORD = "bench-password-1234"


def account_id(i):
    return f"00000000-0000-4000-8000-{i + 1:012d}"


def write_configs(work, n):
    sim = [f'[[accounts]]\nusername = "user{i:04d}@example.com"\n'
           f'account_id = "{account_id(i)}"\npassword = "{PASSWORD}"\nutc_offset_minutes = -240\n'
           for i in range(n)]
    return write_private(os.path.join(work, "sim-many.toml"), "\n".join(sim))


def write_proxy_config(work, n, sim_url):
    lines = [f'[[accounts]]\nname = "a{i:04d}"\nusername = "user{i:04d}@example.com"\n'
             f'password = "{PASSWORD}"\nbase_url = "{sim_url}"\n' for i in range(n)]
    return write_private(os.path.join(work, "proxy-many.toml"), "\n".join(lines))


def health_ok(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
            s.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            return s.recv(64).startswith(b"HTTP/1.1 200")
    except OSError:
        return False


def spawn_and_time(binary, config, port, stderr_path):
    err = open(stderr_path, "w")
    started = time.perf_counter()
    proc = subprocess.Popen([binary, "--config", config, "--listen", f"127.0.0.1:{port}"],
                            stdout=subprocess.DEVNULL, stderr=err, env=env_without_rust_log())
    while not health_ok(port):
        if proc.poll() is not None:
            raise SystemExit(f"the proxy exited with {proc.returncode}; see {stderr_path}")
        if time.perf_counter() - started > 30:
            proc.kill()
            raise SystemExit("the proxy did not answer /health within 30 s")
        time.sleep(0.001)
    return proc, (time.perf_counter() - started) * 1000


_local = threading.local()


def ask(port, path):
    conn = getattr(_local, "conn", None)
    if conn is None:
        conn = _local.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        return response.status
    except (OSError, http.client.HTTPException) as e:
        _local.conn = None
        return f"error: {e}"


def get_json(url):
    host, rest = url.split("//", 1)[1].split("/", 1)
    conn = http.client.HTTPConnection(host, timeout=30)
    conn.request("GET", "/" + rest)
    return json.loads(conn.getresponse().read())


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sim", required=True)
    parser.add_argument("--proxy", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("--accounts", type=int, default=1000)
    parser.add_argument("--starts", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()

    sim_config = write_configs(args.work, args.accounts)
    sim, sim_url = start_simulator(args.sim, args.work, "many", ["--config", sim_config])
    proxy = None
    try:
        config = write_proxy_config(args.work, args.accounts, sim_url)
        startups = []
        for i in range(args.starts):
            port = free_port()
            proxy, ms = spawn_and_time(args.proxy, config, port,
                                       os.path.join(args.work, f"proxy-many-{i}.err"))
            startups.append(ms)
            if i + 1 < args.starts:
                proxy.terminate()
                proxy.wait()
        time.sleep(1)
        rss_before = rss_kb(proxy.pid)

        names = [f"a{i:04d}" for i in range(args.accounts)]
        asked = time.perf_counter()
        with concurrent.futures.ThreadPoolExecutor(args.concurrency) as pool:
            statuses = list(pool.map(
                lambda n: ask(port, f"/readings/current?account={n}"), names))
        asked_s = time.perf_counter() - asked
        rss_after = rss_kb(proxy.pid)
        time.sleep(2)
        rss_settled = rss_kb(proxy.pid)
        hwm = rss_kb(proxy.pid, "VmHWM")
        views = get_json(f"http://127.0.0.1:{port}/accounts")
        calls = get_json(sim_url.split("/ShareWebServices")[0] + "/simulator/calls")
        failures = [(n, s) for n, s in zip(names, statuses) if s != 200]
        print(json.dumps({
            "accounts": args.accounts,
            "startup_ms": startups,
            "startup_median_ms": statistics.median(startups),
            "startup_max_ms": max(startups),
            "rss_before_kb": rss_before,
            "rss_after_kb": rss_after,
            "rss_settled_kb": rss_settled,
            "hwm_kb": hwm,
            "answered_200": len(names) - len(failures),
            "failures": failures[:5],
            "ask_all_seconds": round(asked_s, 2),
            "accounts_with_reads": sum(1 for v in views if v["reads"] >= 1),
            "accounts_with_one_login": sum(1 for v in views if v["logins"] == 1),
            "max_logins": max(v["logins"] for v in views),
            "share_calls": calls,
        }))
    finally:
        stop(proxy)
        stop(sim)


if __name__ == "__main__":
    main()
