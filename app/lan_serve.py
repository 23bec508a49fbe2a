"""What `make run` and `make run-lan` show and serve beside gunicorn (decision 0015): the address only
once the server answers, a terminal QR code to open it on a phone, and the LAN authority's
certificate over plain HTTP, since a phone cannot check HTTPS before it trusts that authority."""
from __future__ import annotations

import html
import re
import ssl
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import qrcode

from app.lan_https import CA_CONTENT_TYPE, CA_DOWNLOAD_NAME

# Light modules are drawn (█▀▄), dark ones left as the background: right on a dark terminal, and on
# any terminal when the colours below are forced (white on black).
_BLOCKS = {(True, True): "█", (True, False): "▀", (False, True): "▄", (False, False): " "}
_COLOUR_ON, _COLOUR_OFF = "\x1b[48;5;16m\x1b[38;5;231m", "\x1b[0m"
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def wait_until_answers(url: str, timeout_s: float = 60.0, ca_file: Path | None = None,
                       interval_s: float = 0.25, clock=time.monotonic, sleep=time.sleep) -> bool:
    """True as soon as `url` gives any HTTP answer (a 503 from /healthz is an answer too: the server
    is up and says what is wrong); False when nothing answered within `timeout_s`."""
    context = ssl.create_default_context(cafile=str(ca_file)) if ca_file else None
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}),  # never through a proxy
                                         urllib.request.HTTPSHandler(context=context))
    deadline = clock() + timeout_s
    while True:
        try:
            with opener.open(url, timeout=max(interval_s, 2.0)) as answer:
                answer.read()
            return True
        except urllib.error.HTTPError as exc:
            exc.close()
            return True
        except (urllib.error.URLError, OSError):
            if clock() >= deadline:
                return False
            sleep(interval_s)


def terminal_qr(text: str, colour: bool = False) -> str:
    """`text` as a QR code of half-block characters, two module rows a line, with its quiet zone."""
    code = qrcode.QRCode(border=4, error_correction=qrcode.constants.ERROR_CORRECT_L)  # the quiet zone QR asks
    code.add_data(text)
    code.make(fit=True)
    dark = code.get_matrix()
    lines = []
    for top in range(0, len(dark), 2):
        bottom = dark[top + 1] if top + 1 < len(dark) else [False] * len(dark[top])
        line = "".join(_BLOCKS[(not a, not b)] for a, b in zip(dark[top], bottom, strict=True))
        lines.append(f"{_COLOUR_ON}{line}{_COLOUR_OFF}" if colour else line)
    return "\n".join(lines)


def strip_ansi(text: str) -> str:
    return _ANSI.sub("", text)


def qr_matrix_from_terminal(block: str) -> list[list[bool]]:
    """The dark modules drawn by terminal_qr, read back (rows of True = dark): what a camera sees."""
    rows = []
    for line in strip_ansi(block).splitlines():
        light = [{"█": (True, True), "▀": (True, False), "▄": (False, True), " ": (False, False)}[ch]
                 for ch in line]
        rows.append([not top for top, _ in light])
        rows.append([not bottom for _, bottom in light])
    return rows


def ca_page(https_url: str) -> bytes:
    """The plain-HTTP page a phone opens first: the certificate to install, then the app's address."""
    link = html.escape(https_url)
    return (
        "<!doctype html><html lang=\"zh-CN\"><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width\"><title>Xuncha LAN CA</title>"
        f"<h1>Xuncha 开发证书 / development certificate</h1>"
        f"<p><a href=\"/{CA_DOWNLOAD_NAME}\">下载并安装证书 / Download the certificate</a></p>"
        "<p>安装并信任后打开 / Once installed and trusted, open: "
        f"<a href=\"{link}\">{link}</a></p>"
        "<p>README.md, “On a real phone”.</p></html>"
    ).encode()


def make_ca_server(host: str, port: int, ca_cert: Path, https_url: str) -> ThreadingHTTPServer:
    """A plain-HTTP server of two pages: / and the authority's certificate. It holds only public
    data (never a key), so plain HTTP gives nothing away."""
    certificate = Path(ca_cert).read_bytes()
    page = ca_page(https_url)

    class Handler(BaseHTTPRequestHandler):
        server_version = "XunchaLanCA"
        sys_version = ""

        def do_HEAD(self):  # noqa: N802 (http.server's name)
            self.do_GET(head=True)

        def do_GET(self, head=False):  # noqa: N802
            self.head = head
            path = self.path.split("?", 1)[0]
            if path == f"/{CA_DOWNLOAD_NAME}":
                self._send(200, CA_CONTENT_TYPE, certificate,
                           {"Content-Disposition": f"attachment; filename=\"{CA_DOWNLOAD_NAME}\""})
            elif path == "/":
                self._send(200, "text/html; charset=utf-8", page)
            else:
                self._send(404, "text/plain; charset=utf-8", b"Not found\n")

        def _send(self, status, content_type, body, extra=None):
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            for name, value in (extra or {}).items():
                self.send_header(name, value)
            self.end_headers()
            if not self.head:
                self.wfile.write(body)

        def log_message(self, format, *args):  # noqa: A002 (the base class's name)
            pass  # gunicorn's and the app's JSON lines are the log; a download needs none

    return ThreadingHTTPServer((host, port), Handler)
