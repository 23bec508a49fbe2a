"""A local stand-in for reverse geocoders (no internet here): a threading http.server on 127.0.0.1.

It answers Nominatim's /reverse in jsonv2 (as Nominatim itself and compatible servers do), Baidu's
/reverse_geocoding/v3/, Tianditu's /geocoder and AMap's /v3/geocode/regeo, and records every
request (path and query) so tests can assert what was asked, in which datum, and how often.
`delay_s` makes it slow; `stop()` makes it gone.
"""
from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


class FakeGeocoder:
    def __init__(self):
        self.requests: list[dict] = []
        self.delay_s = 0.0
        self.clock = time.monotonic  # tests may give the rate limiter's fake clock
        self.times: list[float] = []
        self.road = "人民路"
        self.house_number = "12"
        self.empty = False  # answer "no address here"
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's name
                parts = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                outer.requests.append({"path": parts.path, "query": query,
                                       "user_agent": self.headers.get("User-Agent", "")})
                outer.times.append(outer.clock())
                if outer.delay_s:
                    time.sleep(outer.delay_s)
                body = json.dumps(outer.answer(parts.path, query), ensure_ascii=False).encode()
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json; charset=utf-8")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)
        self._thread.start()

    def answer(self, path: str, query: dict) -> dict:
        if path == "/reverse":
            if self.empty:
                return {"error": "Unable to geocode"}
            return {"place_id": 1, "lat": query.get("lat"), "lon": query.get("lon"), "category": "highway",
                    "type": "primary", "place_rank": 26, "addresstype": "road", "name": self.road,
                    "display_name": f"{self.house_number}, {self.road}, 城关镇, 示范县, 浙江省, 中国",
                    "address": {"house_number": self.house_number, "road": self.road, "town": "城关镇",
                                "county": "示范县", "state": "浙江省", "country": "中国", "country_code": "cn"}}
        if path == "/reverse_geocoding/v3/":
            text = f"浙江省湖州市示范县城关镇{self.road}{self.house_number}号"
            return {"status": 0, "result": {"formatted_address": text,
                                            "addressComponent": {"province": "浙江省", "city": "湖州市",
                                                                 "district": "示范县", "town": "城关镇"}}}
        if path == "/geocoder":
            return {"status": "0", "msg": "ok", "result": {
                "formatted_address": f"浙江省湖州市示范县城关镇{self.road}",
                "addressComponent": {"province": "浙江省", "city": "湖州市", "county": "示范县",
                                     "road": self.road}}}
        if path == "/v3/geocode/regeo":
            return {"status": "1", "info": "OK", "regeocode": {
                "formatted_address": f"浙江省湖州市示范县城关镇{self.road}{self.house_number}号",
                "addressComponent": {"province": "浙江省", "city": "湖州市", "district": "示范县"}}}
        return {"error": "unknown path"}

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
