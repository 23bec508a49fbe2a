"""Media in an S3-compatible bucket (MinIO, Ceph, Aliyun OSS, Tencent COS, AWS): the S3Store backend.

Keys are the filesystem layout's (app/storage.py key_for) under S3_PREFIX. The credentials come
from boto3's standard chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY in the environment, a
profile, an instance role), never from the app's configuration. One client per process and
settings: boto3 clients are thread-safe and keep their connection pool.
"""
from __future__ import annotations

import secrets
import threading
from collections.abc import Iterator
from typing import BinaryIO

import boto3
from botocore.config import Config as BotoConfig
from botocore.exceptions import BotoCoreError, ClientError

from app.storage import VARIANTS, MediaStore, MediaUnavailable, StoredObject, key_for, parse_key

_clients: dict[tuple, object] = {}
_lock = threading.Lock()
_MISSING = {"404", "NoSuchKey", "NotFound"}
# What the phones and browsers need of the bucket: signed GETs from any origin, no credentials. The PWA
# fetch()es thumbnails to keep them offline, and after the app's cross-origin 302 the request carries
# `Origin: null`, so no list of the county's origins would match (docs/operations.md, object storage).
PHOTO_READ_CORS = {"AllowedMethods": ["GET", "HEAD"], "AllowedOrigins": ["*"], "AllowedHeaders": ["*"],
                   "ExposeHeaders": ["Content-Length", "Content-Type", "ETag"], "MaxAgeSeconds": 3600}


def client_for(endpoint_url: str | None, region: str | None, addressing_style: str = "auto", *,
               quick: bool = False):
    """The process's client for these settings (made once). `quick`: one try with short timeouts,
    for /healthz, which must answer a load balancer in seconds even when the bucket does not."""
    cache_key = (endpoint_url, region, addressing_style, quick)
    patience = ({"connect_timeout": 2, "read_timeout": 3, "retries": {"total_max_attempts": 1, "mode": "standard"}}
                if quick else {"retries": {"max_attempts": 4, "mode": "standard"}})
    with _lock:
        client = _clients.get(cache_key)
        if client is None:
            client = boto3.session.Session().client(
                "s3", endpoint_url=endpoint_url or None, region_name=region or None,
                config=BotoConfig(
                    signature_version="s3v4", s3={"addressing_style": addressing_style},
                    max_pool_connections=32, **patience,
                    # Only the checksums S3 requires: several S3-compatible stores refuse the newer
                    # default trailing checksums of boto3 >= 1.36.
                    request_checksum_calculation="when_required", response_checksum_validation="when_required"))
            _clients[cache_key] = client
    return client


class S3Store(MediaStore):
    name = "s3"
    sorted_listing = True  # ListObjectsV2 answers in key order

    def __init__(self, bucket: str, *, prefix: str = "", endpoint_url: str | None = None,
                 region: str | None = None, url_ttl_s: int = 300, addressing_style: str = "auto"):
        if not bucket:
            raise ValueError("MEDIA_BACKEND=s3 needs S3_BUCKET")
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.url_ttl_s = url_ttl_s
        self.client = client_for(endpoint_url, region, addressing_style)
        self._settings = (endpoint_url, region, addressing_style)

    @classmethod
    def from_settings(cls, config) -> S3Store:
        return cls(config.get("S3_BUCKET", ""), prefix=config.get("S3_PREFIX", ""),
                   endpoint_url=config.get("S3_ENDPOINT_URL") or None, region=config.get("S3_REGION") or None,
                   url_ttl_s=int(config.get("MEDIA_URL_TTL_S", 300)),
                   addressing_style=config.get("S3_ADDRESSING_STYLE", "auto") or "auto")

    def _key(self, variant: str, sha256: str) -> str:
        return self.prefix + key_for(variant, sha256)

    def write(self, variant: str, sha256: str, data: bytes, *, durable: bool = True) -> None:
        # A PUT is atomic and durable once it is answered: `durable` asks nothing more here.
        content_type = "image/jpeg" if variant != "original" else "application/octet-stream"
        self.client.put_object(Bucket=self.bucket, Key=self._key(variant, sha256), Body=data,
                               ContentType=content_type)

    def open(self, variant: str, sha256: str) -> BinaryIO:
        try:
            return self.client.get_object(Bucket=self.bucket, Key=self._key(variant, sha256))["Body"]
        except ClientError as exc:
            if _missing(exc):
                raise FileNotFoundError(self.locate(key_for(variant, sha256))) from None
            raise

    def size(self, variant: str, sha256: str) -> int | None:
        try:
            return self.client.head_object(Bucket=self.bucket, Key=self._key(variant, sha256))["ContentLength"]
        except ClientError as exc:
            if _missing(exc):
                return None
            raise

    def delete(self, variant: str, sha256: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._key(variant, sha256))

    def delete_key(self, key: str) -> bool:
        self.client.delete_object(Bucket=self.bucket, Key=self.prefix + key)
        return True

    def objects(self, variant: str, prefix: str | None = None) -> Iterator[StoredObject]:
        start = f"{self.prefix}{VARIANTS[variant][0]}/" + (f"{prefix}/" if prefix is not None else "")
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=start):
            for item in page.get("Contents", ()):
                key = item["Key"][len(self.prefix):]
                parsed = parse_key(key)
                yield StoredObject(key, parsed[1] if parsed else None, item["LastModified"].timestamp(),
                                   item["Size"])

    def locate(self, key: str) -> str:
        return f"s3://{self.bucket}/{self.prefix}{key}"

    def probe(self) -> str:
        client = client_for(*self._settings, quick=True)
        key = f"{self.prefix}.healthz/{secrets.token_hex(8)}"
        try:
            client.put_object(Bucket=self.bucket, Key=key, Body=b"")
            client.delete_object(Bucket=self.bucket, Key=key)
        except (BotoCoreError, ClientError) as exc:
            code = exc.response.get("Error", {}).get("Code") if isinstance(exc, ClientError) else None
            raise MediaUnavailable(f"the bucket {self.bucket} is not writable: {code or type(exc).__name__}") from exc
        return f"the bucket {self.bucket} is writable"

    def cors_rules(self) -> list[dict]:
        """The bucket's CORS rules as the bucket answers them ([] when it has none)."""
        try:
            return self.client.get_bucket_cors(Bucket=self.bucket)["CORSRules"]
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "NoSuchCORSConfiguration":
                return []
            raise

    def allow_photo_reads(self) -> None:
        """Put PHOTO_READ_CORS as the bucket's CORS configuration (it replaces any other rule)."""
        self.client.put_bucket_cors(Bucket=self.bucket, CORSConfiguration={"CORSRules": [PHOTO_READ_CORS]})

    def presigned_url(self, variant: str, sha256: str, *, filename: str | None = None,
                      content_type: str | None = None) -> str | None:
        """Signed here, without a request: the bucket answers with these headers, for MEDIA_URL_TTL_S."""
        params = {"Bucket": self.bucket, "Key": self._key(variant, sha256),
                  "ResponseCacheControl": f"private, max-age={self.url_ttl_s}"}
        if content_type:
            params["ResponseContentType"] = content_type
        if filename:
            params["ResponseContentDisposition"] = f'attachment; filename="{filename}"'
        return self.client.generate_presigned_url("get_object", Params=params, ExpiresIn=self.url_ttl_s)


def _missing(exc: ClientError) -> bool:
    return str(exc.response.get("Error", {}).get("Code")) in _MISSING
