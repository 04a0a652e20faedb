"""post-policy-local from pytest: the fixture the README shows.

It starts the endpoint as a subprocess with --ready-file, reads where it
listens from the JSON, and the tests upload forms that boto3's
generate_presigned_post signs, posted with requests. tests/install.sh runs
this file with the installed post-policy-local first on PATH:

    PATH=/path/to/bin:$PATH python -m pytest tests/python/test_local_endpoint.py
"""

import json
import secrets
import subprocess
import time

import boto3
import pytest
import requests
from botocore.config import Config


@pytest.fixture
def local_s3(tmp_path):
    """post-policy-local on a free port: its ready file, plus the secret."""
    secret = secrets.token_hex(20)  # never written to disk by the endpoint
    ready = tmp_path / "ready.json"
    endpoint = subprocess.Popen([
        "post-policy-local",
        "--credentials", f"AKIDTEST:{secret}",
        "--dir", str(tmp_path / "data"),
        "--ready-file", str(ready),
    ], stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while not ready.exists():  # written whole, once the port listens
            assert endpoint.poll() is None, "post-policy-local exited"
            assert time.monotonic() < deadline, "post-policy-local is not ready"
            time.sleep(0.02)
        yield {**json.loads(ready.read_text()), "secret_access_key": secret}
    finally:
        endpoint.terminate()
        endpoint.wait(timeout=30)


@pytest.fixture
def s3(local_s3):
    return boto3.client(
        "s3",
        endpoint_url=local_s3["endpoint"],
        region_name=local_s3["region"],
        aws_access_key_id=local_s3["access_key_id"],
        aws_secret_access_key=local_s3["secret_access_key"],
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
    )


def test_a_boto3_form_uploads(local_s3, s3):
    post = s3.generate_presigned_post(
        Bucket="uploads",
        Key="notes/${filename}",
        Conditions=[["content-length-range", 1, 1024]],
        ExpiresIn=300,
    )
    sent = requests.post(
        post["url"], data=post["fields"], files={"file": ("a.txt", b"hello")}
    )
    assert sent.status_code == 204, sent.text
    stored = requests.get(f"{local_s3['endpoint']}/uploads/notes/a.txt")
    assert stored.content == b"hello"


def test_a_file_over_the_policys_size_is_refused_and_not_stored(local_s3, s3):
    post = s3.generate_presigned_post(
        Bucket="uploads",
        Key="big.bin",
        Conditions=[["content-length-range", 1, 1024]],
        ExpiresIn=300,
    )
    sent = requests.post(
        post["url"], data=post["fields"], files={"file": ("big.bin", b"x" * 1025)}
    )
    assert sent.status_code == 400, sent.text
    assert "<Code>EntityTooLarge</Code>" in sent.text
    assert "above the policy's maximum of 1024" in sent.headers["x-post-policy-reason"]
    stored = requests.get(f"{local_s3['endpoint']}/uploads/big.bin")
    assert stored.status_code == 404


def test_the_ready_file_holds_no_secret(local_s3, tmp_path):
    text = (tmp_path / "ready.json").read_text()
    assert local_s3["secret_access_key"] not in text
    assert json.loads(text)["pid"] > 0
