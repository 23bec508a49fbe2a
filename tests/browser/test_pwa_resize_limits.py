"""A 48-megapixel phone photo becomes 2048 px on its long side in the browser without any canvas over
iOS Safari's limit (about 16.7 megapixels, 4096 x 4096: above it Safari draws black), the limit
static/pwa/js/capture/resize.js keeps to (docs/design.md §10). Chromium has no such limit, so every
canvas the page makes is measured instead."""
from __future__ import annotations

import pytest
from PIL import Image, ImageDraw

from tests.browser.conftest import wait_until

pytestmark = pytest.mark.browser

IOS_CANVAS_LIMIT = 4096 * 4096  # 16 777 216 pixels
LONG_SIDE = 2048

# Record the pixel count of every canvas the page makes or resizes (OffscreenCanvas and <canvas>).
MEASURE_CANVASES = """
globalThis.canvasAreas = [];
const note = (canvas) => globalThis.canvasAreas.push(canvas.width * canvas.height);
const prototypes = [HTMLCanvasElement.prototype];
if (typeof OffscreenCanvas === 'function') {
  const Original = OffscreenCanvas;
  globalThis.OffscreenCanvas = class extends Original {
    constructor(width, height) {
      super(width, height);
      note(this);
    }
  };
  prototypes.push(Original.prototype);
}
for (const prototype of prototypes) {
  for (const side of ['width', 'height']) {
    const descriptor = Object.getOwnPropertyDescriptor(prototype, side);
    Object.defineProperty(prototype, side, {...descriptor, set(value) {
      descriptor.set.call(this, value);
      note(this);
    }});
  }
}
"""


def big_jpeg(path, size: tuple[int, int]):
    """A camera-sized JPEG with something on it (bands and a diagonal), made here, not committed."""
    width, height = size
    image = Image.new("RGB", size, (200, 210, 220))
    draw = ImageDraw.Draw(image)
    for x in range(0, width, 400):
        draw.rectangle([x, 0, x + 199, height], fill=(40 + x % 180, 90, 140))
    draw.line([0, 0, width, height], fill=(250, 250, 0), width=60)
    image.save(path, quality=85)
    return path


@pytest.mark.parametrize("size", [(8000, 6000), (6000, 8000)], ids=["landscape-48MP", "portrait-48MP"])
def test_a_48_megapixel_photo_is_resized_without_a_canvas_over_the_ios_limit(phone, inspector_name, tmp_path,
                                                                              size):
    photo = big_jpeg(tmp_path / "big.jpg", size)
    phone.page.add_init_script(MEASURE_CANVASES)
    phone.log_in(inspector_name)
    phone.context.set_offline(True)
    page = phone.page
    page.evaluate("globalThis.canvasAreas = []")  # what the login page drew (if anything) is not the photo's

    page.set_input_files("input[name=photos]", str(photo))
    page.wait_for_selector("[data-field=previews] img", timeout=90_000)
    shown = page.eval_on_selector("[data-field=previews] img",
                                  "(img) => img.decode().then(() => [img.naturalWidth, img.naturalHeight])")
    expected = (LONG_SIDE, LONG_SIDE * 3 // 4) if size[0] > size[1] else (LONG_SIDE * 3 // 4, LONG_SIDE)
    assert tuple(shown) == expected

    areas = page.evaluate("globalThis.canvasAreas")
    assert areas, "no canvas was measured: the measuring script did not see the resize"
    assert expected[0] * expected[1] in areas  # the final canvas, at the target size
    assert max(areas) <= IOS_CANVAS_LIMIT, f"a canvas of {max(areas):,} pixels"

    location = "!document.querySelector('[data-field=location-status]').textContent.includes('…')"
    wait_until(page, location)
    page.select_option("select[name=category]", "06012")
    page.click("#capture-form button[type=submit]")
    phone.wait_waiting(1)
    stored = page.evaluate("""import('/static/pwa/js/outbox.js').then(async (outbox) => {
        const [report] = await outbox.listReports();
        const photo = await outbox.getPhoto(report.photos[0]);
        const bitmap = await createImageBitmap(photo.blob);
        return {type: photo.type, bytes: photo.bytes, width: bitmap.width, height: bitmap.height};
    })""")
    assert stored["type"] == "image/jpeg" and (stored["width"], stored["height"]) == expected
    assert stored["bytes"] < photo.stat().st_size  # what is queued is the small copy, not the original
    assert phone.errors == []
