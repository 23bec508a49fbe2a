"""HTTPS on the machine's LAN address, to try the PWA on a real phone (`make run-lan`, decision 0015).

Service workers and geolocation need a secure origin (https, or localhost); a phone reaches this
machine by its LAN address, so that address needs a certificate the phone trusts. A small
certificate authority is made once per checkout (instance/lan-ca/, git-ignored; keys mode 0600)
and installed on the phone once; the server certificate it signs names the current LAN address,
localhost and 127.0.0.1, and is made again whenever the address changes, while the phone keeps
trusting the same authority.
"""
from __future__ import annotations

import ipaddress
import os
import socket
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CA_DAYS = 3650
# Apple refuses TLS server certificates valid for more than 825 days, browsers those over 398
# from public roots; 397 passes everywhere.
SERVER_DAYS = 397
RENEW_BEFORE = timedelta(days=30)
CA_DOWNLOAD_NAME = "xuncha-lan-ca.crt"
CA_CONTENT_TYPE = "application/x-x509-ca-cert"


class LanCertificateError(Exception):
    """The folder's files cannot be read or written."""


@dataclass(frozen=True)
class LanFiles:
    folder: Path

    @property
    def ca_cert(self) -> Path:
        return self.folder / "ca.crt"

    @property
    def ca_key(self) -> Path:
        return self.folder / "ca.key"

    @property
    def server_cert(self) -> Path:
        return self.folder / "server.crt"

    @property
    def server_key(self) -> Path:
        return self.folder / "server.key"


@dataclass(frozen=True)
class LanCertificates:
    files: LanFiles
    ip: str
    ca_created: bool
    server_created: bool


def detect_lan_ip() -> str:
    """The address other machines on the network reach this one by: the source address of the
    route to the outside. connect() on a UDP socket only picks the route; nothing is sent."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("192.0.2.1", 9))  # TEST-NET-1 (RFC 5737): never a real host
        address = probe.getsockname()[0]
    except OSError:
        address = "127.0.0.1"  # no network: only this machine can reach it
    finally:
        probe.close()
    return address


def parse_ip(text: str) -> str:
    """A literal IPv4 address, normalised (what a phone on the Wi-Fi reaches); a ValueError naming it otherwise."""
    try:
        return str(ipaddress.IPv4Address(text.strip()))
    except ValueError:
        raise ValueError(f"{text!r} is not an IPv4 address") from None


def ensure_certificates(folder: Path, ip: str, now: datetime | None = None) -> LanCertificates:
    """Reuse the authority and the server certificate in `folder` when still good for `ip`;
    make what is missing, expiring or for another address."""
    ip = parse_ip(ip)
    now = now or datetime.now(UTC)
    files = LanFiles(Path(folder))
    try:
        files.folder.mkdir(parents=True, exist_ok=True)
        files.folder.chmod(0o700)
        ca = _load_ca(files, now)
        ca_created = ca is None
        if ca is None:
            ca = _new_ca(now)
            _write_key(files.ca_key, ca[1])
            _write_public(files.ca_cert, ca[0])
        server_created = ca_created or not _server_still_good(files, ca[0], ip, now)
        if server_created:
            cert, key = _new_server_cert(ca, ip, now)
            _write_key(files.server_key, key)
            _write_public(files.server_cert, cert)
    except OSError as exc:
        raise LanCertificateError(f"{files.folder}: {exc.strerror or exc}") from exc
    return LanCertificates(files, ip, ca_created, server_created)


def subject_alt_names(cert: x509.Certificate) -> tuple[set[str], set[str]]:
    """(IP addresses, DNS names) a certificate is valid for."""
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return set(), set()
    return {str(a) for a in san.get_values_for_type(x509.IPAddress)}, set(san.get_values_for_type(x509.DNSName))


def _load_ca(files: LanFiles, now: datetime):
    if not (files.ca_cert.exists() and files.ca_key.exists()):
        return None
    try:
        cert = x509.load_pem_x509_certificate(files.ca_cert.read_bytes())
        key = serialization.load_pem_private_key(files.ca_key.read_bytes(), password=None)
    except ValueError:
        return None  # damaged: a new authority (the phone must trust it again)
    if key.public_key().public_numbers() != cert.public_key().public_numbers():
        return None
    if cert.not_valid_after_utc - RENEW_BEFORE < now:
        return None
    return cert, key


def _server_still_good(files: LanFiles, ca_cert: x509.Certificate, ip: str, now: datetime) -> bool:
    if not (files.server_cert.exists() and files.server_key.exists()):
        return False
    try:
        cert = x509.load_pem_x509_certificate(files.server_cert.read_bytes())
        key = serialization.load_pem_private_key(files.server_key.read_bytes(), password=None)
        cert.verify_directly_issued_by(ca_cert)
    except (ValueError, TypeError, InvalidSignature):
        return False
    if key.public_key().public_numbers() != cert.public_key().public_numbers():
        return False
    ips, _names = subject_alt_names(cert)
    return ip in ips and cert.not_valid_after_utc - RENEW_BEFORE > now


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Xuncha development"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _new_ca(now: datetime):
    key = ec.generate_private_key(ec.SECP256R1())
    # The host name and date tell this machine's authority from another's in the phone's list.
    name = _name(f"Xuncha LAN CA {socket.gethostname()[:32]} {now:%Y-%m-%d}")
    cert = (x509.CertificateBuilder()
            .subject_name(name).issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(now + timedelta(days=CA_DAYS))
            # path_length=0: it signs server certificates only, never another authority.
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                         content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False,
                                         encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256()))
    return cert, key


def _new_server_cert(ca, ip: str, now: datetime):
    ca_cert, ca_key = ca
    key = ec.generate_private_key(ec.SECP256R1())
    addresses = [ipaddress.ip_address(ip)]
    if ip != "127.0.0.1":
        addresses.append(ipaddress.ip_address("127.0.0.1"))
    san = x509.SubjectAlternativeName([x509.DNSName("localhost"), *(x509.IPAddress(a) for a in addresses)])
    ca_ski = ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    cert = (x509.CertificateBuilder()
            .subject_name(_name(f"Xuncha {ip}")).issuer_name(ca_cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(now + timedelta(days=SERVER_DAYS))
            .add_extension(san, critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=False, crl_sign=False,
                                         content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False,
                                         encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False)
            .sign(ca_key, hashes.SHA256()))
    return cert, key


def _write_key(path: Path, key) -> None:
    data = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())
    _write_atomically(path, data, 0o600)


def _write_public(path: Path, cert: x509.Certificate) -> None:
    _write_atomically(path, cert.public_bytes(serialization.Encoding.PEM), 0o644)


def _write_atomically(path: Path, data: bytes, mode: int) -> None:
    """Created with its mode (a key is never readable by others, not even for a moment), then
    renamed over the old file, so a reader never sees half of one."""
    partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.chmod(partial, mode)  # os.open's mode passes through the umask
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
