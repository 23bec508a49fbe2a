"""Draw the PWA's icons (a white map pin with a tick on the campaign red) into static/pwa/icons/.

    python scripts/pwa_icons.py

Shapes only, no font, so the result is the same on every machine. "Maskable" icons keep the
pin inside the central 80 % safe zone that Android may crop to a circle.
"""
from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

ICONS = Path(__file__).resolve().parent.parent / "static" / "pwa" / "icons"
RED = (200, 40, 40)
WHITE = (255, 255, 255)
SUPERSAMPLE = 4  # draw large, then shrink: smooth edges without anti-aliasing support in ImageDraw


def draw_icon(size: int, *, maskable: bool) -> Image.Image:
    big = size * SUPERSAMPLE
    image = Image.new("RGB", (big, big), RED)
    draw = ImageDraw.Draw(image)
    scale = 0.62 if maskable else 0.78  # share of the height the pin takes
    pin_w = big * scale * 0.62
    cx, top = big / 2, big * (1 - scale) / 2
    radius = pin_w / 2
    cy = top + radius
    draw.ellipse([cx - radius, top, cx + radius, top + 2 * radius], fill=WHITE)
    tip_y = top + big * scale
    draw.polygon([(cx - radius * 0.82, cy + radius * 0.55), (cx + radius * 0.82, cy + radius * 0.55),
                  (cx, tip_y)], fill=WHITE)
    stroke = max(2, int(radius * 0.22))
    draw.line([(cx - radius * 0.45, cy), (cx - radius * 0.1, cy + radius * 0.35),
               (cx + radius * 0.5, cy - radius * 0.35)], fill=RED, width=stroke, joint="curve")
    return image.resize((size, size), Image.Resampling.LANCZOS)


def main() -> None:
    ICONS.mkdir(parents=True, exist_ok=True)
    for size in (192, 512):
        draw_icon(size, maskable=False).save(ICONS / f"icon-{size}.png", optimize=True)
    draw_icon(512, maskable=True).save(ICONS / "maskable-512.png", optimize=True)
    draw_icon(180, maskable=False).save(ICONS / "apple-touch-180.png", optimize=True)
    print(f"icons written to {ICONS}")


if __name__ == "__main__":
    main()
