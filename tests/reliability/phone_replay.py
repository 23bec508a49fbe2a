"""A phone that replays the PWA's sync protocol over real HTTP (docs/sync-protocol.md).

It follows static/pwa/js/sync/engine.js and api.js step by step: upload each queued report's
photos by hash (PUT /api/v1/photos/{sha256}), then send the reports in batches of 50 with the
change cursor (POST /api/v1/sync), forget a report only when the server acknowledged it
(created, already_synced, linked), upload again what the server says is missing, keep
conflicts and rejections aside with their reason, and after a network error or a 5xx wait a
capped, jittered backoff and start the run again. Shared by tests/reliability and bench/load.py.
"""
from __future__ import annotations

import hashlib
import io
import random
import time
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import numpy as np
import requests
from PIL import Image

ACKNOWLEDGED = {"created", "already_synced", "linked"}
RETRYABLE = {408, 425, 429}
BATCH = 50
COUNTY_SEAT = (29.975, 119.95)  # app/seed.py


class RetryLater(Exception):
    """The network or the server could not answer; the whole run backs off."""


class Refused(Exception):
    """A 4xx that retrying will not change."""

    def __init__(self, status: int, code: str):
        super().__init__(f"HTTP {status} {code}")
        self.status, self.code = status, code


class NeedsLogin(Exception):
    """401: the device token is not accepted."""


# observe(endpoint, seconds, outcome): outcome is the HTTP status, "unreadable <status>" for an answer cut short, or
# the exception's class name.
Observer = Callable[[str, float, "int | str"], None]


class Phone:
    """One device's outbox and its sync engine."""

    def __init__(self, base_url: str, token: str, *, device_id: str, seed: int, keep_alive: bool = False,
                 timeout: tuple[float, float] = (5, 60), backoff_base_s: float = 0.05, backoff_cap_s: float = 1.0,
                 observe: Observer | None = None):
        self.base_url, self.device_id = base_url, device_id
        self.session = requests.Session()
        self.session.headers.update({"Authorization": f"Bearer {token}", "Accept": "application/json"})
        if not keep_alive:
            self.session.headers["Connection"] = "close"  # one exchange per connection: a cut is one exchange
        self.timeout = timeout
        self.rng = random.Random(seed)
        self.backoff_base_s, self.backoff_cap_s = backoff_base_s, backoff_cap_s
        self.observe = observe
        self.outbox: dict[str, dict] = {}  # client_id → report as sent on the wire
        self.photos: dict[str, bytes] = {}
        self.uploaded: set[str] = set()
        self.acknowledged: dict[str, tuple[str, int]] = {}  # client_id → (status, ticket_id)
        self.attention: dict[str, dict] = {}  # client_id → the server's result or refusal
        self.cursor = 0
        self.sending: str | None = None  # the endpoint of the request in flight, if any
        self.runs = self.failed_runs = 0
        self.errors: Counter[str] = Counter()  # what made runs back off

    def capture(self, report: dict, photos: list[bytes]) -> None:
        """Queue a report with its photos, as the capture screen does (photos are listed by hash)."""
        hashes = [hashlib.sha256(p).hexdigest() for p in photos]
        self.photos.update(zip(hashes, photos, strict=True))
        self.outbox[report["client_id"]] = {**report, "photos": hashes}

    def waiting(self) -> list[str]:
        return [cid for cid in self.outbox if cid not in self.attention]

    def sync_until_done(self, deadline: float) -> None:
        """Run syncs, backing off after failures, until nothing waits; TimeoutError at `deadline`."""
        failures = 0
        while self.waiting():
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.device_id}: {len(self.waiting())} reports still queued")
            try:
                self.run()
                failures = 0
            except RetryLater as exc:
                self.failed_runs += 1
                self.errors[str(exc)] += 1
                failures += 1
                time.sleep(self.rng.random() * min(self.backoff_cap_s, self.backoff_base_s * 2 ** failures))

    def run(self) -> None:
        """One sync run: photos first, then the reports whose photos are all on the server."""
        self.runs += 1
        ready = []
        for client_id in self.waiting():
            if self._upload_photos(client_id):
                ready.append(client_id)
        more = True
        while more:
            chunk, ready = ready[:BATCH], ready[BATCH:]
            answer = self._call("POST /api/v1/sync", "POST", "/api/v1/sync", json={
                "device_id": self.device_id, "cursor": self.cursor,
                "sent_at": datetime.now(UTC).isoformat(),
                "reports": [self.outbox[cid] for cid in chunk], "actions": [],
            })
            for result in answer["results"]:
                self._apply(result)
            self.cursor = answer["cursor"]
            more = answer["more"] or bool(ready)

    def _upload_photos(self, client_id: str) -> bool:
        for sha256 in self.outbox[client_id]["photos"]:
            if sha256 in self.uploaded:
                continue
            try:
                self._call("PUT /api/v1/photos", "PUT", f"/api/v1/photos/{sha256}", data=self.photos[sha256],
                           headers={"Content-Type": "image/jpeg"})
            except Refused as exc:
                self.attention[client_id] = {"status": "photo_refused", "code": exc.code}
                return False
            self.uploaded.add(sha256)
        return True

    def _apply(self, result: dict) -> None:
        client_id, status = result["client_id"], result["status"]
        if status in ACKNOWLEDGED:
            self.acknowledged[client_id] = (status, result["ticket_id"])
            self.outbox.pop(client_id, None)
        elif status == "missing_photos":
            self.uploaded.difference_update(result["missing"])  # upload them again next run
        else:
            self.attention[client_id] = result

    def _call(self, endpoint: str, method: str, path: str, **kwargs) -> dict:
        started = time.perf_counter()
        outcome: int | str = "?"
        self.sending = endpoint
        try:
            response = self.session.request(method, self.base_url + path, timeout=self.timeout, **kwargs)
            outcome = response.status_code
            data = response.json()
        except requests.RequestException as exc:
            raise RetryLater(type(exc).__name__) from None
        except ValueError:
            # A status line but no readable body: the network cut the answer inside its headers or body
            # (every answer of the API is JSON, errors too). Not a server error: the status may be a `busy`.
            outcome = f"unreadable {outcome}"
            raise RetryLater(outcome) from None
        finally:
            self.sending = None
            if self.observe:
                self.observe(endpoint, time.perf_counter() - started, outcome)
        if response.ok:
            return data
        if response.status_code == 401:
            raise NeedsLogin(data)
        if response.status_code == 503 and (data.get("error") or {}).get("code") == "busy":
            raise RetryLater("busy")  # the server's own back-pressure (a full thumbnail backlog), not a failure
        if response.status_code >= 500 or response.status_code in RETRYABLE:
            raise RetryLater(str(response.status_code))
        raise Refused(response.status_code, (data.get("error") or {}).get("code", "?"))


def small_jpeg(seed: int, size: tuple[int, int] = (160, 120)) -> bytes:
    """A small JPEG of blocky noise, different for every seed (so every photo has its own hash)."""
    rng = np.random.default_rng(seed)
    blocks = rng.integers(0, 256, (max(1, size[1] // 8), max(1, size[0] // 8), 3), dtype=np.uint8)
    out = io.BytesIO()
    Image.fromarray(blocks).resize(size, Image.Resampling.BILINEAR).save(out, "JPEG", quality=85)
    return out.getvalue()


def grid_point(index: int, columns: int = 100, step_deg: float = 0.0005) -> tuple[float, float]:
    """The `index`-th point of a grid around the county seat, about 50 m apart: never repeats (30 m)."""
    row, column = divmod(index, columns)
    return (COUNTY_SEAT[0] - 0.02 + row * step_deg, COUNTY_SEAT[1] - 0.025 + column * step_deg)


def report_body(lat: float, lon: float, *, category_code: str = "09009", description: str = "") -> dict:
    """A report as the capture screen queues it (photos are added by Phone.capture)."""
    return {
        "client_id": str(uuid.uuid4()), "category_code": category_code, "description": description,
        "lat": lat, "lon": lon, "accuracy_m": 8.0, "location_source": "device",
        "captured_at": (datetime.now(UTC) - timedelta(minutes=3)).isoformat(), "address": "",
    }
