"""Reverse geocoders through geopy (issue 18): which provider, in which datum, how often, how the answer reads.

- `nominatim`: geopy's own Nominatim client against GEOCODER_URL (any Nominatim-compatible server:
  `/reverse?lat=&lon=&format=json&addressdetails=1`), WGS-84.
- `baidu`: Baidu's reverse_geocoding/v3 with BAIDU_MAP_AK (and BAIDU_MAP_SK's `sn` signature if set).
  Baidu works in BD-09 unless told otherwise: the request says `coordtype=wgs84ll`, so the phone's
  WGS-84 position goes as it is and Baidu converts it exactly (our own BD-09 formula would not be).
- `tianditu`: Tianditu's geocoder with TIANDITU_SERVER_KEY; CGCS2000, which is WGS-84 to centimetres.
- `amap`: AMap's regeo with AMAP_KEY; AMap takes GCJ-02 only, so the position is shifted first
  (supervision/gcj02.py). Only the question is converted: the ticket keeps its WGS-84 position.

Every request waits its turn (geopy's RateLimiter, GEOCODER_MIN_DELAY_S apart: Nominatim's public
policy is one a second) and gives up after GEOCODER_TIMEOUT_S. A provider that knows no address
answers ""; a failure raises GeocodingFailed, and the caller names the place offline instead.
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from geopy.adapters import URLLibAdapter
from geopy.exc import GeocoderServiceError, GeopyError
from geopy.extra.rate_limiter import RateLimiter
from geopy.geocoders import BaiduV3, Nominatim
from geopy.geocoders.base import DEFAULT_SENTINEL, Geocoder

from app.services.supervision.gcj02 import wgs84_to_gcj02
from app.text import is_storable

log = logging.getLogger(__name__)

PROVIDERS = ("nominatim", "baidu", "tianditu", "amap")
DEFAULT_URLS = {"baidu": "https://api.map.baidu.com", "tianditu": "http://api.tianditu.gov.cn",
                "amap": "https://restapi.amap.com"}
KEY_SETTINGS = {"baidu": "BAIDU_MAP_AK", "tianditu": "TIANDITU_SERVER_KEY", "amap": "AMAP_KEY"}
USER_AGENT = "xuncha-field-inspection/1.0"  # Nominatim's policy: an application's own User-Agent
MAX_TEXT = 300  # Ticket.address


class GeocoderMisconfigured(ValueError):
    pass


class GeocodingFailed(Exception):
    """The provider did not answer (down, slow, refused the key, answered nonsense)."""


@dataclass(frozen=True)
class Settings:
    provider: str
    url: str
    key: str = ""
    secret: str = ""
    min_delay_s: float = 1.0
    timeout_s: float = 3.0

    @classmethod
    def from_config(cls, config) -> Settings | None:
        """The configured geocoder, or None for none (GEOCODER blank); GeocoderMisconfigured if half set."""
        provider = (config.get("GEOCODER") or "").strip().lower()
        if not provider:
            return None
        if provider not in PROVIDERS:
            raise GeocoderMisconfigured(f"GEOCODER={provider!r}: one of {', '.join(PROVIDERS)} or blank")
        url = (config.get("GEOCODER_URL") or DEFAULT_URLS.get(provider, "")).strip().rstrip("/")
        if not urlsplit(url).netloc:
            raise GeocoderMisconfigured(f"GEOCODER={provider} needs GEOCODER_URL=http://host:port")
        key = config.get(KEY_SETTINGS[provider], "") if provider in KEY_SETTINGS else ""
        if provider in KEY_SETTINGS and not key:
            raise GeocoderMisconfigured(f"GEOCODER={provider} needs {KEY_SETTINGS[provider]}")
        return cls(provider, url, key, config.get("BAIDU_MAP_SK", "") if provider == "baidu" else "",
                   float(config.get("GEOCODER_MIN_DELAY_S", 1.0)), float(config.get("GEOCODER_TIMEOUT_S", 3.0)))


class ReverseGeocoder:
    """One provider behind one rate limiter; `address_at` is the only call the job makes."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.provider = settings.provider
        self._client = _client(settings)
        self._ask = RateLimiter(self._client.reverse, min_delay_seconds=settings.min_delay_s, max_retries=0,
                                swallow_exceptions=False)

    def address_at(self, lat: float, lon: float) -> str:
        """The address at a WGS-84 position, "" if the provider knows none; GeocodingFailed if it failed."""
        if self.provider == "amap":
            lat, lon = wgs84_to_gcj02(lat, lon)
        try:
            answer = self._ask((lat, lon))
        except (GeopyError, ValueError, TypeError, KeyError, AttributeError) as exc:
            raise GeocodingFailed(f"{self.provider}: {type(exc).__name__}: {exc}") from exc
        if self.provider == "nominatim":
            answer = nominatim_text(answer.raw if answer is not None else {})
        text = " ".join((answer or "").split())[:MAX_TEXT]
        return text if is_storable(text) else ""


_lock = threading.Lock()
_geocoders: dict[Settings, ReverseGeocoder] = {}


def configured(config) -> ReverseGeocoder | None:
    """The process's geocoder for these settings (kept, so its rate limit spans the job's runs)."""
    settings = Settings.from_config(config)
    if settings is None:
        return None
    with _lock:
        if settings not in _geocoders:
            _geocoders[settings] = ReverseGeocoder(settings)
        return _geocoders[settings]


def _client(settings: Settings) -> Geocoder:
    parts = urlsplit(settings.url)
    # urllib, whatever else is installed: the same in production as in tests, and no silent retries
    # (requests' adapter retries a read timeout twice, tripling a short timeout).
    common = {"scheme": parts.scheme or "http", "timeout": settings.timeout_s, "user_agent": USER_AGENT,
              "adapter_factory": URLLibAdapter}
    if settings.provider == "nominatim":
        return _Nominatim(domain=parts.netloc + parts.path, **common)
    if settings.provider == "baidu":
        return _BaiduWgs84(settings.key, base_url=settings.url, security_key=settings.secret or None, **common)
    if settings.provider == "tianditu":
        return _Tianditu(settings.key, base_url=settings.url, **common)
    return _AMap(settings.key, base_url=settings.url, **common)


class _Nominatim(Nominatim):
    """geopy's client as it is, asked for a street-level answer in Chinese."""

    def reverse(self, query, **kwargs):
        return super().reverse(query, exactly_one=True, language="zh-CN", zoom=18, addressdetails=True, **kwargs)


_TOWNSHIP_KEYS = ("town", "suburb", "village", "township", "city_district", "quarter")
_PLACE_KEYS = ("amenity", "building", "shop", "tourism", "leisure", "neighbourhood", "hamlet")


def nominatim_text(raw: dict) -> str:
    """Nominatim's answer in the order a Chinese address reads: "城关镇 · 人民路12号".

    Its display_name runs the Western way (number, road, …, province, postcode, country); it is the
    fallback when the address parts name neither a township nor a road or place."""
    parts = raw.get("address") or {}
    township = next((parts[k] for k in _TOWNSHIP_KEYS if parts.get(k)), "")
    road, number = parts.get("road") or parts.get("pedestrian") or "", str(parts.get("house_number") or "")
    if road and number:
        road += number + ("号" if number.isdigit() else "")
    spot = road or raw.get("name") or next((parts[k] for k in _PLACE_KEYS if parts.get(k)), "")
    text = " · ".join(p for p in (township, spot) if p)
    return text or str(raw.get("display_name") or "")


def trim_region(text: str, regions) -> str:
    """Drop the leading province / city / county names everyone in the county knows."""
    for region in regions:
        if isinstance(region, str) and region and text.startswith(region) and len(text) > len(region):
            text = text[len(region):]
    return text


class _BaiduWgs84(BaiduV3):
    """Baidu's reverse geocoder told that the position is WGS-84 (`coordtype=wgs84ll`), at a chosen host."""

    def __init__(self, api_key, *, base_url: str, **kwargs):
        super().__init__(api_key, **kwargs)
        self.reverse_api = base_url + self.reverse_path

    def reverse(self, query, *, exactly_one=True, timeout=DEFAULT_SENTINEL):
        params = {"ak": self.api_key, "output": "json", "coordtype": "wgs84ll",
                  "location": self._coerce_point_to_string(query)}
        url = self._construct_url(self.reverse_api, self.reverse_path, params)
        return self._call_geocoder(url, self._answer, timeout=timeout)

    def _answer(self, page: dict) -> str:
        if page.get("status") != 0:
            self._check_status(page.get("status"))  # raises for each error status
            raise GeocoderServiceError(f"Baidu status {page.get('status')!r}")
        result = page.get("result") or {}
        parts = result.get("addressComponent") or {}
        return trim_region(result.get("formatted_address") or "",
                           (parts.get("province"), parts.get("city"), parts.get("district")))


class _KeyedGeocoder(Geocoder):
    """A small client on geopy's base: its HTTP adapter, timeouts, User-Agent and exceptions."""

    reverse_path = ""

    def __init__(self, key: str, *, base_url: str, **kwargs):
        super().__init__(**kwargs)
        self.key = key
        self.reverse_api = base_url + self.reverse_path

    def _get(self, params: dict, callback, timeout):
        return self._call_geocoder(f"{self.reverse_api}?{urlencode(params)}", callback, timeout=timeout)


class _Tianditu(_KeyedGeocoder):
    reverse_path = "/geocoder"

    def reverse(self, query, *, timeout=DEFAULT_SENTINEL):
        lat, lon = query
        post = f"{{'lon':{lon:.6f},'lat':{lat:.6f},'ver':1}}"  # the form Tianditu documents
        return self._get({"postStr": post, "type": "geocode", "tk": self.key}, self._answer, timeout)

    @staticmethod
    def _answer(page: dict) -> str:
        if str(page.get("status")) != "0":
            raise GeocoderServiceError(f"Tianditu: {page.get('msg') or page.get('status')}")
        result = page.get("result") or {}
        parts = result.get("addressComponent") or {}
        return trim_region(result.get("formatted_address") or "",
                           (parts.get("province"), parts.get("city"), parts.get("county")))


class _AMap(_KeyedGeocoder):
    reverse_path = "/v3/geocode/regeo"

    def reverse(self, query, *, timeout=DEFAULT_SENTINEL):
        lat, lon = query  # already GCJ-02
        params = {"key": self.key, "location": f"{lon:.6f},{lat:.6f}", "extensions": "base", "output": "JSON"}
        return self._get(params, self._answer, timeout)

    @staticmethod
    def _answer(page: dict) -> str:
        if str(page.get("status")) != "1":
            raise GeocoderServiceError(f"AMap: {page.get('info') or page.get('status')}")
        regeo = page.get("regeocode") or {}
        text = regeo.get("formatted_address")
        parts = regeo.get("addressComponent") or {}
        return trim_region(text if isinstance(text, str) else "",  # AMap sends [] when it knows nothing
                           (parts.get("province"), parts.get("city"), parts.get("district")))

