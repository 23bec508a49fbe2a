"""`flask --app wsgi lan cert | ca-server | ready` and `wait-ready`: the pieces of `make run-lan` and
`make run` (decision 0015). The logic is in app/lan_https.py and app/lan_serve.py."""
from __future__ import annotations

import math
import sys
import unicodedata
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

# The modules behind these commands (cryptography, qrcode) load only when one runs: the app itself,
# in every gunicorn worker, registers the commands but never needs them.

class _Seconds(click.ParamType):
    """0 to 3600 seconds; NaN and infinity refused (FloatRange lets NaN through), so a wait always ends."""
    name = "seconds"

    def convert(self, value, param, ctx):
        try:
            seconds = float(value)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a number of seconds", param, ctx)
        if not math.isfinite(seconds) or not 0 <= seconds <= 3600:
            self.fail(f"{value!r} is not between 0 and 3600 seconds", param, ctx)
        return seconds


TIMEOUT = _Seconds()
lan_cli = AppGroup("lan", help="HTTPS on this machine's LAN address, for a real phone (make run-lan).")


def _folder(folder: str | None) -> Path:
    return Path(folder) if folder else Path(current_app.instance_path) / "lan-ca"


def _ip(ip: str | None) -> str:
    from app.lan_https import detect_lan_ip, parse_ip

    try:
        return parse_ip(ip) if ip else detect_lan_ip()
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--ip / LAN_IP") from None


def _folder_option(f):
    return click.option("--folder", default=None, help="Where the files are (default: instance/lan-ca).")(f)


def _ip_option(f):
    return click.option("--ip", envvar="LAN_IP", default=None,
                        help="The LAN address (env LAN_IP; default: the address of the route outside).")(f)


@lan_cli.command("cert")
@_folder_option
@_ip_option
@click.option("--quiet", is_flag=True, help="Print only the address (for the Makefile).")
def cert(folder: str | None, ip: str | None, quiet: bool) -> None:
    """Make (once) the LAN authority, and a server certificate for the LAN address (again when it changes)."""
    from app.lan_https import LanCertificateError, ensure_certificates

    try:
        made = ensure_certificates(_folder(folder), _ip(ip))
    except LanCertificateError as exc:
        raise click.ClickException(str(exc)) from None
    if quiet:
        click.echo(made.ip)
        return
    click.echo(f"LAN address: {made.ip}")
    click.echo(f"Authority:   {made.files.ca_cert} ({'new: trust it on the phone' if made.ca_created else 'kept'})")
    click.echo(f"Server:      {made.files.server_cert} ({'new' if made.server_created else 'kept'}), "
               f"key {made.files.server_key}")
    _warn_if_loopback(made.ip)


@lan_cli.command("ca-server")
@_folder_option
@_ip_option
@click.option("--port", type=click.IntRange(1, 65535), default=8080, show_default=True)
@click.option("--https-port", type=click.IntRange(1, 65535), default=8443, show_default=True)
def ca_server(folder: str | None, ip: str | None, port: int, https_port: int) -> None:
    """Serve the authority's certificate over plain HTTP on the LAN address, until stopped."""
    from app.lan_https import LanFiles
    from app.lan_serve import make_ca_server

    ip = _ip(ip)
    files = LanFiles(_folder(folder))
    if not files.ca_cert.exists():
        raise click.ClickException(f"No {files.ca_cert}: run `flask --app wsgi lan cert` first.")
    try:
        server = make_ca_server(ip, port, files.ca_cert, f"https://{ip}:{https_port}/app/")
    except OSError as exc:
        raise click.ClickException(f"Cannot serve on {ip}:{port}: {exc.strerror or exc}") from None
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


@lan_cli.command("ready")
@_folder_option
@_ip_option
@click.option("--port", type=click.IntRange(1, 65535), default=8443, show_default=True)
@click.option("--ca-port", type=click.IntRange(1, 65535), default=8080, show_default=True)
@click.option("--timeout", type=TIMEOUT, default=120.0, show_default=True, help="Seconds to wait for the server.")
def ready(folder: str | None, ip: str | None, port: int, ca_port: int, timeout: float) -> None:
    """Wait until the HTTPS server answers, then print its address, QR codes and the demo logins."""
    from app.lan_https import CA_DOWNLOAD_NAME, LanFiles
    from app.lan_serve import terminal_qr, wait_until_answers

    ip = _ip(ip)
    files = LanFiles(_folder(folder))
    if not files.ca_cert.exists():
        raise click.ClickException(f"No {files.ca_cert}: run `flask --app wsgi lan cert` first.")
    app_url, ca_url = f"https://{ip}:{port}/app/", f"http://{ip}:{ca_port}/"
    if not wait_until_answers(f"https://{ip}:{port}/healthz", timeout, ca_file=files.ca_cert):
        raise click.ClickException(f"https://{ip}:{port} did not answer within {timeout:.0f} s.")
    colour = sys.stdout.isatty()
    click.echo("")
    click.echo(f"Xuncha on the LAN: {app_url}  (desk and admin: https://{ip}:{port}/login)")
    click.echo(side_by_side(("1. certificate / 证书", terminal_qr(ca_url, colour)),
                            ("2. app / 应用", terminal_qr(app_url, colour))))
    click.echo("On the phone, on the same network (README.md, \"On a real phone\"):")
    click.echo(f"  1. open {ca_url} (or {ca_url}{CA_DOWNLOAD_NAME}), install and trust the certificate, once")
    click.echo(f"  2. open {app_url}")
    _warn_if_loopback(ip)
    _print_logins()


@click.command("wait-ready")
@click.argument("url")
@click.option("--open", "open_url", default=None, help="The address to print once URL answers.")
@click.option("--timeout", type=TIMEOUT, default=120.0, show_default=True, help="Seconds to wait.")
def wait_ready(url: str, open_url: str | None, timeout: float) -> None:
    """Wait until URL answers, then print the address to open and the demo logins (make run)."""
    from app.lan_serve import wait_until_answers

    if not url.startswith(("http://", "https://")):
        raise click.BadParameter("give an http:// or https:// address", param_hint="URL")
    if not wait_until_answers(url, timeout):
        raise click.ClickException(f"{url} did not answer within {timeout:.0f} s.")
    click.echo("")
    click.echo(f"Xuncha: {open_url or url}")
    _print_logins()


def _warn_if_loopback(ip: str) -> None:
    if ip.startswith("127."):
        click.echo(f"{ip} is this machine's own address (no network found?): a phone cannot reach it. "
                   "Give the Wi-Fi address: make run-lan LAN_IP=192.168.x.y", err=True)


def side_by_side(*blocks: tuple[str, str], gap: int = 4) -> str:
    """Titled text blocks next to each other, each padded to its widest line."""
    columns = []
    for title, body in blocks:
        lines = [title, *body.splitlines()]
        width = max(len(_visible(line)) for line in lines)
        columns.append([line + " " * (width - len(_visible(line))) for line in lines])
    height = max(len(c) for c in columns)
    for column in columns:
        column += [" " * len(_visible(column[0]))] * (height - len(column))  # a shorter code
    return "\n".join((" " * gap).join(parts).rstrip() for parts in zip(*columns, strict=True))


def _visible(line: str) -> str:
    """The line as wide as the terminal shows it: colours dropped, a Chinese character two columns."""
    from app.lan_serve import strip_ansi

    return "".join(ch * 2 if unicodedata.east_asian_width(ch) in "WF" else ch for ch in strip_ansi(line))


def _print_logins() -> None:
    from app.cli import print_demo_logins

    print_demo_logins()
