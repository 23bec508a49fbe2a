"""`flask --app wsgi media cors`: the bucket gets the CORS rule the phones need to read signed photo links."""
from __future__ import annotations

import uuid

import pytest

from app.storage_s3 import PHOTO_READ_CORS, client_for
from tests.photos.conftest import S3_SETTINGS


@pytest.fixture
def fresh_bucket(app, s3_server, monkeypatch):
    """A bucket of this test's own (a CORS rule is the whole bucket's), configured as the media backend."""
    for name in S3_SETTINGS:
        monkeypatch.setitem(app.config, name, s3_server.get(name, ""))
    name = f"cors-{uuid.uuid4().hex[:12]}"
    client = client_for(s3_server["S3_ENDPOINT_URL"], s3_server["S3_REGION"], "path")
    client.create_bucket(Bucket=name)
    monkeypatch.setitem(app.config, "S3_BUCKET", name)
    monkeypatch.setitem(app.config, "S3_PREFIX", "")
    return client, name


def test_the_command_sets_the_rule_and_check_tells_whether_it_is_there(runner, fresh_bucket):
    client, name = fresh_bucket
    before = runner.invoke(args=["media", "cors", "--check"])
    assert before.exit_code == 1 and "lacks the CORS rule" in before.output

    result = runner.invoke(args=["media", "cors"])
    assert result.exit_code == 0, result.output
    assert f"The bucket {name} now lets any origin GET" in result.output
    assert client.get_bucket_cors(Bucket=name)["CORSRules"] == [PHOTO_READ_CORS]

    again = runner.invoke(args=["media", "cors", "--check"])
    assert again.exit_code == 0 and "lets any origin GET the signed photo links" in again.output


def test_another_rule_is_replaced_and_said_so(runner, fresh_bucket):
    client, name = fresh_bucket
    client.put_bucket_cors(Bucket=name, CORSConfiguration={
        "CORSRules": [{"AllowedMethods": ["PUT"], "AllowedOrigins": ["https://elsewhere.example"]}]})
    result = runner.invoke(args=["media", "cors"])
    assert result.exit_code == 0 and "Replacing the bucket's 1 CORS rule(s)." in result.output
    assert client.get_bucket_cors(Bucket=name)["CORSRules"] == [PHOTO_READ_CORS]


def test_on_the_filesystem_there_is_nothing_to_set(runner, app, monkeypatch):
    monkeypatch.setitem(app.config, "MEDIA_BACKEND", "filesystem")
    result = runner.invoke(args=["media", "cors"])
    assert result.exit_code == 2 and "MEDIA_BACKEND is not s3" in result.output
