#!/usr/bin/env bash
# The upload path: the local endpoint (release build), Garage and s3s-fs
# taking signed POST uploads over loopback from one streaming client,
# beside the floor (MD5 of the bytes and a write, fsync and rename on the
# same disk); peak memory and requests per second. See BENCHMARKS.md.
#
#   bench/upload.sh                          # 1 KiB, 1 MiB, 64 MiB, 1 GiB; 3 rounds
#   bench/upload.sh --sizes 1KiB,1MiB --rounds 5 --rps-seconds 3 --concurrency 1,16,100
#
# Arguments go to the `upload` binary (bench/src/bin/upload.rs). Starts the
# servers as ./test.sh does (tests/servers.sh; installed into .cache/ on the
# first run, about 8 minutes), always stops them. Raw results:
# .cache/bench/upload.jsonl; the table is printed.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
cache=${POST_POLICY_CACHE:-$root/.cache}
mkdir -p "$cache/bench"
case ${1:-} in -h|--help) sed -n '2,14p' "$0"; exit 0 ;; esac

step() { printf '== %s\n' "$*" >&2; }

step "building post-policy-local and the upload benchmark (release)"
cargo build --release --locked -q -p post-policy-local --bin post-policy-local
cargo build --release --locked -q -p policy-bench --bin upload
target=$(cargo metadata --format-version 1 --no-deps \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')

source "$root/tests/servers.sh"
trap servers_stop EXIT
trap 'exit 130' INT TERM
servers_start >&2

results=$cache/bench/upload.jsonl
step "uploading (results in $results)"
POST_POLICY_LOCAL_BIN=$target/release/post-policy-local \
    "$target/release/upload" "$@" > "$results"
python3 "$root/bench/upload_report.py" "$results"
