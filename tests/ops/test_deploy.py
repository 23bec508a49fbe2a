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
UNITS = ("xuncha-web.service", "xuncha-scheduler.service")


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
    assert re.search(r"^ExecStart=\S+/flask --app wsgi scheduler$", scheduler, re.M)
    for text in (web, scheduler):
        assert "EnvironmentFile=/etc/xuncha/xuncha.env" in text and "PASSWORD" not in text.upper().replace(
            "PGPASSWORD", "")
    assert "-c gunicorn.conf.py" in (REPO / "README.md").read_text()
