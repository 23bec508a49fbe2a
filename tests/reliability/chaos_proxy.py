"""A loopback TCP proxy that cuts connections at random byte offsets and delays what it forwards.

A toxiproxy in miniature (docs/design.md §9): for every connection it draws, from
one seeded generator, whether to cut it, in which direction (the request on its way up, or the
answer on its way down) and where. The cut offset is a random byte inside the first HTTP message
in that direction (headers plus Content-Length), so a cut lands in the headers or the body, or —
downstream at offset 0 — after the server did all the work but before the client heard a byte.
A cut closes both sides, half of the time with a TCP reset instead of a FIN. Independently,
chunks are delayed by a few milliseconds and split into small slices, as a weak network would.

The client should send one request per connection (`Connection: close`), so that a cut connection
is one interrupted exchange.
"""
from __future__ import annotations

import random
import re
import socket
import struct
import threading
import time
from dataclasses import dataclass

CONTENT_LENGTH = re.compile(rb"\r\ncontent-length:\s*(\d+)", re.IGNORECASE)


@dataclass(frozen=True)
class Plan:
    """What happens to one connection."""

    cut: str | None  # "up", "down" or None
    fraction: float  # where in the first message the cut lands, 0..1
    reset: bool  # RST instead of FIN
    delay_rate: float
    max_delay_s: float
    seed: int  # for this connection's delays and slices


@dataclass
class Stats:
    connections: int = 0
    cut_up: int = 0
    cut_down: int = 0
    delayed_chunks: int = 0
    refused: int = 0  # the upstream (server) was not listening

    @property
    def cut(self) -> int:
        return self.cut_up + self.cut_down


class ChaosProxy:
    """Listen on 127.0.0.1:<port> and forward each connection to 127.0.0.1:`upstream_port`."""

    def __init__(self, upstream_port: int, *, seed: int, cut_rate: float = 0.3, delay_rate: float = 0.1,
                 max_delay_s: float = 0.02):
        self.upstream_port = upstream_port
        self.cut_rate, self.delay_rate, self.max_delay_s = cut_rate, delay_rate, max_delay_s
        self.rng = random.Random(seed)
        self.stats = Stats()
        self._lock = threading.Lock()
        self._closing = False
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self._acceptor = threading.Thread(target=self._accept_loop, name="chaos-proxy", daemon=True)
        self._acceptor.start()

    def close(self) -> None:
        self._closing = True
        _close(self.listener)
        self._acceptor.join(timeout=5)

    def __enter__(self) -> ChaosProxy:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _next_plan(self) -> Plan:
        with self._lock:
            self.stats.connections += 1
            cut = None
            if self.rng.random() < self.cut_rate:
                cut = self.rng.choice(("up", "down"))
            return Plan(cut=cut, fraction=self.rng.random(), reset=self.rng.random() < 0.5,
                        delay_rate=self.delay_rate, max_delay_s=self.max_delay_s, seed=self.rng.getrandbits(32))

    def _accept_loop(self) -> None:
        while not self._closing:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(client, self._next_plan()), daemon=True).start()

    def _handle(self, client: socket.socket, plan: Plan) -> None:
        try:
            server = socket.create_connection(("127.0.0.1", self.upstream_port), timeout=5)
        except OSError:
            with self._lock:
                self.stats.refused += 1
            _close(client, reset=True)  # the server is down: the client sees a reset, as on a real network
            return
        server.settimeout(None)
        connection = _Connection(client, server, plan, self)
        down = threading.Thread(target=connection.pump, args=("down", server, client), daemon=True)
        down.start()
        connection.pump("up", client, server)
        down.join(timeout=120)
        connection.close()

    def _count_cut(self, direction: str) -> None:
        with self._lock:
            if direction == "up":
                self.stats.cut_up += 1
            else:
                self.stats.cut_down += 1

    def _count_delay(self) -> None:
        with self._lock:
            self.stats.delayed_chunks += 1


class _Connection:
    """Both directions of one proxied connection."""

    def __init__(self, client: socket.socket, server: socket.socket, plan: Plan, proxy: ChaosProxy):
        self.client, self.server, self.plan, self.proxy = client, server, plan, proxy
        self.rng = random.Random(plan.seed)
        self.rng_lock = threading.Lock()
        self.cut_done = threading.Event()

    def pump(self, direction: str, src: socket.socket, dst: socket.socket) -> None:
        cutting = self.plan.cut == direction
        head = b""
        cut_at = None  # bytes of this direction that still get through, once the first headers are known
        sent = 0
        try:
            while not self.cut_done.is_set():
                data = src.recv(65536)
                if not data:
                    dst.shutdown(socket.SHUT_WR)  # pass the end of the message on
                    return
                if cutting and cut_at is None:
                    head += data
                    cut_at = _cut_offset(head, self.plan.fraction, direction)
                    if cut_at is None:
                        continue  # headers not complete yet: hold them back
                    data = head
                if cut_at is not None and sent + len(data) > cut_at:
                    self._send(dst, data[:cut_at - sent])
                    self._cut(direction)
                    return
                self._send(dst, data)
                sent += len(data)
        except OSError:
            self.close()  # one side went away: so does the other

    def _send(self, dst: socket.socket, data: bytes) -> None:
        """Forward `data`, sometimes late and in small slices."""
        while data:
            with self.rng_lock:
                delay = self.rng.random() < self.plan.delay_rate
                pause = self.rng.uniform(0, self.plan.max_delay_s)
                size = self.rng.randint(1, 1400) if delay else len(data)
            if delay:
                self.proxy._count_delay()
                time.sleep(pause)
            dst.sendall(data[:size])
            data = data[size:]

    def _cut(self, direction: str) -> None:
        self.cut_done.set()
        self.proxy._count_cut(direction)
        self.close(reset=self.plan.reset)

    def close(self, reset: bool = False) -> None:
        _close(self.client, reset=reset)
        _close(self.server, reset=reset)


def _cut_offset(head: bytes, fraction: float, direction: str) -> int | None:
    """Where to cut the first message (None until its headers are complete).

    Up: a byte from 1 to the message's end minus one (a request cut at 0 was never sent).
    Down: from 0 (the server's whole answer lost) to the end minus one.
    """
    end = head.find(b"\r\n\r\n")
    if end < 0:
        return None
    match = CONTENT_LENGTH.search(head[:end + 2])
    total = end + 4 + (int(match.group(1)) if match else 0)
    low = 1 if direction == "up" else 0
    return low + int(fraction * (total - low))


def _close(sock: socket.socket, *, reset: bool = False) -> None:
    """Close `sock` with a FIN, or a RST; either way wake a thread blocked reading it."""
    try:
        if reset:  # SO_LINGER 0: close() sends RST at once; SHUT_RD only wakes readers, sending nothing
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sock.shutdown(socket.SHUT_RD)
        else:
            sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()
