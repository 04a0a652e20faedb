#!/usr/bin/env bash
# Every publishable crate (each one cargo metadata lists without
# `publish = false`), packed as `cargo publish` would upload it and built from
# the packed files, with the unpublished workspace crates it needs resolved
# from their own packages: a file a package lacks (an `include_str!` from
# outside the crate, a missing readme) fails here. Run by test.sh.
#
#   tests/package.sh DIR
#
# Leaves the packages in DIR/package/ (NAME-VERSION.crate, and NAME-VERSION/
# unpacked), for tests/install.sh; DIR must be new and empty.
#
# Why DIR is new each run: cargo unpacks the packages it resolves locally
# into $CARGO_HOME/registry/src/-HASH/, HASH naming DIR/package, and never
# unpacks a name and version there again; packing twice into one directory
# would build the second run against the first run's sources. What this run
# unpacked there is removed when it ends. The builds still reuse the
# workspace's: DIR/debug is a link to its target directory's debug/.
#
# --allow-dirty: a run before a commit packs the working tree.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
target=${CARGO_TARGET_DIR:-$root/target}
unpacked=${CARGO_HOME:-$HOME/.cargo}/registry/src

fail() {
    echo "tests/package.sh: $*" >&2
    exit 1
}

[ $# -eq 1 ] || fail "usage: tests/package.sh DIR (a new, empty directory)"
dir=$1
[ -d "$dir" ] && [ -z "$(ls -A "$dir")" ] || fail "$dir is not an empty directory: give a new one (mktemp -d)"

mapfile -t publishable < <(cargo metadata --no-deps --format-version 1 --locked \
    | python3 -c '
import json, sys
for p in json.load(sys.stdin)["packages"]:
    if p["publish"] != []:
        print("--package=" + p["name"])')
[ "${#publishable[@]}" -gt 0 ] || fail "cargo metadata failed or lists no publishable crate"

mkdir -p "$target/debug" "$unpacked"
ln -s "$target/debug" "$dir/debug"
before=$(ls -A "$unpacked")
forget_unpacked() {
    local name
    for name in $(ls -A "$unpacked"); do
        # Only the local registries this run created: crates.io's sources
        # and other runs' are left alone.
        case $name in -*) ;; *) continue ;; esac
        grep -qxF -- "$name" <<< "$before" || rm -rf "${unpacked:?}/$name"
    done
}
trap forget_unpacked EXIT

log=$dir/package.log
cargo package --locked --allow-dirty --target-dir "$dir" "${publishable[@]}" > "$log" 2>&1 || {
    tail -n 40 "$log" >&2
    fail "cargo package ${publishable[*]} failed (log: $log)"
}
grep -E '^ *(Packaging|Packaged|Verifying) ' "$log"
