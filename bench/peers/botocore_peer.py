"""botocore's generate_presigned_post on the benchmark policy, timed with
timeit in this process against the floor, also run in this process.

    python botocore_peer.py path/to/libpost_policy_peers.so

The floor is the Rust floor itself (base64 + HMAC-SHA256 + hex of the
benchmark policy JSON), loaded with ctypes and run n times per call, so the
call overhead is negligible. botocore's ratio is against that floor, and the
same floor measured in the Rust process converts it into a speedup. The
floor written with Python's hashlib/hmac/base64 is timed too, for reference.

Prints one JSON line per case, like bench/src/bin/compare.rs. Fixed
credentials, no network.
"""

import base64
import ctypes
import hashlib
import hmac
import json
import os
import statistics
import sys
import timeit

import boto3
from botocore.config import Config

ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
REGION = "us-east-1"
BUCKET = "examplebucket"


def client():
    session = boto3.session.Session(
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        region_name=REGION,
    )
    return session.client("s3", config=Config(signature_version="s3v4"))


def presign(s3):
    # botocore adds the bucket condition, and the key's starts-with because
    # the key ends with ${filename}.
    return s3.generate_presigned_post(
        Bucket=BUCKET,
        Key="uploads/${filename}",
        Fields={"acl": "private", "success_action_status": "201"},
        Conditions=[
            ["content-length-range", 1, 10485760],
            ["starts-with", "$Content-Type", "image/"],
            {"acl": "private"},
            {"success_action_status": "201"},
        ],
        ExpiresIn=600,
    )


def signing_key(date):
    k = ("AWS4" + SECRET_KEY).encode()
    for part in (date, REGION, "s3", "aws4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    return k


def main():
    lib = ctypes.CDLL(os.path.abspath(sys.argv[1]))
    lib.post_policy_floor.argtypes = [ctypes.c_uint64]
    lib.post_policy_floor.restype = ctypes.c_uint64
    rounds = int(os.environ.get("POST_POLICY_BENCH_ROUNDS", "200"))
    batch = int(os.environ.get("POST_POLICY_BENCH_BATCH_MS", "2")) / 1000

    s3 = client()
    post = presign(s3)
    policy_json = base64.b64decode(post["fields"]["policy"])
    key = signing_key(post["fields"]["x-amz-credential"].split("/")[1])

    def python_floor():
        policy = base64.b64encode(policy_json)
        return hmac.new(key, policy, hashlib.sha256).hexdigest()

    def iterations(f):
        f()
        n = 1
        while True:
            t = timeit.timeit(f, number=n)
            if t >= batch / 4:
                return max(1, int(batch / (t / n)))
            n *= 2

    # The Rust floor: `inner` iterations inside one call of about `batch`.
    probe = 1
    while True:
        t = timeit.timeit(lambda: lib.post_policy_floor(probe), number=1)
        if t >= batch / 4:
            inner = max(1, int(probe * batch / t))
            break
        probe *= 2

    def rust_floor_batch():
        return lib.post_policy_floor(inner)

    cases = [
        ("botocore generate_presigned_post", lambda: presign(s3)),
        ("python stdlib floor (hashlib, base64)", python_floor),
    ]
    counts = [iterations(f) for _, f in cases]
    floor_times = [[] for _ in cases]
    times, ratios = [[] for _ in cases], [[] for _ in cases]
    for _ in range(max(1, rounds)):
        for i, (_, f) in enumerate(cases):
            t_floor = timeit.timeit(rust_floor_batch, number=1) / inner
            t_case = timeit.timeit(f, number=counts[i]) / counts[i]
            floor_times[i].append(t_floor)
            times[i].append(t_case)
            ratios[i].append(t_case / t_floor)
    # As in bench/src/lib.rs: fastest batches, medians for the load.
    for i, (name, _) in enumerate(cases):
        ns, floor_ns = min(times[i]) * 1e9, min(floor_times[i]) * 1e9
        print(json.dumps({
            "process": "python",
            "case": name,
            "ns": round(ns, 1),
            "floor_ns": round(floor_ns, 1),
            "ratio": round(ns / floor_ns, 4),
            "median_ns": round(statistics.median(times[i]) * 1e9, 1),
            "median_ratio": round(statistics.median(ratios[i]), 4),
        }))
    print(
        f"botocore: {len(post['fields'])} fields, policy JSON {len(policy_json)} bytes; "
        f"floor JSON {lib.post_policy_floor(0)} bytes",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
