"""The derivative step alone (issue 20 §3): decode, downscale, thumbnail, encode, perceptual hash.

    python bench/derivatives.py [--photos 6] [--rounds 5]
    BENCH_QUICK=1 python bench/derivatives.py     # 3 photos, 3 rounds

On 12 MP JPEGs (phone-like ones from bench/photo_pipeline.make_photo, 3-4 MB, and the real camera
photo tests/data/photos/jpg/tests/42_IndexError.jpg), each stage of app.services.photos.imaging is
timed on its own, median ms per photo, the path before issue 20 (Lanczos from the draft decode to
1280 px) and the one now (bicubic: imaging.WEB_RESAMPLE) interleaved photo by photo, so that load
from elsewhere on the machine hits both alike; then the whole of imaging.derive both ways.

Budgets: the downscale costs less than the draft decode (ratio downscale/decode at most 1.0;
before, it cost more); for information, the new downscale and the whole derive against the old.
CPU time of this process is printed beside wall time as a cross-check on a shared machine.
Not a test: numbers depend on the machine.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import imagehash  # noqa: E402
from PIL import Image  # noqa: E402

from app.services.photos import imaging  # noqa: E402
from bench.photo_pipeline import make_photo  # noqa: E402

REAL_12MP = ROOT / "tests" / "data" / "photos" / "jpg" / "tests" / "42_IndexError.jpg"
PATHS = {"old": Image.Resampling.LANCZOS, "new": imaging.WEB_RESAMPLE}
STAGES = ["header + EXIF", "draft decode", "downscale to web", "thumbnail", "encode both", "perceptual hash"]


def _timed(times: dict, key: str, func):
    started, cpu = time.perf_counter(), time.process_time()
    result = func()
    times[key + " wall"].append(time.perf_counter() - started)
    times[key + " cpu"].append(time.process_time() - cpu)
    return result


def stages(data: bytes, resample: Image.Resampling, times: dict) -> None:
    """One photo through the steps of imaging.derive, each timed (the calls imaging._web_image makes)."""
    limits = imaging.Limits()
    image, _plan, _meta, _orientation = _timed(times, "header + EXIF", lambda: imaging._header(data, limits, True))

    def decode():
        scale = imaging.WEB_SIZE / max(image.size)
        image.draft("RGB", (math.ceil(image.width * scale), math.ceil(image.height * scale)))
        image.load()
        return image

    decoded = _timed(times, "draft decode", decode)
    web = decoded.copy()  # not timed: imaging shrinks the decode itself
    _timed(times, "downscale to web", lambda: web.thumbnail((imaging.WEB_SIZE, imaging.WEB_SIZE), resample))
    thumb = web.copy()
    _timed(times, "thumbnail", lambda: thumb.thumbnail((imaging.THUMB_SIZE, imaging.THUMB_SIZE),
                                                       Image.Resampling.LANCZOS))
    _timed(times, "encode both", lambda: (imaging._jpeg(web), imaging._jpeg(thumb)))
    _timed(times, "perceptual hash", lambda: str(imagehash.phash(thumb)))


def whole(data: bytes, resample: Image.Resampling, times: dict) -> None:
    """imaging.derive itself (header, one decode, both sizes, encode, hash), with the given last filter."""
    def run():
        image, plan, _meta, orientation = imaging._header(data, imaging.Limits(), True)
        return imaging._derive(image, plan, orientation, None, 0.0, True, resample=resample)

    _timed(times, "derive", run)


def ms(values: list[float]) -> float:
    return statistics.median(values) * 1000


def main() -> None:
    quick = os.environ.get("BENCH_QUICK", "") not in ("", "0")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=3 if quick else 6, help="generated 12 MP photos")
    parser.add_argument("--rounds", type=int, default=3 if quick else 5)
    args = parser.parse_args()

    print(f"generating {args.photos} photos (12 MP JPEG), plus {REAL_12MP.name} (a real camera's)...", flush=True)
    photos = [make_photo(seed) for seed in range(args.photos)] + [REAL_12MP.read_bytes()]
    sizes = [len(p) / 1e6 for p in photos]
    print(f"  {len(photos)} photos, {min(sizes):.1f}-{max(sizes):.1f} MB, "
          f"decoded at {imaging.plan(photos[0]).decoded_bytes // 4:,} px in draft mode", flush=True)
    times = {path: defaultdict(list) for path in PATHS}
    for resample in PATHS.values():  # warm-up: imports, caches, first allocations
        stages(photos[0], resample, defaultdict(list))
        whole(photos[0], resample, defaultdict(list))
    for _round in range(args.rounds):
        for data in photos:
            for path, resample in PATHS.items():
                stages(data, resample, times[path])
                whole(data, resample, times[path])

    print(f"\nmedian ms per photo over {args.rounds} rounds of {len(photos)} photos (CPU ms in brackets)")
    print(f"{'stage':<22}{'old (Lanczos)':>18}{'new (' + PATHS['new'].name.lower() + ')':>18}{'new/old':>9}")
    for stage in [*STAGES, "derive"]:
        old, new = (ms(times[p][stage + " wall"]) for p in PATHS)
        old_cpu, new_cpu = (ms(times[p][stage + " cpu"]) for p in PATHS)
        print(f"{stage:<22}{old:>10.1f} ({old_cpu:5.1f}){new:>10.1f} ({new_cpu:5.1f}){new / old:>9.2f}")
    decode = ms(times["old"]["draft decode wall"] + times["new"]["draft decode wall"])
    old_down, new_down = (ms(times[p]["downscale to web wall"]) for p in PATHS)
    old_derive, new_derive = (ms(times[p]["derive wall"]) for p in PATHS)
    new_down_cpu = ms(times["new"]["downscale to web cpu"])
    decode_cpu = ms(times["old"]["draft decode cpu"] + times["new"]["draft decode cpu"])
    print(f"\ndownscale / draft decode: before {old_down / decode:.2f}, now {new_down / decode:.2f} "
          f"(CPU: now {new_down_cpu / decode_cpu:.2f}; budget <= 1.00: "
          f"{'met' if new_down <= decode else 'MISSED'})")
    print(f"whole derive: {new_derive:.1f} ms against {old_derive:.1f} ms before ({new_derive / old_derive:.2f})")
    print(json.dumps({"bench": "derivatives", "metrics": [  # for bench/run_all.py
        {"name": "12 MP JPEG: downscale to 1280 px (bicubic) against the draft decode", "unit": "ms/photo",
         "value": round(new_down, 1), "baseline": round(decode, 1), "baseline_name": "draft decode",
         "budget": 1.0, "better": "lower"},
        {"name": "12 MP JPEG: downscale to 1280 px before issue 20 (Lanczos) against the draft decode",
         "unit": "ms/photo", "value": round(old_down, 1), "baseline": round(decode, 1),
         "baseline_name": "draft decode"},
        {"name": "12 MP JPEG: downscale, bicubic against Lanczos", "unit": "ms/photo", "value": round(new_down, 1),
         "baseline": round(old_down, 1), "baseline_name": "Lanczos, same run"},
        {"name": "12 MP JPEG: whole derive (web + thumbnail + phash, one decode), now against before",
         "unit": "ms/photo", "value": round(new_derive, 1), "baseline": round(old_derive, 1),
         "baseline_name": "Lanczos path, same run"},
        *({"name": f"12 MP JPEG: {stage}", "unit": "ms/photo", "value": round(ms(times["new"][stage + " wall"]), 1)}
          for stage in STAGES if stage not in ("draft decode", "downscale to web")),
    ]}))


if __name__ == "__main__":
    main()
