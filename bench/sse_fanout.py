#!/usr/bin/env python3
"""Server-Sent Events at scale: the memory of idle subscribers, and the fan-out of a reading.

    sse_fanout.py --sim BIN --proxy BIN --scaled-proxy BIN --work DIR
                  [--subscribers 1000] [--speed 60] [--readings 5] [--skip-memory|--skip-fanout]

N streams of `GET /readings/stream?account=demo` (the simulator's built-in account), held
open by this one process: asyncio, raw non-blocking sockets, no HTTP library.

1. Memory: the release `dexcom-share-proxy`, system clock, default logging, [push]
   max_streams = N + 100. Warm-up: one `/readings/current` and one stream, kept open, so the
   account's feed, its day and the stream code are in the baseline. RSS (VmRSS) then; N
   streams are opened (100 at a time) and each waits for its first `reading` and `status`
   events; RSS 2 s later, and once every stream has had a `: keep-alive` since (15 s: every
   connection has written again). Per subscriber = (RSS after that - baseline) / N.
   Then the N are closed; once the proxy has closed their sockets (it notices a hang-up only
   by writing: up to two keep-alives), RSS again, and N new streams show whether the memory
   is reused. For attribution, a second fresh proxy holds N plain idle keep-alive
   connections (one `/health` answered on each): what any connection costs.
2. Fan-out: `scaled_proxy` (the same service on a clock `--speed` times real time) and the
   simulator at the same speed: a new reading every 300/speed s. Once the N streams have
   their first events, for each of `--readings` new readings:
   - arrival: each socket has SO_TIMESTAMPNS on, so every recvmsg carries the kernel's
     time (CLOCK_REALTIME) for the last bytes it returns; on loopback that is stamped in the
     proxy's own write. The arrival of a reading is the stamp of the read that brings the
     event (one that also brought later bytes, a keep-alive say, has their stamp: counted
     as unstamped and left out): the client's own speed does not enter it;
   - spread: last arrival - first arrival, over the N streams;
   - publish to last: last arrival - when this loop woke with the proxy's debug line
     `account demo: incremental read ...: newest <time>` (its stderr is piped into the same
     loop; the feed logs the line just before it publishes the snapshot to the streams, and
     the client is idle then: seen within a fraction of a millisecond);
   - seen spread: the same spread by when the loop woke with the bytes (what a Python client
     would see), and the client's own work in the window (longest wake-up, share busy).
   This is done twice on the same streams: first with the client reading every socket as
   soon as it is readable ("eager", like a browser), then for as many readings again with
   the client reading all sockets only twice a second ("quiet"): the kernel keeps the bytes
   and their stamps, and the client no longer competes with the proxy for the two CPUs
   during the fan-out. The difference is the client's share. Per mode, the share of the
   machine's CPU time that other processes took meanwhile (/proc/stat less the proxy, the
   simulator and this client) and steal: on a shared machine a neighbour's build shows in
   the fan-out at once.

Prints one JSON object on stdout. Needs Linux (/proc, SO_TIMESTAMPNS, epoll).
"""

import argparse
import asyncio
import contextlib
import datetime
import http.client
import json
import os
import re
import resource
import selectors
import socket
import statistics
import struct
import subprocess
import time

from benchproc import env_without_rust_log, free_port, rss_kb, start_simulator, stop, write_private

ACCOUNT = "demo"  # the simulator's built-in account when it runs without a config
USERNAME = "demo@example.com"
PASSWORD = "demo-password"
KEEP_ALIVE_SECONDS = 15  # the service's default push.keep_alive_seconds
OPEN_AT_ONCE = 100
# The feed's debug line for a successful read, with the newest reading it holds after it.
READ_LINE = re.compile(
    rb"dexcom_share_proxy::feed::refresh\] account \S+: .* read \(.*newest (\S+)$")


# --- processes -----------------------------------------------------------------------------

def raise_fd_limit(needed):
    """This process holds N client sockets, the proxy (which inherits the limit) N more."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    unlimited = resource.RLIM_INFINITY
    if hard != unlimited and hard < needed:
        raise SystemExit(f"sse_fanout: needs {needed} open files, the hard limit is {hard} "
                         f"(raise it: ulimit -Hn, or fewer --subscribers)")
    if soft != unlimited and soft < needed:
        resource.setrlimit(resource.RLIMIT_NOFILE, (needed if hard == unlimited else hard, hard))


def write_proxy_config(work, sim_url, max_streams):
    return write_private(os.path.join(work, "proxy-sse.toml"),
                         f'[[accounts]]\nname = "{ACCOUNT}"\nusername = "{USERNAME}"\n'
                         f'password = "{PASSWORD}"\nbase_url = "{sim_url}"\n\n'
                         f'[push]\nmax_streams = {max_streams}\n')


def get(port, path):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def start_proxy(command, port, stderr, env):
    proc = subprocess.Popen(command + ["--listen", f"127.0.0.1:{port}"],
                            stdout=subprocess.DEVNULL, stderr=stderr, env=env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"sse_fanout: the proxy exited with {proc.returncode}")
        try:
            if get(port, "/health")[0] == 200:
                return proc
        except OSError:
            pass
        time.sleep(0.01)
    proc.kill()
    raise SystemExit("sse_fanout: the proxy did not answer /health within 30 s")


def open_sockets(pid):
    """Sockets the process holds open (its listener, the feed's, the streams')."""
    fds = f"/proc/{pid}/fd"
    count = 0
    for fd in os.listdir(fds):
        try:
            count += os.readlink(os.path.join(fds, fd)).startswith("socket:")
        except OSError:
            pass  # closed meanwhile
    return count


def cpu_ticks(pids):
    """Machine-wide (busy, steal, all) ticks of /proc/stat, and the ticks `pids` used."""
    with open("/proc/stat") as f:
        user, nice, system, idle, iowait, irq, softirq, steal = map(int, f.readline().split()[1:9])
    ours = 0
    for pid in pids:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        ours += int(fields[11]) + int(fields[12])  # utime, stime
    busy = user + nice + system + irq + softirq
    return busy, steal, busy + idle + iowait + steal, ours


def others_share(before, after):
    """The share of the machine's CPU time that went to processes other than `pids` (another
    job on this shared VM), and to steal (the hypervisor's other guests), between two
    cpu_ticks samples: the noise under a figure measured meanwhile."""
    busy, steal, total, ours = (b - a for a, b in zip(before, after))
    if total <= 0:
        return None, None
    return round(max(busy - ours, 0) / total, 3), round(steal / total, 3)


# --- the client ----------------------------------------------------------------------------

# Linux's SO_TIMESTAMPNS (the socket module does not name it): recvmsg then carries the time
# (CLOCK_REALTIME) the kernel queued the last bytes it returns. On loopback that is in the
# sender's write, so a receipt does not wait for this client to get round to the socket.
SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)
ANCILLARY = socket.CMSG_SPACE(16)  # one struct timespec


class StampingSelector(selectors.EpollSelector):
    """An epoll selector that notes when each wait returned and when the loop came back.

    `woke_at` (time.time(), comparable with the kernel's stamps) is when the loop saw what
    it handles now: the log line's stamp, and the time a Python client would have seen an
    event. `batches` is the client's own work: (woke, back, ready sockets) per wake-up.
    """

    def __init__(self):
        super().__init__()
        self.woke_at = time.time()
        self.ready = 0
        self.batches = []

    def select(self, timeout=None):
        self.batches.append((self.woke_at, time.time(), self.ready))
        events = super().select(timeout)
        self.woke_at = time.time()
        self.ready = len(events)
        return events


class Tally:
    """Per reading id, how many streams have it; shared so that waiting is cheap."""

    def __init__(self):
        self.counts = {}

    def add(self, reading_id):
        self.counts[reading_id] = self.counts.get(reading_id, 0) + 1


def kernel_time(ancillary):
    for level, kind, data in ancillary:
        if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS and len(data) >= 16:
            seconds, nanoseconds = struct.unpack("qq", data[:16])
            return seconds + nanoseconds / 1e9
    return None


class Stream:
    """One subscriber on a raw non-blocking socket. Parses only what the bench needs: the
    status line, each `event: reading` with its `id:` (stamped), and whether a `status`
    event and a keep-alive have come. Anything else (the JSON data) is skipped unparsed.
    `on_readable` reads once per wake-up, as asyncio's own transports do; `drain` reads
    everything waiting (the quiet client)."""

    MARK = b"event: reading\nid: "
    # Longer than MARK plus an epoch-ms id and its newline: an event cut between two reads
    # is found again in this tail.
    TAIL = 48

    def __init__(self, sock, selector, tally):
        self.sock = sock
        self.selector = selector
        self.tally = tally
        self.http_status = None
        # id -> (arrived: the kernel's stamp, or None when it is not the event's; seen: the
        # loop's wake-up)
        self.readings = {}
        self.got_status = False
        self.keep_alive_at = None
        self.closed = False
        self.tail = b""

    def on_readable(self):
        self.read_once()

    def drain(self):
        while self.read_once():
            pass

    def read_once(self):
        """One recvmsg; False when nothing was waiting or the stream ended."""
        try:
            data, ancillary, _, _ = self.sock.recvmsg(65536, ANCILLARY)
        except BlockingIOError:
            return False
        except OSError:
            data = b""
        if not data:
            self.close()
            return False
        seen = self.selector.woke_at
        self.parse(data, kernel_time(ancillary) or seen, seen)
        return True

    def parse(self, data, arrived, seen):
        buf = self.tail + data if self.tail else data
        if self.http_status is None and buf.startswith(b"HTTP/1.1 "):
            self.http_status = int(buf[9:12])
        pos = 0
        while (i := buf.find(self.MARK, pos)) >= 0:
            end = buf.find(b"\n", i + len(self.MARK))
            if end < 0:
                break
            reading_id = int(buf[i + len(self.MARK):end])
            if reading_id not in self.readings:
                # The kernel's stamp is that of the last bytes read: the event's only if
                # nothing but the chunk's CRLF follows it (not a keep-alive sent later).
                event_end = buf.find(b"\n\n", end)
                alone = event_end >= 0 and not buf[event_end + 2:].strip(b"\r\n")
                self.readings[reading_id] = (arrived if alone else None, seen)
                self.tally.add(reading_id)
            pos = end
        if b"event: status\n" in buf:
            self.got_status = True
        if b": keep-alive\n" in buf:
            self.keep_alive_at = seen
        self.tail = buf[max(pos, len(buf) - self.TAIL):]

    def pause(self):
        """Stops reading as bytes come (the kernel keeps them, with their stamps)."""
        if not self.closed:
            asyncio.get_running_loop().remove_reader(self.sock.fileno())

    def close(self):
        if not self.closed:
            self.closed = True
            asyncio.get_running_loop().remove_reader(self.sock.fileno())
            self.sock.close()

    def first_events(self):
        return bool(self.readings) and self.got_status


class LogWatch(asyncio.Protocol):
    """The proxy's stderr: copied to a file, and the wake-up that brought each read's debug
    line noted by the newest reading it names (epoch ms, the `id` of its event)."""

    def __init__(self, selector, path):
        self.selector = selector
        self.file = open(path, "wb")
        self.partial = b""
        self.published = {}  # newest reading id -> first wake-up that showed it

    def data_received(self, data):
        now = self.selector.woke_at
        self.file.write(data)
        lines = (self.partial + data).split(b"\n")
        self.partial = lines.pop()
        for line in lines:
            match = READ_LINE.search(line)
            if match:
                newest = datetime.datetime.fromisoformat(match.group(1).decode())
                self.published.setdefault(round(newest.timestamp() * 1000), now)

    def connection_lost(self, exc):
        self.file.close()


REQUEST = (f"GET /readings/stream?account={ACCOUNT} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
           f"Accept: text/event-stream\r\n\r\n").encode()


async def connect(port, selector, tally):
    loop = asyncio.get_running_loop()
    sock = socket.socket()
    sock.setblocking(False)
    sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    await loop.sock_connect(sock, ("127.0.0.1", port))
    await loop.sock_sendall(sock, REQUEST)
    stream = Stream(sock, selector, tally)
    loop.add_reader(sock.fileno(), stream.on_readable)
    return stream


async def open_streams(port, n, selector, tally):
    streams = []
    for start in range(0, n, OPEN_AT_ONCE):
        batch = min(OPEN_AT_ONCE, n - start)
        streams += await asyncio.gather(*(connect(port, selector, tally) for _ in range(batch)))
    return streams


async def wait_until(condition, timeout, what, every=0.05):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"sse_fanout: timed out waiting for {what}")
        await asyncio.sleep(every)


async def first_events_of(streams):
    await wait_until(lambda: all(s.first_events() or s.closed for s in streams), 60,
                     "the first events of every stream")


def close_all(streams):
    for stream in streams:
        stream.close()


def not_ok(streams):
    return [s.http_status for s in streams if s.http_status != 200][:5]


# --- part 1: memory ------------------------------------------------------------------------

@contextlib.contextmanager
def release_proxy(args, name):
    """The release proxy, at its default logging, in front of a fresh simulator on the system
    clock: what the memory figures are measured on. Yields (proxy process, port)."""
    sim, sim_url = start_simulator(args.sim, args.work, "sse-1")
    proxy = None
    try:
        config = write_proxy_config(args.work, sim_url, args.subscribers + 100)
        port = free_port()
        with open(os.path.join(args.work, f"proxy-sse-{name}.err"), "w") as err:
            proxy = start_proxy([args.proxy, "--config", config], port, err,
                                env_without_rust_log())
        yield proxy, port
    finally:
        stop(proxy)
        stop(sim)


async def measure_memory(args, selector):
    with release_proxy(args, "memory") as (proxy, port):
        figures = await memory_with(proxy.pid, port, args.subscribers, selector)
    figures["plain_connection_kb"] = await plain_connection_kb(args, selector)
    return figures


async def plain_connection_kb(args, selector):
    """RSS per idle HTTP/1.1 keep-alive connection that has had one `/health` answered, on a
    fresh proxy warmed as for the streams: what any connection costs, for attribution.
    Measured within actix's 5 s keep-alive, before it closes them."""
    with release_proxy(args, "plain") as (proxy, port):
        warm = await warm_up(port, selector)
        before = rss_kb(proxy.pid)
        socks = []
        for start in range(0, args.subscribers, OPEN_AT_ONCE):
            batch = min(OPEN_AT_ONCE, args.subscribers - start)
            socks += await asyncio.gather(*(plain_connection(port) for _ in range(batch)))
        await asyncio.sleep(0.5)
        after = rss_kb(proxy.pid)
        for sock in socks:
            sock.close()
        close_all(warm)
        return round((after - before) / args.subscribers, 2)


async def plain_connection(port):
    loop = asyncio.get_running_loop()
    sock = socket.socket()
    sock.setblocking(False)
    await loop.sock_connect(sock, ("127.0.0.1", port))
    await loop.sock_sendall(sock, b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    head = await loop.sock_recv(sock, 4096)
    if not head.startswith(b"HTTP/1.1 200"):
        raise SystemExit(f"sse_fanout: /health answered {head[:40]!r}")
    return sock


async def warm_up(port, selector):
    """The account's feed, its day and one stream, kept open: the baseline holds them, and
    waits for no stream to be let go (see `released`)."""
    status, _ = get(port, f"/readings/current?account={ACCOUNT}")
    if status != 200:
        raise SystemExit(f"sse_fanout: /readings/current answered {status}")
    warm = await open_streams(port, 1, selector, Tally())
    await first_events_of(warm)
    await asyncio.sleep(1)
    return warm


async def keep_alive_round(streams):
    """Until every stream has had a keep-alive since now: each stream's timer runs from its
    own connect, so this is at most one period."""
    since = time.time()
    await wait_until(lambda: all(s.closed or (s.keep_alive_at or 0) > since for s in streams),
                     KEEP_ALIVE_SECONDS + 10, "a keep-alive on every stream", every=0.2)


async def released(pid, sockets_before):
    """Seconds until the proxy has closed the connections of the streams the client closed
    (its socket count back to what it was). It notices a hang-up only by writing to the
    stream: the first write after it still succeeds (the client's end answers with a reset),
    the next fails; with nothing else to send, that is the second keep-alive."""
    started = time.monotonic()
    await wait_until(lambda: open_sockets(pid) <= sockets_before, 2 * KEEP_ALIVE_SECONDS + 10,
                     "the proxy to close the streams the client closed", every=0.2)
    return round(time.monotonic() - started, 1)


async def memory_with(pid, port, n, selector):
    warm = await warm_up(port, selector)
    rss_before = rss_kb(pid)
    sockets_before = open_sockets(pid)
    opened = time.monotonic()
    streams = await open_streams(port, n, selector, Tally())
    await first_events_of(streams)
    first_events_s = time.monotonic() - opened
    await asyncio.sleep(2)
    rss_settled = rss_kb(pid)
    await keep_alive_round(streams)
    await asyncio.sleep(1)
    rss_kept = rss_kb(pid)
    still_open = sum(1 for s in streams if not s.closed)
    close_all(streams)
    release_s = await released(pid, sockets_before)
    await asyncio.sleep(1)
    rss_released = rss_kb(pid)
    # Freed memory often stays with the allocator: N more streams tell whether it is reused
    # (RSS about flat) or lost (RSS up by as much again).
    again = await open_streams(port, n, selector, Tally())
    await first_events_of(again)
    await asyncio.sleep(2)
    rss_again = rss_kb(pid)
    close_all(again + warm)
    return {
        "rss_before_kb": rss_before,
        "rss_settled_kb": rss_settled,
        "rss_after_keep_alive_kb": rss_kept,
        "rss_released_kb": rss_released,
        "rss_second_round_kb": rss_again,
        "hwm_kb": rss_kb(pid, "VmHWM"),
        "per_subscriber_kb": round((rss_kept - rss_before) / n, 2),
        "per_subscriber_settled_kb": round((rss_settled - rss_before) / n, 2),
        "answered_200": sum(1 for s in streams if s.http_status == 200),
        "not_200": not_ok(streams),
        "open_until_the_end": still_open,
        "first_events_seconds": round(first_events_s, 2),
        "release_seconds": release_s,
        "second_round_answered_200": sum(1 for s in again if s.http_status == 200),
    }


# --- part 2: fan-out -----------------------------------------------------------------------

async def measure_fanout(args, selector):
    sim, sim_url = start_simulator(args.sim, args.work, f"sse-{args.speed:g}",
                                   ["--speed", str(args.speed)])
    proxy = None
    try:
        config = write_proxy_config(args.work, sim_url, args.subscribers + 100)
        port = free_port()
        # The service's default logging, plus the feed's one debug line per read.
        env = dict(os.environ, RUST_LOG="info,dexcom_share_proxy::feed::refresh=debug")
        proxy = start_proxy([args.scaled_proxy, "--config", config, "--speed", str(args.speed)],
                            port, subprocess.PIPE, env)
        loop = asyncio.get_running_loop()
        _, log = await loop.connect_read_pipe(
            lambda: LogWatch(selector, os.path.join(args.work, "proxy-sse-fanout.err")),
            proxy.stderr)
        return await fanout_with(proxy.pid, sim.pid, port, args, selector, log)
    finally:
        stop(proxy)
        stop(sim)


async def fanout_with(pid, sim_pid, port, args, selector, log):
    tally = Tally()
    streams = await open_streams(port, args.subscribers, selector, tally)
    await first_events_of(streams)
    interval = 300 / args.speed
    pids = [pid, sim_pid, os.getpid()]
    samples = [cpu_ticks(pids)]
    eager = await new_readings(streams, tally, args.readings, interval)
    samples.append(cpu_ticks(pids))
    rss_streams = rss_kb(pid)
    # The quiet client: nothing read as it comes, every socket drained twice a second (a
    # sweep costs ~2 ms; one that falls in a fan-out shows in client_busy_share).
    for stream in streams:
        stream.pause()
    sweeper = asyncio.create_task(sweep(streams, 0.5))
    quiet = await new_readings(streams, tally, args.readings, interval)
    samples.append(cpu_ticks(pids))
    sweeper.cancel()
    close_all(streams)
    figures = {
        "speed": args.speed,
        "reading_every_seconds": interval,
        "answered_200": sum(1 for s in streams if s.http_status == 200),
        "not_200": not_ok(streams),
        "rss_with_streams_kb": rss_streams,
    }
    for i, (name, ids) in enumerate((("eager", eager), ("quiet", quiet))):
        readings = [fanout_of(rid, streams, log.published.get(rid), selector.batches)
                    for rid in ids]
        if name == "quiet":
            # Seen by sweeps twice a second: says nothing about the fan-out.
            for reading in readings:
                reading["seen_spread_ms"] = None
        figures[name] = summarise(readings)
        others, steal = others_share(samples[i], samples[i + 1])
        figures[name]["others_cpu_share"] = others
        figures[name]["steal_share"] = steal
    return figures


async def new_readings(streams, tally, count, interval):
    """The ids of the next `count` readings newer than any a stream has yet, once each is
    complete: every stream has it, or 10 s have passed since the first did."""
    known = max(tally.counts)
    n = len(streams)

    def new():
        return sorted(rid for rid in tally.counts if rid > known)[:count]

    def complete(rid):
        if tally.counts[rid] == n:
            return True
        first = min(s.readings[rid][1] for s in streams if rid in s.readings)
        return time.time() - first > 10

    await wait_until(lambda: len(new()) == count and all(map(complete, new())),
                     interval * (count + 3) + 30, f"{count} new readings", every=0.2)
    return new()


async def sweep(streams, every):
    while True:
        await asyncio.sleep(every)
        for stream in streams:
            stream.drain()


def fanout_of(rid, streams, published, batches):
    """One reading's figures: from the kernel's stamps (arrived), from the loop's wake-ups
    (seen), and how busy the client was meanwhile."""
    got = [s.readings[rid] for s in streams if rid in s.readings]
    arrived = sorted(a for a, _ in got if a is not None)
    seen = sorted(s for _, s in got)
    if not arrived:
        arrived = [None]
    figures = {
        "id": rid,
        "received": len(got),
        "missing": len(streams) - len(got),
        # Read together with later bytes: no stamp of their own; left out of the figures.
        "unstamped": len(got) - len(arrived) + (arrived[0] is None),
        "seen_spread_ms": ms(seen[-1] - seen[0]),
    }
    first, last = arrived[0], arrived[-1]
    if first is None:
        return figures | dict.fromkeys(
            ("spread_ms", "half_ms", "publish_to_first_ms", "publish_to_last_ms",
             "client_longest_batch_ms", "client_busy_share"))
    # The client's work while the proxy fans out is what competes with it for the CPUs.
    start = published if published is not None else first
    busy = [min(back, last) - max(woke, start)
            for woke, back, _ in batches if back > start and woke < last]
    return figures | {
        "spread_ms": ms(last - first),
        "half_ms": ms(arrived[len(arrived) // 2] - first),
        "publish_to_first_ms": ms(first - published) if published is not None else None,
        "publish_to_last_ms": ms(last - published) if published is not None else None,
        "client_longest_batch_ms": ms(max(busy, default=0)),
        "client_busy_share": round(sum(busy) / (last - start), 2) if last > start else None,
    }


def ms(seconds):
    return round(seconds * 1000, 2)


def summarise(readings):
    """Median and max over the readings of each per-reading figure, and the readings."""
    fields = {}
    for name in ("spread", "publish_to_first", "publish_to_last", "seen_spread",
                 "client_longest_batch"):
        values = [r[name + "_ms"] for r in readings if r[name + "_ms"] is not None]
        fields[name + "_median_ms"] = round(statistics.median(values), 2) if values else None
        fields[name + "_max_ms"] = max(values, default=None)
    shares = [r["client_busy_share"] for r in readings if r["client_busy_share"] is not None]
    fields["client_busy_share_median"] = statistics.median(shares) if shares else None
    fields["published_seen"] = sum(1 for r in readings if r["publish_to_last_ms"] is not None)
    fields["missing"] = sum(r["missing"] for r in readings)
    fields["unstamped"] = sum(r["unstamped"] for r in readings)
    fields["readings"] = readings
    return fields


# --- main ----------------------------------------------------------------------------------

async def run(args, selector):
    result = {"subscribers": args.subscribers}
    if not args.skip_memory:
        result["memory"] = await measure_memory(args, selector)
    if not args.skip_fanout:
        result["fanout"] = await measure_fanout(args, selector)
    return result


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sim", required=True)
    parser.add_argument("--proxy", required=True)
    parser.add_argument("--scaled-proxy", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--speed", type=float, default=60.0)
    parser.add_argument("--readings", type=int, default=5)
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--skip-fanout", action="store_true")
    args = parser.parse_args()
    raise_fd_limit(2 * args.subscribers + 200)
    selector = StampingSelector()
    with asyncio.Runner(loop_factory=lambda: asyncio.SelectorEventLoop(selector)) as runner:
        print(json.dumps(runner.run(run(args, selector))))


if __name__ == "__main__":
    main()
