"""Copy the pinned front-end libraries from node_modules/ into static/pwa/vendor/.

    npm ci --ignore-scripts && python scripts/vendor.py      (what `make vendor` runs)

Each library's files are listed below (only what the app loads, plus the licence), so the
vendored tree stays small and reviewable. VERSIONS.md records name, version and licence.
No CDN: the app must work with no internet at all.
"""
from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NODE_MODULES = ROOT / "node_modules"
VENDOR = ROOT / "static" / "pwa" / "vendor"
# Libraries only the tests load (never served by the app): tests/browser/vendor/.
TEST_VENDOR = ROOT / "tests" / "browser" / "vendor"
TEST_ONLY = {"axe-core"}

# package → (target folder under vendor/, [files inside the package to copy])
FILES: dict[str, tuple[str, list[str]]] = {
    "idb": ("idb", ["build/index.js", "LICENSE"]),
    "exifr": ("exifr", ["dist/lite.esm.mjs", "LICENSE"]),
    "leaflet": ("leaflet", ["dist/leaflet-src.esm.js", "dist/leaflet.js", "dist/leaflet.css",
                            "dist/images/marker-icon.png", "dist/images/marker-icon-2x.png",
                            "dist/images/marker-shadow.png", "dist/images/layers.png",
                            "dist/images/layers-2x.png", "LICENSE"]),
    "leaflet.heat": ("leaflet.heat", ["dist/leaflet-heat.js", "LICENSE"]),
    "chart.js": ("chart.js", ["dist/chart.umd.js", "LICENSE.md"]),
    # The API documentation page (/api/v1/docs); NOTICE and the bundle's third-party licences as Apache-2.0 asks.
    "swagger-ui-dist": ("swagger-ui", ["swagger-ui-bundle.js", "swagger-ui.css", "LICENSE", "NOTICE",
                                       "swagger-ui-bundle.js.LICENSE.txt"]),
    "axe-core": ("axe-core", ["axe.min.js", "LICENSE"]),  # the accessibility checks of the browser tests
}


# Packages whose package.json has no "license" field: read off their LICENSE file.
LICENCE_WITHOUT_FIELD = {"leaflet.heat": "BSD-2-Clause"}


def package_meta(name: str) -> dict:
    return json.loads((NODE_MODULES / name / "package.json").read_text(encoding="utf-8"))


def main() -> int:
    pins = json.loads((ROOT / "package.json").read_text(encoding="utf-8"))["dependencies"]
    missing = sorted(set(pins) - set(FILES)) + sorted(set(FILES) - set(pins))
    if missing:
        print(f"package.json and scripts/vendor.py disagree about: {', '.join(missing)}", file=sys.stderr)
        return 1
    for folder in (VENDOR, TEST_VENDOR):
        if folder.exists():
            shutil.rmtree(folder)
    rows = []
    for name, (folder, files) in sorted(FILES.items()):
        meta = package_meta(name)
        if meta["version"] != pins[name]:
            print(f"{name}: installed {meta['version']}, pinned {pins[name]}; run npm ci", file=sys.stderr)
            return 1
        for rel in files:
            source = NODE_MODULES / name / rel
            root = TEST_VENDOR if name in TEST_ONLY else VENDOR
            target = root / folder / (rel.split("/", 1)[1] if rel.startswith(("build/", "dist/")) else rel)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
        licence = meta.get("license") or LICENCE_WITHOUT_FIELD[name]
        where = f"tests/browser/vendor/{folder}/ (tests only)" if name in TEST_ONLY else f"vendor/{folder}/"
        rows.append(f"| {name} | {meta['version']} | {licence} | {where} |")
    (VENDOR / "VERSIONS.md").write_text(
        "# Vendored front-end libraries\n\nCopied from the npm registry by `scripts/vendor.py`; do not edit.\n\n"
        "| package | version | licence | folder |\n|---|---|---|---|\n" + "\n".join(rows) + "\n",
        encoding="utf-8")
    print(f"vendored {len(rows)} packages into {VENDOR.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
