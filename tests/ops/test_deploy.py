"""The shipped deployment files pass their tools' own checks: `nginx -t` on the site inside a wrapper
config, `systemd-analyze verify` on the units; and they say what the app expects (upload size,
buffering, /metrics kept inside, gunicorn.conf.py). Needs nginx, systemd and openssl; CI has them."""
from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest

from tests.conftest import REPO

DEPLOY = REPO / "deploy"
SITE = DEPLOY / "nginx" / "xuncha.conf"
UNITS = ("xuncha-web.service", "xuncha-scheduler.service", "xuncha-worker.service")


def need(*tools: str) -> None:
    missing = [tool for tool in tools if shutil.which(tool) is None and not os.path.exists(f"/usr/sbin/{tool}")]
    if missing:
        message = f"{', '.join(missing)} missing: apt-get install -y nginx-light systemd openssl"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


def _nginx() -> str:
    return shutil.which("nginx") or "/usr/sbin/nginx"


def _site_for_test(tmp_path, text: str | None = None):
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=test",
                    "-keyout", str(tmp_path / "key.pem"), "-out", str(tmp_path / "cert.pem")],
                   check=True, capture_output=True, timeout=60)
    site = (text or SITE.read_text()).replace("/etc/ssl/xuncha/fullchain.pem", str(tmp_path / "cert.pem")) \
        .replace("/etc/ssl/xuncha/privkey.pem", str(tmp_path / "key.pem")) \
        .replace("/var/cache/nginx/xuncha", str(tmp_path / "cache"))
    (tmp_path / "site.conf").write_text(site)
    temp_paths = "\n".join(f"    {kind}_temp_path {tmp_path / kind};"
                           for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    (tmp_path / "nginx.conf").write_text(f"""
pid {tmp_path / 'nginx.pid'};
error_log {tmp_path / 'error.log'};
events {{}}
http {{
    include /etc/nginx/mime.types;
    access_log off;
{temp_paths}
    include {tmp_path / 'site.conf'};
}}
""")
    return tmp_path / "nginx.conf"


def _nginx_test(config):
    return subprocess.run([_nginx(), "-t", "-q", "-c", str(config), "-p", str(config.parent),
                           "-e", str(config.parent / "error.log")], capture_output=True, text=True, timeout=60)


def test_the_nginx_site_passes_nginx_t(tmp_path):
    need("nginx", "openssl")
    result = _nginx_test(_site_for_test(tmp_path))
    assert result.returncode == 0, result.stderr


def test_nginx_t_would_catch_a_broken_site(tmp_path):
    need("nginx", "openssl")
    broken = SITE.read_text().replace("proxy_request_buffering on;", "proxy_request_buffering maybe;")
    assert _nginx_test(_site_for_test(tmp_path, broken)).returncode != 0


def test_the_site_matches_the_app(app):
    site = SITE.read_text()
    size = re.search(r"client_max_body_size (\d+)m;", site)
    assert size and int(size.group(1)) * 1024 * 1024 == app.config["MAX_CONTENT_LENGTH"]
    assert "proxy_request_buffering on;" in site and "proxy_request_buffering off" not in site
    assert re.search(r"location = /metrics \{\s*return 404;\s*\}", site)
    assert "listen 443 ssl" in site and "ssl_certificate " in site
    assert re.search(r"location /static/ \{[^}]*alias /srv/xuncha/app/static/;", site)
    assert "proxy_cache xuncha_photos;" in site and "$http_authorization" in site  # per-caller key
    assert "X-Forwarded-For $proxy_add_x_forwarded_for" in site and "X-Request-Id $request_id" in site


def _verify(tmp_path, texts: dict[str, str]):
    env_file = tmp_path / "xuncha.env"
    env_file.write_text("DATABASE_URL=sqlite:///x\n")
    paths = []
    for name, text in texts.items():
        # The checkout is this one (systemd-analyze checks that ExecStart's program exists).
        text = text.replace("/srv/xuncha/app", str(REPO)).replace("/etc/xuncha/xuncha.env", str(env_file))
        (tmp_path / name).write_text(text)
        paths.append(str(tmp_path / name))
    return subprocess.run(["systemd-analyze", "verify", *paths], capture_output=True, text=True, timeout=120)


def test_the_systemd_units_pass_systemd_analyze_verify(tmp_path):
    need("systemd-analyze")
    result = _verify(tmp_path, {name: (DEPLOY / name).read_text() for name in UNITS})
    assert result.returncode == 0 and not result.stderr.strip(), result.stderr


def test_systemd_analyze_would_catch_a_broken_unit(tmp_path):
    need("systemd-analyze")
    text = (DEPLOY / UNITS[0]).read_text().replace("Type=notify", "Typ=notify")
    result = _verify(tmp_path, {UNITS[0]: text})
    assert "Unknown key" in result.stderr


def test_the_units_run_what_the_readme_says():
    web = (DEPLOY / "xuncha-web.service").read_text()
    scheduler = (DEPLOY / "xuncha-scheduler.service").read_text()
    assert re.search(r"^ExecStart=\S+/gunicorn -c gunicorn\.conf\.py .*wsgi:app$", web, re.M)
    assert "PROMETHEUS_MULTIPROC_DIR=/run/xuncha-web/" in web and "RuntimeDirectory=xuncha-web" in web
    worker = (DEPLOY / "xuncha-worker.service").read_text()
    assert re.search(r"^ExecStart=\S+/flask --app wsgi scheduler$", scheduler, re.M)
    assert re.search(r"^ExecStart=\S+/flask --app wsgi worker$", worker, re.M)
    assert re.search(r"^KillSignal=SIGINT$", worker, re.M)  # finish the tasks in hand (app/tasks/cli.py)
    for text in (web, scheduler, worker):
        assert "EnvironmentFile=/etc/xuncha/xuncha.env" in text and "PASSWORD" not in text.upper().replace(
            "PGPASSWORD", "")
    assert "-c gunicorn.conf.py" in (REPO / "README.md").read_text()


# --- the site at work: nginx in front of gunicorn, on random ports -----------------------------------

def _port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_until_up(url: str, deadline_s: float = 120) -> None:
    import time

    import requests

    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        try:
            requests.get(url, timeout=60, verify=False)
            return
        except requests.ConnectionError:
            time.sleep(0.2)
    pytest.fail(f"{url} did not come up")


@pytest.fixture
def stack(database_url, tmp_path, create_user):
    """gunicorn (one worker, one thread: the easiest server to stall) behind the shipped nginx site."""
    import sys

    from app.extensions import db
    from app.services.accounts.users import issue_device_token

    need("nginx", "openssl")
    import urllib3

    urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)  # the test's own certificate
    inspector = create_user("inspector")
    token, second_token = issue_device_token(inspector, "stack"), issue_device_token(inspector, "second phone")
    db.session.commit()
    app_port, tls_port, plain_port = _port(), _port(), _port()
    site = SITE.read_text().replace("server 127.0.0.1:8000;", f"server 127.0.0.1:{app_port};") \
        .replace("listen 443 ssl http2;", f"listen 127.0.0.1:{tls_port} ssl http2;") \
        .replace("listen 80;", f"listen 127.0.0.1:{plain_port};") \
        .replace("listen [::]:443 ssl http2;", "").replace("listen [::]:80;", "") \
        .replace("/srv/xuncha/app/static/", f"{REPO}/static/")
    config = _site_for_test(tmp_path, site)
    text = config.read_text()
    if os.geteuid() == 0:  # workers would otherwise run as nobody, who may not write the temp folders
        text = "user root;\n" + text
    config.write_text(text)
    env = {**os.environ, "DATABASE_URL": database_url, "MEDIA_ROOT": str(tmp_path / "media"),
           "SECRET_KEY": "y" * 64, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"), "LOG_LEVEL": "WARNING",
           "TRUSTED_PROXIES": "1", "TASK_IMMEDIATE": "1",  # thumbnails made at the upload's commit
           "TASK_QUEUE_URL": str(tmp_path / "tasks.sqlite3")}
    logs = (tmp_path / "gunicorn.log").open("wb")
    web = subprocess.Popen([str(REPO / ".venv" / "bin" / "gunicorn") if (REPO / ".venv").is_dir()
                            else str(os.path.join(os.path.dirname(sys.executable), "gunicorn")),
                            "-c", "gunicorn.conf.py", "--bind", f"127.0.0.1:{app_port}", "--workers", "1",
                            "--threads", "1", "--timeout", "120", "wsgi:app"],
                           cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=logs)
    proxy = subprocess.Popen([_nginx(), "-c", str(config), "-p", str(tmp_path), "-e", str(tmp_path / "error.log"),
                              "-g", "daemon off;"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_until_up(f"http://127.0.0.1:{app_port}/healthz")
        _wait_until_up(f"https://127.0.0.1:{tls_port}/healthz")
        yield {"app": f"http://127.0.0.1:{app_port}", "site": f"https://127.0.0.1:{tls_port}",
               "plain": f"http://127.0.0.1:{plain_port}", "token": token, "second_token": second_token,
               "tls_port": tls_port, "app_port": app_port}
    finally:
        proxy.terminate()
        web.terminate()
        proxy.wait(timeout=30)
        web.wait(timeout=30)
        logs.close()


def _half_sent_upload(port: int, token: str, tls: bool):
    """Headers and 1 KB of a 5 MB photo upload, then nothing: a phone on a dying link."""
    import socket
    import ssl

    raw = socket.create_connection(("127.0.0.1", port), timeout=30)
    sock = ssl._create_unverified_context().wrap_socket(raw) if tls else raw
    sock.sendall((f"PUT /api/v1/photos/{'a' * 64} HTTP/1.1\r\nHost: xuncha.example.gov.cn\r\n"
                  f"Authorization: Bearer {token}\r\nContent-Type: image/jpeg\r\n"
                  f"Content-Length: {5 * 1024 * 1024}\r\n\r\n").encode() + b"\xff" * 1024)
    return sock


def test_through_the_site_metrics_are_hidden_and_half_sent_uploads_stall_nothing(stack):
    import requests

    site, app = stack["site"], stack["app"]
    assert requests.get(f"{site}/metrics", verify=False, timeout=30).status_code == 404
    assert requests.get(f"{app}/metrics", timeout=30).status_code == 200  # loopback, straight to gunicorn
    health = requests.get(f"{site}/healthz", verify=False, timeout=30)
    assert health.status_code == 200 and re.fullmatch(r"[0-9a-f]{32}", health.headers["X-Request-Id"])
    assert requests.get(stack["plain"] + "/healthz", allow_redirects=False, timeout=30).status_code == 301
    static = requests.get(f"{site}/static/pwa/index.html", verify=False, timeout=30)
    assert static.status_code == 200 and static.headers["Cache-Control"] == "public, no-cache"

    stalled = [_half_sent_upload(stack["tls_port"], stack["token"], tls=True) for _ in range(10)]
    try:
        # nginx holds the ten bodies; the single gunicorn thread stays free for everyone else.
        assert requests.get(f"{site}/healthz", verify=False, timeout=30).status_code == 200
    finally:
        for sock in stalled:
            sock.close()

    direct = _half_sent_upload(stack["app_port"], stack["token"], tls=False)
    try:
        # Without nginx one half-sent upload is enough to take the only thread.
        with pytest.raises(requests.exceptions.ReadTimeout):
            requests.get(f"{app}/healthz", timeout=3)
    finally:
        direct.close()


def test_through_the_site_derivatives_are_cached_per_caller(stack):
    import hashlib
    import io

    import requests
    from PIL import Image

    site = stack["site"]
    picture = io.BytesIO()
    Image.new("RGB", (320, 240), (30, 90, 200)).save(picture, "JPEG")
    data = picture.getvalue()
    sha = hashlib.sha256(data).hexdigest()

    def call(method, path, token, **kwargs):
        return requests.request(method, f"{site}{path}", headers={"Authorization": f"Bearer {token}"},
                                verify=False, timeout=60, **kwargs)

    assert call("PUT", f"/api/v1/photos/{sha}", stack["token"], data=data).status_code == 201
    first = call("GET", f"/api/v1/photos/{sha}/thumb", stack["token"])
    again = call("GET", f"/api/v1/photos/{sha}/thumb", stack["token"])
    assert first.status_code == again.status_code == 200 and first.content == again.content
    assert (first.headers["X-Cache-Status"], again.headers["X-Cache-Status"]) == ("MISS", "HIT")
    # Another credential, even of the same inspector, is authorised by the app again: its own entry.
    other = call("GET", f"/api/v1/photos/{sha}/thumb", stack["second_token"])
    assert other.status_code == 200 and other.headers["X-Cache-Status"] == "MISS"
    # An unauthorised caller is never answered from the cache.
    stranger = call("GET", f"/api/v1/photos/{sha}/thumb", "xc_not-a-token")
    assert stranger.status_code == 401 and stranger.headers.get("X-Cache-Status") != "HIT"
    # Static files are served by nginx from disk, revalidated by their ETag.
    static = requests.get(f"{site}/static/pwa/index.html", verify=False, timeout=30)
    revalidated = requests.get(f"{site}/static/pwa/index.html", verify=False, timeout=30,
                               headers={"If-None-Match": static.headers["ETag"]})
    assert revalidated.status_code == 304
