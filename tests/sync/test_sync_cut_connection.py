"""A sync cut off by the network, then retried: every report exactly once (docs/design.md §9).

A real HTTP server runs on 127.0.0.1; a small TCP proxy between it and the client forwards
only the first N bytes of the request, or swallows the server's answer after the server has
committed. The client then retries the same batch directly.
"""
from __future__ import annotations

import contextlib
import http.client
import json
import random
import socket
import threading

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Report, Ticket
from tests.live_server import live_server
from tests.sync.conftest import report_json, spread


class CutProxy:
    """Forward one TCP connection to `upstream`: at most `request_bytes` of the request, and the
    answer only if `drop_response` is false. Then close both sides, as a dying network would."""

    def __init__(self, upstream_port: int, *, request_bytes: int | None = None, drop_response: bool = False):
        self.upstream_port = upstream_port
        self.request_bytes = request_bytes
        self.drop_response = drop_response
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.forwarded = 0
        self.thread = threading.Thread(target=self._serve_one, daemon=True)
        self.thread.start()

    def _serve_one(self) -> None:
        client, _ = self.listener.accept()
        server = socket.create_connection(("127.0.0.1", self.upstream_port))
        answer = threading.Thread(target=self._answer, args=(server, client), daemon=True)
        answer.start()
        try:
            while self.request_bytes is None or self.forwarded < self.request_bytes:
                budget = 4096 if self.request_bytes is None else min(4096, self.request_bytes - self.forwarded)
                chunk = client.recv(budget)
                if not chunk:
                    break
                server.sendall(chunk)
                self.forwarded += len(chunk)
            if self.request_bytes is not None:
                _close(server, client)  # the cut: mid-request
            answer.join(timeout=30)
        finally:
            _close(server, client)
            self.listener.close()

    def _answer(self, server: socket.socket, client: socket.socket) -> None:
        try:
            while chunk := server.recv(4096):
                if self.drop_response:
                    break  # the server answered (so it committed); the phone never hears it
                client.sendall(chunk)
        except OSError:
            pass
        _close(server, client)


def _close(*sockets: socket.socket) -> None:
    for sock in sockets:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        sock.close()


def _raw_request(token: str, body: bytes) -> bytes:
    head = (f"POST /api/v1/sync HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n")
    return head.encode() + body


def _send_through(proxy: CutProxy, request: bytes) -> bytes:
    """Send the raw request through the proxy; return whatever came back (maybe nothing)."""
    with socket.create_connection(("127.0.0.1", proxy.port), timeout=30) as sock:
        try:
            sock.sendall(request)
            received = b""
            while chunk := sock.recv(4096):
                received += chunk
            return received
        except OSError:
            return b""
        finally:
            proxy.thread.join(timeout=30)


def _post(base_url: str, token: str, body: bytes) -> dict:
    host, port = base_url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=60)
    conn.request("POST", "/api/v1/sync", body=body, headers={
        "Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    resp = conn.getresponse()
    assert resp.status == 200
    return json.loads(resp.read())


def _counts() -> tuple[int, int]:
    """(tickets, reports), read in a transaction that ends at once: on SQLite an open one would
    hold the write lock (BEGIN IMMEDIATE) and stall the live server."""
    try:
        return (db.session.scalar(sa.select(sa.func.count()).select_from(Ticket)),
                db.session.scalar(sa.select(sa.func.count()).select_from(Report)))
    finally:
        db.session.rollback()


@pytest.fixture
def device_token(api, inspector) -> str:
    return api(inspector).token


@pytest.fixture
def batch() -> bytes:
    reports = [report_json(lat=lat, lon=lon, description="路面破损 " * 20) for lat, lon in spread(5)]
    return json.dumps({"device_id": "phone-1", "reports": reports}).encode()


def test_a_request_cut_at_any_byte_stores_nothing_and_the_retry_stores_everything_once(app, device_token, batch):
    request = _raw_request(device_token, batch)
    header_end = request.index(b"\r\n\r\n") + 4
    rng = random.Random(4)
    cuts = [1, header_end - 1, header_end, header_end + 1, len(request) - 1] + \
           [rng.randrange(header_end, len(request)) for _ in range(5)]
    with live_server(app) as base_url:
        port = int(base_url.rsplit(":", 1)[1])
        for cut in cuts:
            proxy = CutProxy(port, request_bytes=cut)
            answer = _send_through(proxy, request)
            assert proxy.forwarded == cut
            assert b"HTTP/1.1 200" not in answer
            assert _counts() == (0, 0), f"cut at byte {cut} of {len(request)} stored something"
        results = _post(base_url, device_token, batch)["results"]
    assert [r["status"] for r in results] == ["created"] * 5
    assert _counts() == (5, 5)


def test_an_answer_lost_after_the_commit_is_answered_again_on_retry(app, device_token, batch):
    with live_server(app) as base_url:
        port = int(base_url.rsplit(":", 1)[1])
        proxy = CutProxy(port, drop_response=True)
        assert _send_through(proxy, _raw_request(device_token, batch)) == b""
        assert _counts() == (5, 5)  # the server did the work; the phone does not know
        retried = _post(base_url, device_token, batch)["results"]
        again = _post(base_url, device_token, batch)["results"]
    assert {r["status"] for r in retried} == {"already_synced"}
    assert [r["ticket_id"] for r in retried] == [r["ticket_id"] for r in again]
    assert len({r["ticket_id"] for r in retried}) == 5
    assert _counts() == (5, 5)
