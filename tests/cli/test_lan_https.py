"""make run-lan (decision 0015): the local authority and the server certificate it signs, reused or made
again, their files' modes, a real TLS handshake against gunicorn with them, the certificate download
server, and the terminal QR codes read back by a QR decoder."""
from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from ipaddress import IPv4Address
from pathlib import Path

import pytest
import requests
import zxingcpp
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID
from cryptography.x509.verification import PolicyBuilder, Store
from PIL import Image

from app.lan_https import (
    CA_CONTENT_TYPE,
    CA_DOWNLOAD_NAME,
    SERVER_DAYS,
    LanFiles,
    detect_lan_ip,
    ensure_certificates,
    parse_ip,
    subject_alt_names,
)
from app.lan_serve import make_ca_server, qr_matrix_from_terminal, terminal_qr, wait_until_answers

REPO = Path(__file__).resolve().parents[2]
LAN_IP = "192.168.31.7"


def _load(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _decode_qr(block: str) -> str:
    """Draw what the terminal shows (dark modules black, 6 px each) and read it as a camera would."""
    rows = qr_matrix_from_terminal(block)
    size = 6
    image = Image.new("L", (len(rows[0]) * size, len(rows) * size), 255)
    pixels = image.load()
    for y, row in enumerate(rows):
        for x, dark in enumerate(row):
            if dark:
                for dy in range(size):
                    for dx in range(size):
                        pixels[x * size + dx, y * size + dy] = 0
    found = zxingcpp.read_barcodes(image)
    assert len(found) == 1, f"{len(found)} QR codes read"
    return found[0].text


# --- the certificates --------------------------------------------------------------------------------

def test_server_certificate_is_signed_by_the_authority_for_the_lan_address_and_localhost(tmp_path):
    now = datetime.now(UTC)
    made = ensure_certificates(tmp_path / "lan-ca", LAN_IP)
    assert made.ca_created and made.server_created and made.ip == LAN_IP
    ca, server = _load(made.files.ca_cert), _load(made.files.server_cert)
    server.verify_directly_issued_by(ca)
    assert server.issuer == ca.subject

    ips, names = subject_alt_names(server)
    assert ips == {LAN_IP, "127.0.0.1"} and names == {"localhost"}

    # What a browser checks: a chain to a trusted root, for that address, at this time.
    store = Store([ca])
    for name in (x509.IPAddress(IPv4Address(LAN_IP)), x509.IPAddress(IPv4Address("127.0.0.1")),
                 x509.DNSName("localhost")):
        chain = PolicyBuilder().store(store).time(now).build_server_verifier(name).verify(server, [])
        assert chain[-1] == ca
    with pytest.raises(x509.verification.VerificationError):
        PolicyBuilder().store(store).time(now).build_server_verifier(
            x509.IPAddress(IPv4Address("192.168.31.8"))).verify(server, [])

    # Validity: now inside both; the server's within what Apple and browsers accept (≤ 398 days).
    assert ca.not_valid_before_utc <= now <= ca.not_valid_after_utc
    assert server.not_valid_before_utc <= now <= server.not_valid_after_utc
    assert server.not_valid_after_utc - server.not_valid_before_utc <= timedelta(days=398)
    assert server.not_valid_after_utc > now + timedelta(days=SERVER_DAYS - 1)
    assert ca.not_valid_after_utc > now + timedelta(days=9 * 365)

    # Constraints: the authority signs certificates (and nothing below it may); the server cannot.
    ca_basic = ca.extensions.get_extension_for_class(x509.BasicConstraints)
    assert ca_basic.critical and ca_basic.value.ca and ca_basic.value.path_length == 0
    ca_usage = ca.extensions.get_extension_for_class(x509.KeyUsage)
    assert ca_usage.critical and ca_usage.value.key_cert_sign and ca_usage.value.crl_sign
    server_basic = server.extensions.get_extension_for_class(x509.BasicConstraints)
    assert server_basic.critical and not server_basic.value.ca
    server_usage = server.extensions.get_extension_for_class(x509.KeyUsage).value
    assert server_usage.digital_signature and not server_usage.key_cert_sign
    eku = server.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(eku) == [ExtendedKeyUsageOID.SERVER_AUTH]


def test_keys_are_private_to_their_owner(tmp_path):
    files = ensure_certificates(tmp_path / "lan-ca", LAN_IP).files
    assert stat.S_IMODE(files.folder.stat().st_mode) == 0o700
    assert stat.S_IMODE(files.ca_key.stat().st_mode) == 0o600
    assert stat.S_IMODE(files.server_key.stat().st_mode) == 0o600
    assert stat.S_IMODE(files.ca_cert.stat().st_mode) == 0o644
    assert b"PRIVATE KEY" in files.ca_key.read_bytes() and b"PRIVATE KEY" not in files.ca_cert.read_bytes()
    assert not [p.name for p in files.folder.iterdir() if p.name.endswith(".tmp")]


def test_keys_stay_private_under_a_permissive_umask(tmp_path):
    old = os.umask(0)
    try:
        files = ensure_certificates(tmp_path / "lan-ca", LAN_IP).files
    finally:
        os.umask(old)
    assert stat.S_IMODE(files.ca_key.stat().st_mode) == 0o600


def test_a_second_run_reuses_both(tmp_path):
    first = ensure_certificates(tmp_path, LAN_IP).files
    before = {p.name: p.read_bytes() for p in (first.ca_cert, first.ca_key, first.server_cert, first.server_key)}
    again = ensure_certificates(tmp_path, LAN_IP)
    assert not again.ca_created and not again.server_created
    assert {p.name: p.read_bytes() for p in (first.ca_cert, first.ca_key, first.server_cert,
                                             first.server_key)} == before


def test_a_new_lan_address_gets_a_new_server_certificate_from_the_same_authority(tmp_path):
    first = ensure_certificates(tmp_path, LAN_IP).files
    ca_before, server_before = first.ca_cert.read_bytes(), first.server_cert.read_bytes()
    moved = ensure_certificates(tmp_path, "10.0.0.23")
    assert not moved.ca_created and moved.server_created
    assert first.ca_cert.read_bytes() == ca_before  # the phone's trust still holds
    server = _load(first.server_cert)
    assert first.server_cert.read_bytes() != server_before
    assert subject_alt_names(server)[0] == {"10.0.0.23", "127.0.0.1"}
    server.verify_directly_issued_by(_load(first.ca_cert))


def test_an_expiring_server_certificate_is_renewed_and_an_expiring_authority_replaced(tmp_path):
    now = datetime.now(UTC)
    ensure_certificates(tmp_path, LAN_IP, now=now)
    later = ensure_certificates(tmp_path, LAN_IP, now=now + timedelta(days=SERVER_DAYS - 10))
    assert later.server_created and not later.ca_created
    much_later = ensure_certificates(tmp_path, LAN_IP, now=now + timedelta(days=3650))
    assert much_later.ca_created and much_later.server_created


def test_a_damaged_or_mismatched_file_is_made_again(tmp_path):
    files = ensure_certificates(tmp_path, LAN_IP).files
    files.server_key.write_text("not a key")
    assert ensure_certificates(tmp_path, LAN_IP).server_created
    other = ensure_certificates(tmp_path / "other", LAN_IP).files
    files.ca_key.write_bytes(other.ca_key.read_bytes())  # a key that is not the certificate's
    remade = ensure_certificates(tmp_path, LAN_IP)
    assert remade.ca_created and remade.server_created
    _load(files.server_cert).verify_directly_issued_by(_load(files.ca_cert))


def test_addresses_are_checked():
    assert parse_ip(" 192.168.1.5 ") == "192.168.1.5"
    for bad in ("192.168.1.256", "phone.local", "", "::1", "1.2.3.4; rm -rf /"):
        with pytest.raises(ValueError):
            parse_ip(bad)
    IPv4Address(detect_lan_ip())  # some IPv4 address, 127.0.0.1 without a network


def test_lan_cert_command_makes_reuses_and_refuses(runner, tmp_path):
    folder = tmp_path / "lan-ca"
    made = runner.invoke(args=["lan", "cert", "--folder", str(folder), "--ip", LAN_IP])
    assert made.exit_code == 0, made.output
    assert "new: trust it on the phone" in made.output and str(folder / "ca.crt") in made.output
    quiet = runner.invoke(args=["lan", "cert", "--folder", str(folder), "--ip", LAN_IP, "--quiet"])
    assert quiet.exit_code == 0 and quiet.output == f"{LAN_IP}\n"
    kept = runner.invoke(args=["lan", "cert", "--folder", str(folder)], env={"LAN_IP": LAN_IP})
    assert "(kept)" in kept.output and "Server:      " in kept.output
    assert "a phone cannot reach it" not in kept.output
    local = runner.invoke(args=["lan", "cert", "--folder", str(folder), "--ip", "127.0.0.1"])
    assert local.exit_code == 0 and "a phone cannot reach it" in local.output
    bad = runner.invoke(args=["lan", "cert", "--folder", str(folder), "--ip", "my-phone"])
    assert bad.exit_code == 2 and "'my-phone' is not an IPv4 address" in bad.output
    (tmp_path / "file").write_text("")
    blocked = runner.invoke(args=["lan", "cert", "--folder", str(tmp_path / "file" / "lan-ca"), "--ip", LAN_IP])
    assert blocked.exit_code == 1 and "Error:" in blocked.output and "Traceback" not in blocked.output


# --- TLS for real ------------------------------------------------------------------------------------

@pytest.fixture
def https_server(tmp_path):
    """gunicorn as make run-lan starts it, with the generated certificate, on 127.0.0.1."""
    files = ensure_certificates(tmp_path / "lan-ca", "127.0.0.1").files
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
           "MEDIA_ROOT": str(tmp_path / "media"), "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics")}
    log = (tmp_path / "gunicorn.log").open("wb")
    server = subprocess.Popen(
        [str(REPO / ".venv" / "bin" / "gunicorn"), "-c", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}",
         "--certfile", str(files.server_cert), "--keyfile", str(files.server_key), "--workers", "1", "wsgi:app"],
        cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        if not wait_until_answers(f"https://127.0.0.1:{port}/healthz", 60, ca_file=files.ca_cert):
            raise AssertionError("gunicorn did not answer: " + (tmp_path / "gunicorn.log").read_text()[-2000:])
        yield files, port
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def test_gunicorn_serves_tls_that_verifies_against_the_authority_only(https_server, runner, app):
    files, port = https_server
    for host in ("127.0.0.1", "localhost"):
        answer = requests.get(f"https://{host}:{port}/healthz", verify=str(files.ca_cert), timeout=10)
        assert answer.json()["checks"]["database"]["ok"] is True
        page = requests.get(f"https://{host}:{port}/login", verify=str(files.ca_cert), timeout=10)
        assert page.status_code == 200 and "<form" in page.text
    with pytest.raises(requests.exceptions.SSLError):  # without the authority: not trusted
        requests.get(f"https://127.0.0.1:{port}/healthz", timeout=10)

    # `lan ready` waits for that server, then prints its address and QR codes that open it.
    shown = runner.invoke(args=["lan", "ready", "--folder", str(files.folder), "--ip", "127.0.0.1",
                                "--port", str(port), "--ca-port", "8080", "--timeout", "20"])
    assert shown.exit_code == 0, shown.output
    app_url, ca_url = f"https://127.0.0.1:{port}/app/", "http://127.0.0.1:8080/"
    assert f"Xuncha on the LAN: {app_url}" in shown.output
    assert f"open {ca_url} (or {ca_url}{CA_DOWNLOAD_NAME})" in shown.output
    assert "Demo logins" in shown.output
    lines = shown.output.splitlines()
    qr_lines = [line for line in lines if line.startswith("█")]
    left_width = len(qr_lines[0].split(" ")[0])  # the top quiet zone is a full row of █
    left = "\n".join(line[:left_width] for line in qr_lines if len(line) >= left_width)
    right = "\n".join(line[left_width:].strip(" ") for line in qr_lines if line[left_width:].strip())
    assert _decode_qr(left) == ca_url
    assert _decode_qr(right) == app_url


# --- what is shown and served beside it --------------------------------------------------------------

@pytest.mark.parametrize("colour", [False, True])
def test_terminal_qr_reads_back_as_the_address(colour):
    url = "https://192.168.31.7:8443/app/"
    block = terminal_qr(url, colour=colour)
    assert ("\x1b[" in block) is colour
    assert _decode_qr(block) == url


def test_the_certificate_download_server(tmp_path):
    files = ensure_certificates(tmp_path, "127.0.0.1").files
    server = make_ca_server("127.0.0.1", 0, files.ca_cert, "https://127.0.0.1:8443/app/")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        got = requests.get(f"{base}/{CA_DOWNLOAD_NAME}", timeout=10)
        assert got.status_code == 200 and got.headers["Content-Type"] == CA_CONTENT_TYPE
        assert got.content == files.ca_cert.read_bytes() and b"PRIVATE" not in got.content
        assert x509.load_pem_x509_certificate(got.content).extensions.get_extension_for_class(
            x509.BasicConstraints).value.ca
        assert "attachment" in got.headers["Content-Disposition"]
        assert requests.head(f"{base}/{CA_DOWNLOAD_NAME}", timeout=10).headers["Content-Length"] == str(
            len(got.content))
        page = requests.get(f"{base}/", timeout=10)
        assert page.status_code == 200 and f'href="/{CA_DOWNLOAD_NAME}"' in page.text
        assert 'href="https://127.0.0.1:8443/app/"' in page.text
        for path in ("/ca.key", "/server.key", "/../ca.key", "/xuncha-lan-ca.crt/../ca.key"):
            assert requests.get(base + path, timeout=10).status_code == 404
    finally:
        server.shutdown()
        server.server_close()


def test_waiting_gives_up_when_nothing_answers(runner):
    url = f"http://127.0.0.1:{_free_port()}/healthz"
    assert wait_until_answers(url, timeout_s=0.3, interval_s=0.1) is False
    result = runner.invoke(args=["wait-ready", url, "--timeout", "0.3"])
    assert result.exit_code == 1 and "did not answer within" in result.output


def test_waiting_refuses_what_it_cannot_wait_for(runner, tmp_path):
    for args in (["wait-ready", "127.0.0.1:5000"], ["wait-ready", "http://127.0.0.1:1/", "--timeout", "nan"],
                 ["wait-ready", "http://127.0.0.1:1/", "--timeout", "-1"],
                 ["lan", "ready", "--timeout", "inf", "--ip", "127.0.0.1"]):
        result = runner.invoke(args=args)
        assert result.exit_code == 2 and "Traceback" not in result.output, (args, result.output)
    missing = runner.invoke(args=["lan", "ready", "--folder", str(tmp_path / "none"), "--ip", "127.0.0.1"])
    assert missing.exit_code == 1 and "run `flask --app wsgi lan cert` first" in missing.output


def test_wait_ready_prints_the_address_only_after_the_server_answers(runner, tmp_path):
    port = _free_port()
    url = f"http://127.0.0.1:{port}/healthz"
    late = subprocess.Popen([sys.executable, "-c", (
        "import time, http.server\n"
        "time.sleep(1.0)\n"
        f"server = http.server.ThreadingHTTPServer(('127.0.0.1', {port}), http.server.SimpleHTTPRequestHandler)\n"
        "server.serve_forever()")],
        cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        result = runner.invoke(args=["wait-ready", url, "--open", f"http://127.0.0.1:{port}/login",
                                     "--timeout", "30"])
    finally:
        late.terminate()
        late.wait(timeout=10)
    assert result.exit_code == 0, result.output
    assert f"Xuncha: http://127.0.0.1:{port}/login" in result.output and "Demo logins" in result.output


def test_files_layout_is_what_the_makefile_names():
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    files = LanFiles(Path("instance/lan-ca"))
    assert "LAN_DIR := instance/lan-ca" in makefile
    assert "--certfile $(LAN_DIR)/server.crt --keyfile $(LAN_DIR)/server.key" in makefile
    assert (files.server_cert.name, files.server_key.name) == ("server.crt", "server.key")
    for path in ("instance/lan-ca/ca.key", "instance/lan-ca/server.key", "instance/lan-ca/ca.crt"):
        ignored = subprocess.run(["git", "check-ignore", "-q", path], cwd=REPO)
        assert ignored.returncode == 0, f"{path} is not git-ignored"
