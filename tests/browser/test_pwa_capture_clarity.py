"""A capture that never confuses (issue 19 §1), in headless Chromium as a phone: an HEIC photo shows
its time and size instead of a broken image, a save tapped while a photo is being prepared waits for
it, a position outside the county is said at once (offline, from the outline cached at the last
sync), the server's refusals read as plain sentences, and the status line never says "synced" while
a refused item waits for the inspector."""
from __future__ import annotations

import base64
from fractions import Fraction

import pytest
from PIL import Image

from app.services.reports import geo
from tests.browser.conftest import GPS_PHOTO, TESTDATA, all_tickets, settled, wait_until
from tests.factories import OUTSIDE, SEAT

pytestmark = pytest.mark.browser

HEIC_PHOTO = TESTDATA / "photos" / "heic" / "IMG_5195.HEIC"  # iPhone 11 Pro Max, 833 284 bytes
# Its DateTimeOriginal is 2021:04:11 15:47:53 at -05:00 (exiftool-truth.json): 04:47 the next day in China.
HEIC_TAKEN_ZH = "拍摄于 2021/04/12 04:47"
HEIC_SIZE = "0.8 MB"
OUTSIDE_AT = {"latitude": OUTSIDE[0], "longitude": OUTSIDE[1], "accuracy": 10}

# The page's words (zh-CN and en) these tests expect: static/pwa/i18n/strings.json and the catalogue.
PROCESSING = "正在处理照片…"
EXIF_OUTSIDE = "照片中记录的位置在本县范围外（照片可能是在别处拍的），不会采用。"
DEVICE_OUTSIDE = "手机定位在本县范围外：请在地图上选点。"
SAVE_OUTSIDE = "此位置在本县范围外，服务器不会接收：请使用手机定位，或在地图上选点。"
REFUSED_ZH = "需要处理：服务器拒收，原因如下。"
REFUSED_EN = "Needs attention: The server refused it, for the reasons below."
ATTENTION_ONE = "有 1 条内容需要处理：请在“待发送”中查看。"

# crypto.subtle.digest (the photo's hash, the last step of preparing it) waits while a gate is set:
# a slow phone, made as slow as the test wants.
SLOW_PHOTOS = """
globalThis.photoGate = null;
const digest = SubtleCrypto.prototype.digest;
SubtleCrypto.prototype.digest = async function (...args) {
  if (globalThis.photoGate) await globalThis.photoGate;
  return digest.apply(this, args);
};
"""
# Every text the form's error line shows, as it shows it.
WATCH_FORM_ERRORS = """
globalThis.formErrors = [];
const line = document.querySelector('[data-field=form-error]');
new MutationObserver(() => {
  if (!line.hidden && line.textContent) globalThis.formErrors.push(line.textContent);
}).observe(line, {attributes: true, childList: true, characterData: true, subtree: true});
"""


def jpeg_with_gps(path, lat: float, lon: float):
    """A small JPEG whose EXIF says it was taken at (lat, lon) (north and east)."""
    def dms(value: float):
        degrees = int(value)
        minutes = int((value - degrees) * 60)
        seconds = ((value - degrees) * 60 - minutes) * 60
        return Fraction(degrees), Fraction(minutes), Fraction(round(seconds * 10000), 10000)

    exif = Image.Exif()
    exif.get_ifd(0x8825).update({1: "N", 2: dms(lat), 3: "E", 4: dms(lon)})
    Image.new("RGB", (640, 480), (120, 160, 90)).save(path, exif=exif)
    return path


def location_ready(page) -> None:
    wait_until(page, "!document.querySelector('[data-field=location-status]').textContent.includes('…')")


def warning(page) -> str:
    """The outside-county warning under the location, '' when it is hidden."""
    return page.evaluate("(() => { const w = document.querySelector('[data-field=location-warning]');"
                         " return w.hidden ? '' : w.textContent; })()")


def test_an_heic_photo_shows_a_preview_or_its_time_and_size_never_a_broken_image(phone, inspector_name):
    phone.log_in(inspector_name)
    phone.context.set_offline(True)
    page = phone.page
    decodes = page.evaluate("""(data) => {
        const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
        return createImageBitmap(new Blob([bytes], {type: 'image/heic'})).then(() => true, () => false);
    }""", base64.b64encode(HEIC_PHOTO.read_bytes()).decode())

    page.set_input_files("input[name=photos]", str(HEIC_PHOTO))
    item = page.locator("[data-field=previews] li").first
    item.wait_for()
    wait_until(page, "document.querySelector('[data-field=photo-status]').textContent === ''")
    if decodes:  # a browser that reads HEIC shows the photo itself (resized to JPEG)
        assert item.locator("img").evaluate("(img) => img.decode().then(() => img.naturalWidth)") > 0
    else:  # Chromium: no image to show, so what the inspector needs to recognise the photo
        assert item.locator("img").count() == 0
        spans = item.locator(".photo-placeholder span").all_inner_texts()
        assert spans == ["HEIC", HEIC_TAKEN_ZH, HEIC_SIZE, "无法预览"]
        assert item.locator(".photo-placeholder").get_attribute("role") == "img"
    # Whatever the browser, no preview is a broken image.
    assert page.eval_on_selector_all("[data-field=previews] img",
                                     "(imgs) => imgs.every((img) => img.complete && img.naturalWidth > 0)")
    phone.screenshot("capture-heic-preview")

    page.click("[data-action=lang]")
    if not decodes:
        texts = item.locator(".photo-placeholder span").all_inner_texts()
        assert texts[0] == "HEIC" and texts[1].startswith("Taken ") and "2021" in texts[1]
        assert texts[2:] == [HEIC_SIZE, "No preview"]
    page.click("[data-action=lang]")

    # The photo is saved as it is (the server converts HEIC) and the form is ready for the next one.
    location_ready(page)
    page.select_option("select[name=category]", "06012")
    page.click("#capture-form button[type=submit]")
    phone.wait_waiting(1)
    stored = page.evaluate("""import('/static/pwa/js/outbox.js').then(async (outbox) => {
        const [report] = await outbox.listReports();
        const photo = await outbox.getPhoto(report.photos[0]);
        return {type: photo.type, bytes: photo.bytes, keys: Object.keys(photo).sort()};
    })""")
    if not decodes:
        assert stored["type"] == "image/heic" and stored["bytes"] == HEIC_PHOTO.stat().st_size
    assert "previewable" not in stored["keys"] and "exif" not in stored["keys"]  # form state, not stored
    assert phone.errors == []


def test_a_save_tapped_while_a_photo_is_prepared_waits_for_it(phone, inspector_name):
    phone.page.add_init_script(SLOW_PHOTOS)
    phone.log_in(inspector_name)
    phone.context.set_offline(True)
    page = phone.page
    page.evaluate(WATCH_FORM_ERRORS)
    location_ready(page)
    page.select_option("select[name=category]", "06012")
    page.fill("textarea[name=description]", "照片还在处理时就点了保存")
    page.evaluate("() => { globalThis.photoGate = new Promise((open) => { globalThis.openPhotoGate = open; }); }")

    page.set_input_files("input[name=photos]", str(GPS_PHOTO))
    page.click("#capture-form button[type=submit]")  # the photo is still being prepared
    save_status = page.locator("[data-field=save-status]")
    save_status.wait_for(state="visible")
    assert save_status.inner_text() == PROCESSING
    assert page.inner_text("[data-field=photo-status]") == PROCESSING
    page.wait_for_timeout(700)  # however long the phone takes: it waits, says so, and refuses nothing
    assert save_status.is_visible() and phone.waiting() == 0
    page.click("#capture-form button[type=submit]")  # an impatient second tap saves nothing twice
    phone.screenshot("capture-save-while-preparing")

    page.evaluate("globalThis.photoGate = null; globalThis.openPhotoGate()")
    phone.wait_waiting(1)
    page.locator("[data-field=toast]").wait_for(state="visible")
    assert page.inner_text("[data-field=toast]") == "已保存，联网后自动发送。"
    assert page.evaluate("globalThis.formErrors") == []  # never "请至少拍一张照片。"
    assert save_status.is_hidden() and page.inner_text("[data-field=photo-status]") == ""
    [report] = page.evaluate("import('/static/pwa/js/outbox.js').then((outbox) => outbox.listReports())")
    assert len(report["photos"]) == 1 and report["description"] == "照片还在处理时就点了保存"
    page.wait_for_timeout(300)
    assert phone.waiting() == 1
    assert phone.errors == []


def test_a_position_outside_the_county_is_said_at_once_offline(phone, inspector_name, tmp_path):
    assert settled(lambda: geo.in_county(*SEAT)) is True and settled(lambda: geo.in_county(*OUTSIDE)) is False
    phone.log_in(inspector_name)  # the sync caches the county's outline with the place names
    phone.context.set_offline(True)
    phone.page.reload()
    phone.wait_ready()
    page = phone.page
    location_ready(page)

    # A photo taken in the county: its position is offered, and nothing is wrong.
    page.set_input_files("input[name=photos]", str(jpeg_with_gps(tmp_path / "here.jpg", SEAT[0], SEAT[1] + 0.002)))
    page.locator("[data-action=use-exif]").wait_for()
    assert warning(page) == ""
    page.click("[data-field=previews] li button")  # removed again

    # A photo taken far away (Tuscany): said plainly, and its position is not offered.
    page.set_input_files("input[name=photos]", str(GPS_PHOTO))
    page.wait_for_selector("[data-field=previews] img")
    wait_until(page, "!document.querySelector('[data-field=location-warning]').hidden")
    assert warning(page) == EXIF_OUTSIDE
    assert page.is_hidden("[data-action=use-exif]")
    phone.screenshot("capture-exif-outside")

    # The phone itself outside the county (or its fix off by kilometres): it says so, and will not save.
    phone.context.set_geolocation(OUTSIDE_AT)
    wait_until(page, f"document.querySelector('[data-field=location-warning]').textContent.startsWith("
                     f"{DEVICE_OUTSIDE[:6]!r})")
    assert warning(page) == f"{DEVICE_OUTSIDE} {EXIF_OUTSIDE}"
    page.select_option("select[name=category]", "06012")
    page.click("#capture-form button[type=submit]")
    page.locator("[data-field=form-error]").wait_for(state="visible")
    assert page.inner_text("[data-field=form-error]") == SAVE_OUTSIDE
    assert phone.waiting() == 0
    phone.screenshot("capture-device-outside")

    # A pin in the county: the warning about the position goes, and the report is saved and accepted.
    page.click("[data-action=open-map]")
    page.locator("[data-field=map] .leaflet-marker-icon").wait_for()
    page.eval_on_selector("[data-field=map]", "(map) => map.scrollIntoView({block: 'center'})")
    box = page.locator("[data-field=map]").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2 + 20, box["y"] + box["height"] / 2 + 20)
    wait_until(page, "document.querySelector('[data-field=location-status]').textContent.startsWith('地图上选定')")
    wait_until(page, f"document.querySelector('[data-field=location-warning]').textContent === {EXIF_OUTSIDE!r}")
    assert page.is_hidden("[data-action=use-device]")  # the phone's fix is outside: not offered back
    page.click("#capture-form button[type=submit]")
    phone.wait_waiting(1)

    phone.context.set_offline(False)
    phone.sync_until_empty()
    [ticket] = all_tickets()
    assert ticket.location_source.value == "manual"
    assert settled(lambda: geo.in_county(ticket.lat, ticket.lon)) is True
    assert phone.errors == []


def test_a_refused_report_reads_plainly_and_the_status_line_says_it_waits(phone, inspector_name):
    phone.context.set_geolocation(OUTSIDE_AT)
    phone.log_in(inspector_name)
    page = phone.page
    # A phone that has no county outline yet (it never synced one) cannot warn: the server refuses.
    page.evaluate("import('/static/pwa/js/meta.js').then((meta) => meta.deleteMeta('areas'))")
    phone.context.set_offline(True)
    page.reload()
    phone.wait_ready()
    phone.capture(GPS_PHOTO, "06012", "县外的位置")
    assert phone.waiting() == 1

    phone.context.set_offline(False)
    page.click("[data-action=sync]")
    wait_until(page, "document.querySelector('[data-field=net-status]').dataset.state === 'net.attention'")
    assert page.inner_text("[data-field=net-status]") == ATTENTION_ONE  # not "已同步。"
    phone.open("outbox")
    card = page.locator("[data-field=outbox-list] > li[data-state=needs_attention]")
    card.wait_for()
    assert card.locator("[data-slot=state]").inner_text() == REFUSED_ZH
    assert card.locator("[data-slot=errors] li").all_inner_texts() == ["位置不在本县范围内。"]
    words = card.locator("[data-slot=state]").inner_text() + card.locator("[data-slot=errors]").inner_text()
    assert "lat" not in words and ":" not in words  # no field name, no half-width colon
    assert page.inner_text("[data-field=net-status]") == ATTENTION_ONE  # a fresh page says it again
    phone.screenshot("outbox-refused-plain")

    page.click("[data-action=lang]")
    # The outbox re-renders in the new language as it is told of the change: wait for it.
    state = "[data-field=outbox-list] > li[data-state=needs_attention] [data-slot=state]"
    wait_until(page, f"document.querySelector({state!r}).textContent.trim() === {REFUSED_EN!r}")
    assert card.locator("[data-slot=state]").inner_text() == REFUSED_EN
    assert card.locator("[data-slot=errors] li").all_inner_texts() == ["Outside the county."]
    page.click("[data-action=lang]")

    # The inspector drops it: nothing waits for them any more, and the line says so.
    page.once("dialog", lambda dialog: dialog.accept())
    card.locator("[data-slot=discard]").click()
    wait_until(page, "document.querySelector('[data-field=net-status]').dataset.state === 'net.synced'")
    assert page.inner_text("[data-field=net-status]") == "已同步。"
    assert phone.waiting() == 0
    assert phone.errors == []


REFUSALS = [  # (the server's field error, zh-CN, en): our words for its code, a plain word for its field
    ({"field": "lat", "code": "outside_county", "message": "位置不在本县范围内。"}, "位置不在本县范围内。",
     "Outside the county."),
    ({"field": "description", "code": "too_long"}, "问题描述：内容过长。", "Description: too long."),
    ({"field": "category_code", "code": "unknown_category"}, "问题类别不存在或已停用。",
     "Unknown or retired category."),
    ({"field": "captured_at", "code": "in_future"}, "时间晚于服务器时间：请检查手机时钟。",
     "Later than the server's clock: check the phone's clock."),
    ({"field": "photos", "code": "too_many", "limit": 9}, "照片：数量过多。", "Photos: too many."),
    ({"field": "x_internal", "code": "required"}, "缺少必填内容。", "Missing."),  # never the wire's name
    ({"field": "version", "code": "some_new_code", "message": "The server's own words"}, "The server's own words.",
     "The server's own words."),
]


def test_every_refusal_is_a_sentence_without_field_names(phone, inspector_name):
    phone.log_in(inspector_name)
    describe = """(errors) => import('/static/pwa/js/ui/outbox-view.js')
        .then((view) => errors.map(view.describeRefusal))"""
    errors = [error for error, _, _ in REFUSALS]
    assert phone.page.evaluate(describe, errors) == [zh for _, zh, _ in REFUSALS]
    phone.page.click("[data-action=lang]")
    assert phone.page.evaluate(describe, errors) == [en for _, _, en in REFUSALS]
    assert phone.errors == []


def test_the_placeholder_and_the_warnings_pass_axe(chromium, live_url, inspector_name):
    """axe-core on the capture screen while an HEIC placeholder, the photo's and the phone's outside
    warnings and the save's error all show (the page-wide check sees them hidden)."""
    from tests.browser.conftest import Phone
    from tests.browser.test_accessibility import _violations

    context = chromium.new_context(geolocation=OUTSIDE_AT, permissions=["geolocation"], bypass_csp=True,
                                   timezone_id="Asia/Shanghai", locale="zh-CN", viewport={"width": 390, "height": 844})
    try:
        phone = Phone(context, live_url)
        phone.log_in(inspector_name)
        context.set_offline(True)
        page = phone.page
        location_ready(page)
        page.set_input_files("input[name=photos]", [str(HEIC_PHOTO), str(GPS_PHOTO)])
        wait_until(page, "document.querySelectorAll('[data-field=previews] li').length === 2")
        wait_until(page, f"document.querySelector('[data-field=location-warning]').textContent === "
                         f"{DEVICE_OUTSIDE + ' ' + EXIF_OUTSIDE!r}")
        page.select_option("select[name=category]", "06012")
        page.click("#capture-form button[type=submit]")
        page.locator("[data-field=form-error]").wait_for(state="visible")
        assert page.locator(".photo-placeholder").count() == (0 if page.locator("[data-field=previews] img").count()
                                                               == 2 else 1)
        phone.screenshot("capture-warnings-axe")
        assert _violations(page) == []
        assert phone.errors == []
    finally:
        context.unroute_all(behavior="ignoreErrors")
        context.close()
