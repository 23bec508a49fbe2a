"""Configuration read from environment variables, with safe demo defaults."""
import os
from datetime import timedelta
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


RANKING_WEIGHT_NAMES = ("on_time", "resolved", "rework", "overdue", "urgent_overdue_penalty", "rework_penalty")


def _env_weights(name: str) -> dict[str, float]:
    """`a=1,b=2` into {"a": 1.0, "b": 2.0}; names outside RANKING_WEIGHT_NAMES are refused at start-up."""
    weights = {}
    for part in filter(None, (p.strip() for p in os.environ.get(name, "").split(","))):
        key, _, value = part.partition("=")
        if key.strip() not in RANKING_WEIGHT_NAMES:
            raise ValueError(f"{name}: unknown weight {key.strip()!r} (known: {', '.join(RANKING_WEIGHT_NAMES)})")
        weights[key.strip()] = float(value)
    return weights


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
    # Photo files: "filesystem" (under MEDIA_ROOT) or "s3", an S3-compatible bucket (decision 0018). The
    # bucket's keys come from boto3's chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY), never from here.
    MEDIA_BACKEND = os.environ.get("MEDIA_BACKEND", "filesystem")
    S3_ENDPOINT_URL = os.environ.get("S3_ENDPOINT_URL", "")  # blank: AWS itself
    S3_BUCKET = os.environ.get("S3_BUCKET", "")
    S3_REGION = os.environ.get("S3_REGION", "")
    S3_PREFIX = os.environ.get("S3_PREFIX", "")
    S3_ADDRESSING_STYLE = os.environ.get("S3_ADDRESSING_STYLE", "auto")  # path (MinIO), virtual (OSS, COS)
    MEDIA_URL_TTL_S = _env_int("MEDIA_URL_TTL_S", 300)  # lifetime of a presigned photo URL
    # "nginx": photo GETs answer X-Accel-Redirect to /_media/ (filesystem backend; deploy/nginx).
    MEDIA_SERVE = os.environ.get("MEDIA_SERVE", "app")
    TIMEZONE = os.environ.get("TIMEZONE", "Asia/Shanghai")
    PORT = _env_int("PORT", 5000)

    # The address staff open (https://host[:port], no path): links in slips' QR codes, exports, messages.
    PUBLIC_URL = os.environ.get("PUBLIC_URL", "")

    # Map tiles (docs/design.md §6): the app must know the datum of its tiles.
    # TILE_PROVIDER picks a preset (app/services/supervision/tiles.py): tianditu (needs TIANDITU_KEY,
    # TILE_STYLE vector|imagery), amap, tencent, or custom (the TILE_* settings below; the default).
    TILE_PROVIDER = os.environ.get("TILE_PROVIDER", "custom")
    TIANDITU_KEY = os.environ.get("TIANDITU_KEY", "")
    TILE_STYLE = os.environ.get("TILE_STYLE", "vector")
    TILE_URL = os.environ.get("TILE_URL", "")
    TILE_SUBDOMAINS = os.environ.get("TILE_SUBDOMAINS", "abc")
    TILE_ATTRIBUTION = os.environ.get("TILE_ATTRIBUTION", "")
    TILE_CRS = os.environ.get("TILE_CRS", "WGS84")  # custom tiles' datum: WGS84 (CGCS2000) or GCJ02
    TILE_MIN_ZOOM = _env_int("TILE_MIN_ZOOM", 0)
    TILE_MAX_ZOOM = _env_int("TILE_MAX_ZOOM", 18)
    TILE_HOST_OVERRIDE = os.environ.get("TILE_HOST_OVERRIDE", "")  # a proxy serving the presets' hosts

    # Assignment slips (交办单): a CJK font to embed; empty means Noto Sans SC from the pinned
    # pylopdf-fonts-zh-cn wheel (requirements.txt), so no system font is assumed.
    PDF_FONT_PATH = os.environ.get("PDF_FONT_PATH", "")
    SLIP_MAX_TICKETS = _env_int("SLIP_MAX_TICKETS", 300)  # per department and PDF; the cover says if cut
    SLIP_NUMBER_PREFIX = os.environ.get("SLIP_NUMBER_PREFIX", "创城交")  # 创城交〔2026〕第 N 号

    # The department ranking (通报, app/services/supervision/ranking.py): the formula's weights, as
    # RANKING_WEIGHTS="on_time=40,resolved=20,rework=20,overdue=20,urgent_overdue_penalty=1,rework_penalty=0.5".
    RANKING_WEIGHTS = _env_weights("RANKING_WEIGHTS")
    RANKING_MIN_SAMPLE = _env_int("RANKING_MIN_SAMPLE", 5)  # fewer tickets: 样本不足, not ranked
    CAMPAIGN_OFFICE_CODE = os.environ.get("CAMPAIGN_OFFICE_CODE", "CCB")  # the office that is not ranked
    # The weekly 通报 (app/services/supervision/bulletin.py): who is named for criticism, and whether the
    # scheduler puts last week's into the campaign office's notification centre on Mondays.
    BULLETIN_CRITICISE_BELOW = _env_float("BULLETIN_CRITICISE_BELOW", 60.0)  # a ranked unit scoring less
    BULLETIN_CRITICISE_OVERDUE = _env_int("BULLETIN_CRITICISE_OVERDUE", 5)  # or this many overdue tickets
    BULLETIN_WEEKLY = _env_bool("BULLETIN_WEEKLY", False)
    BULLETIN_HOUR = _env_int("BULLETIN_HOUR", 8)  # local hour on Mondays

    # Babel: Chinese by default, English on request.
    BABEL_DEFAULT_LOCALE = "zh_CN"
    BABEL_DEFAULT_TIMEZONE = TIMEZONE
    LANGUAGES = ["zh_CN", "en"]

    # Routing and repeats (docs/design.md §4).
    REPEAT_RADIUS_M = _env_float("REPEAT_RADIUS_M", 30.0)
    REPEAT_WINDOW_DAYS = _env_float("REPEAT_WINDOW_DAYS", 7.0)
    REPEAT_LINKING = _env_bool("REPEAT_LINKING", True)
    # Who may re-inspect a resolved ticket: reporter, area (any inspector) or supervisor only.
    RECHECK_BY = os.environ.get("RECHECK_BY", "reporter")

    # The SLA clock (app/services/tickets/sla.py): "workdays" (weekends and the holidays of the county's
    # calendar, /admin/calendar, do not count; make-up days do) or "calendar" hours.
    SLA_CALENDAR = os.environ.get("SLA_CALENDAR", "workdays")
    DUE_SOON_HOURS = _env_float("DUE_SOON_HOURS", 24.0)  # the desk marks these; the reminder job sends

    # Scheduled jobs (app/jobs): run by `flask --app wsgi scheduler`, one holder of a database lease.
    OVERDUE_CHECK_MINUTES = _env_int("OVERDUE_CHECK_MINUTES", 5)
    DIGEST_HOUR = _env_int("DIGEST_HOUR", 8)  # local hour (TIMEZONE) of the daily department digest
    SCHEDULER_LEASE_SECONDS = _env_int("SCHEDULER_LEASE_SECONDS", 90)
    JOB_RETRIES = _env_int("JOB_RETRIES", 3)
    JOB_RETRY_DELAY_SECONDS = _env_float("JOB_RETRY_DELAY_SECONDS", 10.0)

    # E-mail for notifications: off unless SMTP_HOST is set.
    SMTP_HOST = os.environ.get("SMTP_HOST", "")
    SMTP_PORT = _env_int("SMTP_PORT", 25)
    SMTP_USERNAME = os.environ.get("SMTP_USERNAME", "")
    SMTP_PASSWORD = os.environ.get("SMTP_PASSWORD", "")
    SMTP_STARTTLS = _env_bool("SMTP_STARTTLS", False)
    SMTP_TIMEOUT = _env_float("SMTP_TIMEOUT", 10.0)
    MAIL_FROM = os.environ.get("MAIL_FROM", "xuncha@localhost")
    # Group-chat robots (WeCom, DingTalk; app/services/notifications/webhooks.py): each allows about 20
    # messages a minute; a failed send is retried after WEBHOOK_BACKOFF_S, doubling, at most that many times.
    WEBHOOK_RATE_PER_MINUTE = _env_int("WEBHOOK_RATE_PER_MINUTE", 20)
    WEBHOOK_BACKOFF_S = _env_float("WEBHOOK_BACKOFF_S", 60.0)
    WEBHOOK_MAX_ATTEMPTS = _env_int("WEBHOOK_MAX_ATTEMPTS", 8)
    WEBHOOK_TIMEOUT_S = _env_float("WEBHOOK_TIMEOUT_S", 10.0)

    # Uploads: refuse oversize bodies before reading them (Flask has no limit by default).
    MAX_PHOTO_BYTES = _env_int("MAX_PHOTO_BYTES", 25 * 1024 * 1024)
    # Pixel limits by how a format is decoded, read from the header before any decoding, so that
    # one photo's memory is bounded (docs/design.md §5; bench/photo_memory.py measures it). A
    # sequential JPEG is decoded at a reduced DCT scale (draft mode): a few MB even at 80 MP, room
    # for a 48 MP phone photo. This also caps every other format.
    MAX_PHOTO_PIXELS = _env_int("MAX_PHOTO_PIXELS", 80_000_000)
    # PNG, HEIC/HEIF and progressive (multi-scan) JPEG are decoded at full size, 4 bytes a pixel:
    # 25 MP is 100 MB, and a 24 MP phone photo (5712 x 4284 HEIC) fits.
    MAX_PHOTO_PIXELS_WHOLE = _env_int("MAX_PHOTO_PIXELS_WHOLE", 25_000_000)
    # WebP: Pillow's decoder holds four full-size canvases at once (libwebp's frame and the one
    # before, a copy as bytes, the image), 16 bytes a pixel: 3.5 MP, more than the PWA's 2048 px copies.
    MAX_PHOTO_PIXELS_WEBP = _env_int("MAX_PHOTO_PIXELS_WEBP", 3_500_000)
    # Full-size decodes at once per worker process (its threads share them); a request waits this
    # long for one, then gets 503 "busy" with Retry-After. Each takes a worker at most 2 x 100 MB +
    # 50 MB above its idle size (bench/photo_memory.py); a JPEG decoded small needs no slot.
    PHOTO_DECODE_SLOTS = _env_int("PHOTO_DECODE_SLOTS", 2)
    PHOTO_DECODE_WAIT_S = _env_float("PHOTO_DECODE_WAIT_S", 10.0)
    # A new upload answers 503 "busy" (Retry-After PHOTO_BACKLOG_RETRY_S) while this many photos wait
    # for their derivatives, so the wait for a thumbnail stays bounded (issue 20); 0: never.
    PHOTO_BACKLOG_LIMIT = _env_int("PHOTO_BACKLOG_LIMIT", 12)
    PHOTO_BACKLOG_RETRY_S = _env_int("PHOTO_BACKLOG_RETRY_S", 1)
    MAX_CONTENT_LENGTH = MAX_PHOTO_BYTES + 1024 * 1024
    # Background tasks (app/tasks, decision 0014): the photo derivatives after an upload answered.
    # embedded: a SQLite file (TASK_QUEUE_URL: its path, default instance/tasks.sqlite3), nothing else
    # needed; redis: TASK_QUEUE_URL redis://host:6379/db, for workers on several hosts.
    TASK_QUEUE = os.environ.get("TASK_QUEUE", "embedded")
    TASK_QUEUE_URL = os.environ.get("TASK_QUEUE_URL", "")
    TASK_QUEUE_NAME = os.environ.get("TASK_QUEUE_NAME", "xuncha")  # Redis key prefix / queue name
    # Whether a web process runs tasks itself after its answer when no `flask worker` is alive:
    # auto = with the embedded queue only; on; off (the worker does everything).
    TASK_IN_WEB = os.environ.get("TASK_IN_WEB", "auto")
    TASK_IN_WEB_POLL_S = _env_float("TASK_IN_WEB_POLL_S", 5.0)  # how often it looks for retries come due
    TASK_WORKERS = _env_int("TASK_WORKERS", 2)  # threads of `flask worker`
    TASK_IMMEDIATE = _env_bool("TASK_IMMEDIATE", False)  # run each task at its commit (tests)
    # A photo task that fails is tried again this many times, first after this delay, doubling.
    PHOTO_TASK_RETRIES = _env_int("PHOTO_TASK_RETRIES", 3)
    PHOTO_TASK_RETRY_DELAY_S = _env_float("PHOTO_TASK_RETRY_DELAY_S", 10.0)
    # Files no photo row references are removed after this long (an upload may be mid-commit).
    MEDIA_ORPHAN_GRACE_H = _env_float("MEDIA_ORPHAN_GRACE_H", 24.0)

    # Evidence flags on photos (docs/design.md §5): shown to supervisors, never blocking.
    EVIDENCE_MAX_DISTANCE_M = _env_float("EVIDENCE_MAX_DISTANCE_M", 200.0)
    EVIDENCE_MAX_TIME_DRIFT_H = _env_float("EVIDENCE_MAX_TIME_DRIFT_H", 24.0)
    EVIDENCE_MAX_PHASH_DISTANCE = _env_int("EVIDENCE_MAX_PHASH_DISTANCE", 4)  # of 64 bits: near-identical

    # The offline sync protocol (docs/design.md §3, docs/sync-protocol.md).
    SYNC_BATCH_LIMIT = _env_int("SYNC_BATCH_LIMIT", 50)  # reports (and, apart, actions) per request
    SYNC_CHANGES_LIMIT = _env_int("SYNC_CHANGES_LIMIT", 200)  # changes per answer; the phone asks again
    SYNC_MAX_PHOTOS = _env_int("SYNC_MAX_PHOTOS", 9)
    SYNC_MAX_DESCRIPTION = _env_int("SYNC_MAX_DESCRIPTION", 1000)
    SYNC_CLOCK_SKEW_S = _env_float("SYNC_CLOCK_SKEW_S", 600.0)  # how far in the future a capture may be
    # A report outside the county boundary: "reject" it, or "accept" it (evidence flags mark it).
    SYNC_OUTSIDE_COUNTY = os.environ.get("SYNC_OUTSIDE_COUNTY", "reject")

    # Addresses for reports sent without one (app/services/reports/addresses.py, issue 18): a scheduled job
    # asks a reverse geocoder, else names the place from the county's own data (township, nearest point).
    GEOCODER = os.environ.get("GEOCODER", "")  # blank: offline names only; nominatim, baidu, tianditu or amap
    GEOCODER_URL = os.environ.get("GEOCODER_URL", "")  # nominatim: required (http://host:port); others: override
    BAIDU_MAP_AK = os.environ.get("BAIDU_MAP_AK", "")  # Baidu's server-side AK (reverse_geocoding/v3)
    BAIDU_MAP_SK = os.environ.get("BAIDU_MAP_SK", "")  # its SK, when the AK is set to sign requests (sn)
    TIANDITU_SERVER_KEY = os.environ.get("TIANDITU_SERVER_KEY", "")  # a server key (tiles take a browser key)
    AMAP_KEY = os.environ.get("AMAP_KEY", "")  # AMap's Web service key
    GEOCODER_MIN_DELAY_S = _env_float("GEOCODER_MIN_DELAY_S", 1.0)  # between requests: Nominatim's 1 a second
    GEOCODER_TIMEOUT_S = _env_float("GEOCODER_TIMEOUT_S", 3.0)  # then the offline name
    GEOCODER_BATCH = _env_int("GEOCODER_BATCH", 30)  # tickets per run (every minute), oldest first
    OFFLINE_PLACE_RADIUS_M = _env_float("OFFLINE_PLACE_RADIUS_M", 300.0)  # "…附近" only within this distance
    # A phone not seen this long while it still held unsent items is reported (issue 18, app/jobs/device_loss.py).
    DEVICE_SILENT_HOURS = _env_int("DEVICE_SILENT_HOURS", 72)

    # Security defaults Flask leaves open (docs/design.md §10).
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", False)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    WTF_CSRF_TIME_LIMIT = None  # tied to the session; a long shift must not expire a form
    PASSWORD_HASH_METHOD = "scrypt:131072:8:1"  # OWASP minimum N=2^17 (Werkzeug's default is 2^15)
    # How many reverse proxies (nginx) stand in front and set X-Forwarded-For; 0 for none.
    TRUSTED_PROXIES = _env_int("TRUSTED_PROXIES", 0)
    # Operations (app/ops, docs/operations.md): JSON log lines, who may read /metrics, /healthz's limits.
    LOG_FORMAT = os.environ.get("LOG_FORMAT", "json")  # json, or text for a terminal
    LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
    METRICS_ALLOW = os.environ.get("METRICS_ALLOW", "127.0.0.1,::1")  # addresses/networks; after TRUSTED_PROXIES
    HEALTH_HEARTBEAT_MAX_AGE_S = _env_float("HEALTH_HEARTBEAT_MAX_AGE_S", 300.0)  # the lease renews every 30 s
    HEALTH_EMAIL_MAX_AGE_S = _env_float("HEALTH_EMAIL_MAX_AGE_S", 900.0)  # send_email runs every minute
    # Group-chat robots' outbox: send_webhooks runs every 30 s; a failing robot's messages age here.
    HEALTH_MESSAGE_MAX_AGE_S = _env_float("HEALTH_MESSAGE_MAX_AGE_S", 900.0)
    # A pending photo is requeued after 10 minutes (requeue_photo_tasks); twice that is a warning.
    HEALTH_PHOTO_TASK_MAX_AGE_S = _env_float("HEALTH_PHOTO_TASK_MAX_AGE_S", 1200.0)
    SENTRY_DSN = os.environ.get("SENTRY_DSN", "")  # optional error reporting (sentry-sdk)
    SENTRY_ENVIRONMENT = os.environ.get("SENTRY_ENVIRONMENT", "")
    # Open311 GeoReport v2: reads need an api_key unless the county opens them to the public.
    OPEN311_PUBLIC = _env_bool("OPEN311_PUBLIC", False)
    OPEN311_CONTACT = os.environ.get("OPEN311_CONTACT", "创城办")
    # When set, a request naming another jurisdiction_id is refused (404); blank: none is checked.
    OPEN311_JURISDICTION = os.environ.get("OPEN311_JURISDICTION", "")
    # Requests a minute per integration API key (a fixed window counted in the database), then 429.
    API_KEY_RATE_LIMIT = _env_int("API_KEY_RATE_LIMIT", 60)
    # Login throttling (app/services/accounts/login_guard.py), kept in the database for every worker.
    # No lockout: after the free failures each further failure doubles the wait before the next try,
    # counted per (account, address) pair and per address, so an attacker's failures delay only the
    # attacker's address; the owner elsewhere at worst waits the mild account-wide delay.
    LOGIN_FREE_FAILURES = _env_int("LOGIN_FREE_FAILURES", 5)  # per (account, address), since its last success
    LOGIN_FREE_FAILURES_PER_IP = _env_int("LOGIN_FREE_FAILURES_PER_IP", 30)  # per address, all accounts
    LOGIN_FREE_FAILURES_PER_ACCOUNT = _env_int("LOGIN_FREE_FAILURES_PER_ACCOUNT", 20)  # per account, all addresses
    LOGIN_DELAY_BASE_S = _env_float("LOGIN_DELAY_BASE_S", 2.0)  # the first wait; doubled by each further failure
    LOGIN_MAX_DELAY_S = _env_float("LOGIN_MAX_DELAY_S", 900.0)  # cap of the pair's and the address's wait
    LOGIN_ACCOUNT_MAX_DELAY_S = _env_float("LOGIN_ACCOUNT_MAX_DELAY_S", 30.0)  # cap of the account-wide wait
    LOGIN_MEMORY_H = _env_float("LOGIN_MEMORY_H", 24.0)  # failures older than this no longer count
    # Web sessions (app/services/accounts/sessions.py): a row per login, ended by logout, a password
    # reset or disabling. Idle: a session unused this long ends (the signed cookie is re-signed at most
    # every 5 minutes of use, and Flask refuses a cookie signed longer ago than PERMANENT_SESSION_LIFETIME;
    # the cookie itself lasts until the browser closes). Absolute: a working day, whatever the use.
    # The PWA syncs with its device token, so neither limit stops a phone's queue.
    SESSION_IDLE_MINUTES = _env_int("SESSION_IDLE_MINUTES", 240)
    SESSION_MAX_HOURS = _env_float("SESSION_MAX_HOURS", 12.0)
    PERMANENT_SESSION_LIFETIME = timedelta(minutes=SESSION_IDLE_MINUTES)  # Flask's default is 31 days


class TestConfig(Config):
    """Fast, isolated settings for the test suite."""

    TESTING = True
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'test.sqlite3'}")
    # Concurrency tests open one connection per thread (50 copies of one report at once).
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True, "pool_size": 10, "max_overflow": 60, "pool_timeout": 60}
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"  # hashing speed is not under test
    # Photo derivatives are made at the upload's commit, so every test sees thumbnails at once;
    # tests/photos/test_derivative_tasks.py opts into the real queues (tests/photos/conftest.py).
    TASK_IMMEDIATE = True
    PHOTO_TASK_RETRY_DELAY_S = 0.0
    # The suite's deadline arithmetic is in plain hours; tests/sla and tests/calendar turn workdays on.
    SLA_CALENDAR = "calendar"
