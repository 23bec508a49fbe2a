"""A local robot for the webhook tests: a threading http.server on 127.0.0.1 (random port) that records
each POST and answers from a script, and checks DingTalk's signature exactly as DingTalk documents it."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    path: str
    query: dict
    body: dict
    signature_ok: bool | None  # None: no secret to check against


@dataclass
class Robot:
    secret: str = ""
    answers: list = field(default_factory=list)  # (status, dict) used in order, then 200 errcode 0
    received: list[Received] = field(default_factory=list)
    url: str = ""

    def answer(self) -> tuple[int, dict]:
        return self.answers.pop(0) if self.answers else (200, {"errcode": 0, "errmsg": "ok"})


def dingtalk_sign(secret: str, timestamp: str) -> str:
    """DingTalk: sign = urlencode(base64(HMAC-SHA256(key=secret, msg=timestamp + "\\n" + secret)))."""
    string_to_sign = f"{timestamp}\n{secret}"
    digest = hmac.new(secret.encode("utf-8"), string_to_sign.encode("utf-8"), digestmod=hashlib.sha256).digest()
    return urllib.parse.quote_plus(base64.b64encode(digest))


def start(robot: Robot, path: str = "/robot/send"):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's name
            parts = urllib.parse.urlsplit(self.path)
            query = dict(urllib.parse.parse_qsl(parts.query))
            raw_query = dict(p.split("=", 1) for p in parts.query.split("&") if "=" in p)
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            signature_ok = None
            if robot.secret:
                # The sign arrives URL-encoded: compare the encoded form, as DingTalk recomputes it.
                signature_ok = raw_query.get("sign") == dingtalk_sign(robot.secret, query.get("timestamp", ""))
            robot.received.append(Received(parts.path, query, body, signature_ok))
            status, answer = robot.answer()
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    robot.url = f"http://127.0.0.1:{server.server_address[1]}{path}"
    return server
