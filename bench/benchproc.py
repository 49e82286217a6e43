"""Processes and /proc figures shared by the Python benchmarks (many_accounts.py,
sse_fanout.py): starting the simulator, free ports, RSS, stopping, private config files."""

import os
import socket
import subprocess
import time


def start_simulator(binary, work, name, args=()):
    """Starts `share-simulator` on a free loopback port; returns (process, Share base URL).
    Its stdout and stderr go to `sim-<name>.out` / `.err` in `work`."""
    out = open(os.path.join(work, f"sim-{name}.out"), "w+")
    err = open(os.path.join(work, f"sim-{name}.err"), "w")
    proc = subprocess.Popen([binary, "--listen", "127.0.0.1:0", *args], stdout=out, stderr=err)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        out.seek(0)
        for line in out:
            if line.startswith("share-simulator listening on "):
                return proc, line.split(" on ", 1)[1].strip()
        time.sleep(0.01)
    proc.kill()
    raise SystemExit(f"the simulator ({name}) did not start")


def write_private(path, text):
    """Writes a config that holds passwords, readable by its owner only (as the proxy asks)."""
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, 0o600)
    return path


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_kb(pid, key="VmRSS"):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return None


def stop(proc):
    if proc is not None and proc.poll() is None:
        proc.terminate()
        proc.wait()


def env_without_rust_log():
    """The environment, but the proxy at its default logging."""
    return {k: v for k, v in os.environ.items() if k != "RUST_LOG"}
