"""Inspector PWA benchmarks (docs/design.md §8), in Debian's headless Chromium.

    python bench/pwa.py [--runs 7]

Reports
  1. shell bytes: every file the service worker caches for the capture screen, gzip -9, against the
     150 KB budget (the map, loaded only when the pin is corrected, reported apart);
  2. offline cold start: a new browser process on a profile where the app is installed, network off,
     from navigation start to a usable capture form (categories in the select), against 1 s;
  3. resize in the browser (static/pwa/js/capture/resize.js) of a generated 12 MP and 48 MP JPEG:
     ms, bytes and pixels before and after.
Not a test: the numbers depend on the machine.
"""
from __future__ import annotations

import argparse
import gzip
import io
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
SHELL_BUDGET_KB = 150
COLD_START_BUDGET_MS = 1000
PASSWORD = "Bench-pass-123"


def build_app(tmp: Path):
    os.environ.update(DATABASE_URL=f"sqlite:///{tmp / 'bench.sqlite3'}", MEDIA_ROOT=str(tmp / "media"))
    from flask_migrate import upgrade

    from app import create_app, seed
    from app.extensions import db
    from app.services.accounts import users

    app = create_app()
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        seed.seed_reference()
        users.create_user("bench", PASSWORD, "inspector")
        db.session.commit()
    return app


def serve(app) -> str:
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}"


def shell_bytes(app) -> tuple[int, int, int]:
    """(shell gzip bytes, map gzip bytes, shell raw bytes) of what the service worker caches."""
    from app.pwa import views

    with app.test_request_context():
        shell = [*views.SHELL_PAGES, *(views.static_url(p) for p in views.static_files(views.SHELL_GLOBS))]
        map_files = [views.static_url(p) for p in views.static_files(views.MAP_GLOBS)]
    client = app.test_client()

    def sizes(urls):
        bodies = [client.get(url).data for url in urls]
        return sum(len(gzip.compress(body, 9)) for body in bodies), sum(len(body) for body in bodies)

    shell_gz, shell_raw = sizes(shell)
    map_gz, _ = sizes(map_files)
    return shell_gz, map_gz, shell_raw


def install(playwright, profile: Path, base_url: str) -> None:
    """Log in once on the profile and let the service worker cache the shell and categories."""
    context = playwright.chromium.launch_persistent_context(str(profile), executable_path=CHROMIUM, headless=True,
                                                            args=ARGS)
    page = context.new_page()
    page.goto(base_url + "/login")
    page.fill("input[name=username]", "bench")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("body[data-ready=true]")
    while not page.evaluate("navigator.serviceWorker.controller !== null"):
        page.wait_for_timeout(100)
    page.wait_for_timeout(1500)  # the first sync stores the categories
    context.close()


def cold_start_ms(playwright, profile: Path, base_url: str) -> float:
    """A fresh browser process, offline: ms from navigation start until the capture form is usable."""
    context = playwright.chromium.launch_persistent_context(str(profile), executable_path=CHROMIUM, headless=True,
                                                            args=ARGS)
    try:
        context.set_offline(True)
        page = context.pages[0] if context.pages else context.new_page()
        page.goto(base_url + "/app/")
        page.wait_for_selector("body[data-ready=true]")
        assert page.locator("select[name=category] option").count() > 10, "categories missing offline"
        return page.evaluate("performance.getEntriesByName('xuncha-ready')[0].startTime")
    finally:
        context.close()


def photo(width: int, height: int, seed: int = 1) -> bytes:
    """A JPEG that compresses like a phone photo: a smooth scene plus sensor noise."""
    rng = np.random.default_rng(seed)
    coarse = rng.integers(0, 256, (height // 96, width // 96, 3), dtype=np.uint8)
    scene = np.asarray(Image.fromarray(coarse).resize((width, height), Image.Resampling.BICUBIC), dtype=np.int16)
    noise = rng.normal(0, 6, (height, width, 1)).astype(np.int16)
    out = io.BytesIO()
    Image.fromarray(np.clip(scene + noise, 0, 255).astype(np.uint8)).save(out, "JPEG", quality=90)
    return out.getvalue()


RESIZE_JS = """async (url) => {
  const {resizeToJpeg} = await import('/static/pwa/js/capture/resize.js');
  const original = await (await fetch(url)).blob();
  const file = new File([original], 'photo.jpg', {type: 'image/jpeg'});
  const started = performance.now();
  const {blob, width, height} = await resizeToJpeg(file);
  return {ms: performance.now() - started, before: original.size, after: blob.size, width, height};
}"""


def _serve_bytes(body: bytes):
    def handler(route):
        route.fulfill(body=body, content_type="image/jpeg")
    return handler


def resize_runs(playwright, profile: Path, base_url: str, sizes: dict[str, bytes], runs: int) -> dict[str, dict]:
    context = playwright.chromium.launch_persistent_context(str(profile), executable_path=CHROMIUM, headless=True,
                                                            args=ARGS)
    try:
        page = context.new_page()
        for name, body in sizes.items():
            page.route(f"**/bench/{name}.jpg", _serve_bytes(body))
        page.goto(base_url + "/app/")
        page.wait_for_selector("body[data-ready=true]")
        out = {}
        for name in sizes:
            results = [page.evaluate(RESIZE_JS, f"/bench/{name}.jpg") for _ in range(runs)]
            out[name] = {**results[-1], "ms": statistics.median(r["ms"] for r in results)}
        return out
    finally:
        context.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="xuncha-bench-pwa-") as tmp_name:
        tmp = Path(tmp_name)
        app = build_app(tmp)
        shell_gz, map_gz, shell_raw = shell_bytes(app)
        print(f"shell (capture screen, all precached): {shell_gz / 1024:.1f} KB gzip "
              f"({shell_raw / 1024:.1f} KB raw), budget {SHELL_BUDGET_KB} KB: "
              f"{'OK' if shell_gz <= SHELL_BUDGET_KB * 1024 else 'OVER'}")
        print(f"map (Leaflet, cached too, loaded on demand): {map_gz / 1024:.1f} KB gzip; "
              f"shell + map {(shell_gz + map_gz) / 1024:.1f} KB")

        base_url = serve(app)
        profile = tmp / "profile"
        with sync_playwright() as playwright:
            install(playwright, profile, base_url)
            starts = [cold_start_ms(playwright, profile, base_url) for _ in range(args.runs)]
            print(f"offline cold start to a usable capture form ({args.runs} new browser processes): "
                  f"median {statistics.median(starts):.0f} ms, max {max(starts):.0f} ms, "
                  f"budget {COLD_START_BUDGET_MS} ms: "
                  f"{'OK' if statistics.median(starts) <= COLD_START_BUDGET_MS else 'OVER'}")
            started = time.perf_counter()
            photos = {"12mp": photo(4000, 3000), "48mp": photo(8000, 6000, seed=2)}
            print(f"(generated test photos in {time.perf_counter() - started:.1f} s)")
            resized = resize_runs(playwright, profile, base_url, photos, max(3, args.runs // 2))
            for name, r in resized.items():
                print(f"resize {name} in the browser: median {r['ms']:.0f} ms, "
                      f"{r['before'] / 1e6:.2f} MB -> {r['after'] / 1e3:.0f} KB, {r['width']}x{r['height']}")
    print(json.dumps({"bench": "pwa", "metrics": [  # for bench/run_all.py
        {"name": "app shell of the capture screen, gzip", "unit": "KB", "value": round(shell_gz / 1024, 1),
         "budget": SHELL_BUDGET_KB},
        {"name": "map (Leaflet), loaded on demand, gzip", "unit": "KB", "value": round(map_gz / 1024, 1)},
        {"name": f"offline cold start to a usable capture form, median of {args.runs}", "unit": "ms",
         "value": round(statistics.median(starts)), "budget": COLD_START_BUDGET_MS},
        *({"name": f"resize a {name.upper()} JPEG in the browser, median", "unit": "ms", "value": round(r["ms"])}
          for name, r in resized.items()),
    ]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
