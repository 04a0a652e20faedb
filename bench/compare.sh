#!/usr/bin/env bash
# Signing and verifying one form, at the cost of the cryptography alone and
# against the peers, in one go; then what post_policy! costs the build.
#
#   bench/compare.sh                  # everything (about 2 minutes on 2 cores once installed)
#   bench/compare.sh --no-build-cost  # only the per-form timings (about a minute)
#
# Installs what it needs into its own cache directory (.cache/bench/, or
# POST_POLICY_BENCH_CACHE): a venv with a pinned boto3, and the rust-s3 peer
# (bench/peers/, outside the workspace) built there. Each process times its
# cases interleaved with the floor (base64 + HMAC-SHA256 + hex of the same
# policy JSON), so every ratio is against a floor measured in the same
# process, under the same load. POST_POLICY_BENCH_ROUNDS (default 200) and
# POST_POLICY_BENCH_BATCH_MS (default 2) set how long each process measures.
#
# Needs Rust, Python 3 and network access to crates.io and PyPI on the first
# run. Prints a table; the raw results are in $cache/results.jsonl.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
cache=${POST_POLICY_BENCH_CACHE:-$root/.cache/bench}
mkdir -p "$cache"
build_cost=1
for arg in "$@"; do
    case $arg in
        --no-build-cost) build_cost=0 ;;
        -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
        *) echo "compare.sh: unknown argument $arg" >&2; exit 2 ;;
    esac
done

step() { printf '== %s\n' "$*" >&2; }

# Python with boto3, pinned, in a venv this script owns.
venv=$cache/venv
req=$root/bench/peers/requirements.txt
if ! cmp -s "$req" "$venv/.requirements" 2>/dev/null; then
    step "installing boto3 into $venv"
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$req"
    cp "$req" "$venv/.requirements"
fi
python=$venv/bin/python

step "building our benchmarks (release)"
cargo build --release --locked -q -p policy-bench --bins
target=$(cargo metadata --format-version 1 --no-deps | "$python" -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')

step "building the rust-s3 peer (release, outside the workspace)"
peers_target=$cache/peers-target
CARGO_TARGET_DIR=$peers_target cargo build --release --locked -q \
    --manifest-path "$root/bench/peers/Cargo.toml"

results=$cache/results.jsonl
: > "$results"
step "timing ours against the floor"
"$target/release/compare" >> "$results"
step "counting allocations"
"$target/release/allocations" >> "$results"
step "timing rust-s3 against the floor"
"$peers_target/release/rust-s3-peer" >> "$results"
step "timing botocore against the floor"
"$python" "$root/bench/peers/botocore_peer.py" \
    "$peers_target/release/libpost_policy_peers.so" >> "$results"

if [ "$build_cost" = 1 ]; then
    scratch=$(mktemp -d)
    trap 'rm -rf "$scratch"' EXIT
    log=$scratch/cargo.log

    # Seconds taken by a command (its output goes to $log; shown on failure).
    seconds() {
        local start end
        start=$(date +%s.%N)
        if ! "$@" > "$log" 2>&1; then
            cat "$log" >&2
            echo "compare.sh: failed: $*" >&2
            exit 1
        fi
        end=$(date +%s.%N)
        awk -v s="$start" -v e="$end" 'BEGIN { printf "%.2f", e - s }'
    }
    record() { printf '{"process":"build","case":"%s","seconds":%s}\n' "$1" "$2" >> "$results"; }

    # A small binary crate depending on the workspace's crates by path, with
    # the workspace's Cargo.lock so both builds compile the same versions.
    new_crate() {
        mkdir -p "$1/src"
        cat > "$1/Cargo.toml" <<EOF
[package]
name = "$(basename "$1")"
version = "0.0.0"
edition = "2021"
publish = false

[workspace]

[dependencies]
policy-runtime = { path = "$root/policy-runtime" }
EOF
        cp "$root/Cargo.lock" "$1/Cargo.lock"
    }

    step "build cost: clean build, one policy with post_policy! and with the builder"
    new_crate "$scratch/with-macro"
    cat > "$scratch/with-macro/src/main.rs" <<'EOF'
use policy_runtime::{post_policy, Credentials, Region, Signer};

post_policy! {
    pub struct Upload {
        bucket = "examplebucket",
        key starts_with "uploads/",
        content_length 1..=10_485_760,
        content_type starts_with "image/",
        acl = "private",
        success_action_status = 201,
        expires_in = 10 min,
    }
}

fn main() -> Result<(), policy_runtime::Error> {
    let signer = Signer::new(Credentials::new("AK", "SK")?, Region::new("us-east-1")?);
    println!("{}", Upload.sign(&signer)?.to_json());
    Ok(())
}
EOF
    new_crate "$scratch/with-builder"
    cat > "$scratch/with-builder/src/main.rs" <<'EOF'
use policy_runtime::{Credentials, Policy, Region, Signer};

fn main() -> Result<(), policy_runtime::Error> {
    let signer = Signer::new(Credentials::new("AK", "SK")?, Region::new("us-east-1")?);
    let policy = Policy::builder()
        .bucket("examplebucket")?
        .key_starts_with("uploads/")?
        .content_length_range(1..=10_485_760)?
        .starts_with("Content-Type", "image/")?
        .acl("private")?
        .success_action_status(201)?
        .expires_in(policy_runtime::time::Duration::minutes(10))
        .build()?;
    println!("{}", signer.sign(&policy)?.to_json());
    Ok(())
}
EOF
    for crate in with-macro with-builder; do
        dir=$scratch/$crate
        # Fetch first, so the timing is compiling only.
        (cd "$dir" && cargo fetch -q)
        t=$(cd "$dir" && export CARGO_TARGET_DIR="$dir/target" && seconds cargo build -q)
        record "clean build, $crate" "$t"
        touch "$dir/src/main.rs"
        t=$(cd "$dir" && export CARGO_TARGET_DIR="$dir/target" && seconds cargo build -q)
        record "rebuild of the crate alone, $crate" "$t"
    done

    step "build cost: cargo check with 100 post_policy! invocations and without"
    dir=$scratch/hundred
    new_crate "$dir"
    {
        echo '#![allow(dead_code)]'
        echo 'use policy_runtime::post_policy;'
        for i in $(seq 1 100); do
            cat <<EOF
post_policy! {
    /// Upload kind $i.
    pub struct Upload$i {
        bucket = "bucket-$i",
        key starts_with "tenant-$i/{user_id}/",
        content_length 1..=$((1000 * i)),
        content_type starts_with "image/",
        acl = "private",
        success_action_status = 201,
        meta("kind") = "$i",
        expires_in = $i min,
    }
}
EOF
        done
        echo 'fn main() {}'
    } > "$scratch/hundred.rs"
    printf '#![allow(dead_code)]\nfn main() {}\n' > "$scratch/none.rs"
    cp "$scratch/none.rs" "$dir/src/main.rs"
    (cd "$dir" && export CARGO_TARGET_DIR="$dir/target" && cargo check -q)   # dependencies, once
    for round in 1 2 3; do
        for variant in none hundred; do
            cp "$scratch/$variant.rs" "$dir/src/main.rs"
            t=$(cd "$dir" && export CARGO_TARGET_DIR="$dir/target" && seconds cargo check -q)
            record "cargo check, $variant, round $round" "$t"
        done
    done
fi

"$python" "$root/bench/report.py" "$results"
