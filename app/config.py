"""Configuration read from environment variables, with safe demo defaults."""
import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
INSTANCE_DIR = BASE_DIR / "instance"


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def _env_float(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _secret_key() -> str:
    """Use SECRET_KEY, else a random key kept in instance/ (never committed)."""
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    INSTANCE_DIR.mkdir(exist_ok=True)
    key_file = INSTANCE_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(os.urandom(32).hex())
        key_file.chmod(0o600)
    return key_file.read_text().strip()


class Config:
    """Settings for a running server; every value may be overridden by the environment."""

    SECRET_KEY = _secret_key()
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'xuncha.sqlite3'}"
    )
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    MEDIA_ROOT = os.environ.get("MEDIA_ROOT", str(INSTANCE_DIR / "media"))
    TIMEZONE = os.environ.get("TIMEZONE", "Asia/Shanghai")
    PORT = _env_int("PORT", 5000)

    # Map tiles (DESIGN §6): the app must know the datum of its tiles.
    TILE_URL = os.environ.get("TILE_URL", "")
    TILE_ATTRIBUTION = os.environ.get("TILE_ATTRIBUTION", "")
    TILE_CRS = os.environ.get("TILE_CRS", "WGS84")  # WGS84 (Tianditu/CGCS2000) or GCJ02 (AMap, Tencent)

    # Babel: Chinese by default, English on request.
    BABEL_DEFAULT_LOCALE = "zh_CN"
    BABEL_DEFAULT_TIMEZONE = TIMEZONE
    LANGUAGES = ["zh_CN", "en"]

    # Routing and repeats (DESIGN §4).
    REPEAT_RADIUS_M = _env_float("REPEAT_RADIUS_M", 30.0)
    REPEAT_WINDOW_DAYS = _env_float("REPEAT_WINDOW_DAYS", 7.0)
    REPEAT_LINKING = _env_bool("REPEAT_LINKING", True)
    # Who may re-inspect a resolved ticket: reporter, area (any inspector) or supervisor only.
    RECHECK_BY = os.environ.get("RECHECK_BY", "reporter")

    # Uploads: refuse oversize bodies before reading them (Flask has no limit by default).
    MAX_PHOTO_BYTES = _env_int("MAX_PHOTO_BYTES", 25 * 1024 * 1024)
    MAX_PHOTO_PIXELS = _env_int("MAX_PHOTO_PIXELS", 80_000_000)
    MAX_CONTENT_LENGTH = MAX_PHOTO_BYTES + 1024 * 1024

    # Security defaults Flask leaves open (DESIGN §10).
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", False)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    WTF_CSRF_TIME_LIMIT = None  # tied to the session; a long shift must not expire a form
    PASSWORD_HASH_METHOD = "scrypt:131072:8:1"  # OWASP minimum N=2^17 (Werkzeug's default is 2^15)


class TestConfig(Config):
    """Fast, isolated settings for the test suite."""

    TESTING = True
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"  # hashing speed is not under test
