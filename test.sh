#!/usr/bin/env bash
# The whole test suite, on a fresh machine: installs what the tests need into
# .cache/ (only when missing, so a second run starts at once), then checks
# formatting, lints, starts the S3-compatible servers, runs every test,
# builds the docs, packs every publishable crate and installs the tools.
#
#   ./test.sh
#
# POST_POLICY_CACHE moves the cache directory.
set -euo pipefail
cd "$(dirname "$0")"
root=$PWD
cache=${POST_POLICY_CACHE:-$root/.cache}
mkdir -p "$cache"

step() { printf '\n== %s\n' "$*"; }

# Real S3-compatible servers (Garage, s3s-fs) for the end-to-end suite:
# installed once into $cache, started fresh, always stopped.
source "$root/tests/servers.sh"
trap servers_stop EXIT
trap 'exit 130' INT TERM

# Python with boto3 for the botocore differential test, and pytest and
# requests for the README's pytest fixture (tests/install.sh).
venv=$cache/venv
req=$root/tests/python/requirements.txt
stamp=$venv/.requirements
if ! cmp -s "$req" "$stamp" 2>/dev/null; then
    step "installing boto3, pytest and requests into $venv"
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$req"
    cp "$req" "$stamp"
fi
export POST_POLICY_TEST_PYTHON=$venv/bin/python
"$POST_POLICY_TEST_PYTHON" -c 'import boto3, pytest, requests' \
    || { echo "test.sh: boto3, pytest or requests did not install into $venv" >&2; exit 1; }

# A real browser for tests/tests/browser.rs: Debian's chromium (apt, when
# missing) driven by playwright-core (npm ci, pinned by
# tests/browser/package-lock.json, into $cache). Fails when it cannot. The
# same npm ci installs the AWS SDK for JavaScript's createPresignedPost for
# tests/tests/frontends.rs, which finds it through POST_POLICY_PLAYWRIGHT too,
# and the Uppy and Dropzone bundles examples/upload_widgets serves.
chromium=${POST_POLICY_CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$chromium" ]; then
    step "installing Debian's chromium with apt-get"
    sudo=()
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo > /dev/null \
            || { echo "test.sh: $chromium is missing and installing it needs root or sudo" >&2; exit 1; }
        sudo=(sudo -n)
    fi
    { "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q \
        && "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium; } \
        > "$cache/chromium-install.log" 2>&1 || {
        tail -n 30 "$cache/chromium-install.log" >&2
        echo "test.sh: could not install chromium (log: $cache/chromium-install.log)" >&2
        exit 1
    }
fi
chromium_version=$("$chromium" --version 2>&1) || {
    echo "$chromium_version" >&2
    echo "test.sh: $chromium does not run" >&2
    exit 1
}
export POST_POLICY_CHROMIUM=$chromium
command -v node > /dev/null && command -v npm > /dev/null \
    || { echo "test.sh: the browser tests need Node.js 20 or later with npm" >&2; exit 1; }
node -e 'process.exit(+process.versions.node.split(".")[0] >= 20 ? 0 : 1)' \
    || { echo "test.sh: the browser tests need Node.js 20 or later, not $(node --version)" >&2; exit 1; }
playwright=$cache/playwright
stamp=$playwright/.installed
if ! cat "$root"/tests/browser/package{,-lock}.json | cmp -s - "$stamp" 2>/dev/null; then
    step "installing playwright-core, @aws-sdk/s3-presigned-post, uppy and dropzone into $playwright (npm ci)"
    rm -rf "$playwright"
    mkdir -p "$playwright"
    cp "$root"/tests/browser/package{,-lock}.json "$playwright/"
    (cd "$playwright" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 \
        npm ci --ignore-scripts --no-audit --no-fund --loglevel=error) \
        || { echo "test.sh: npm ci of tests/browser/package.json failed in $playwright" >&2; exit 1; }
    cat "$root"/tests/browser/package{,-lock}.json > "$stamp"
fi
export POST_POLICY_PLAYWRIGHT=$playwright
step "browser: ${chromium_version##*$'\n'}, playwright-core $(node -p "require('$playwright/node_modules/playwright-core/package.json').version")"

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
# Alone, policy-runtime builds with its default features only (the workspace
# turns `aws-sdk` on for the examples and tests).
step "cargo clippy -p policy-runtime (default features)"
cargo clippy -p policy-runtime --all-targets --locked -- -D warnings

# bench/compare.sh builds the peers (outside the workspace) with --locked:
# their Cargo.lock must follow the workspace crates they use.
step "bench/peers/Cargo.lock is up to date"
cargo fetch --locked -q --manifest-path bench/peers/Cargo.toml

if [ -n "${POST_POLICY_E2E:-}" ]; then
    step "end-to-end servers from POST_POLICY_E2E (not starting our own)"
else
    servers_start
fi

step "cargo test"
cargo test --workspace --locked

step "cargo doc"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --locked

step "quickstart"
cargo run -q --locked --example quickstart > "$cache/quickstart.json" 2>/dev/null
"$POST_POLICY_TEST_PYTHON" - "$cache/quickstart.json" <<'PY'
import json, sys
out = json.load(open(sys.argv[1]))
assert set(out) == {"url", "fields"}, out
assert list(out["fields"])[-2:] == ["policy", "x-amz-signature"], out
print("quickstart prints", len(out["fields"]), "fields for", out["url"])
PY

# Every publishable crate packed and built from its packed files
# (tests/package.sh); then the two tools installed with `cargo install --path`
# and run as installed, the README's user crate built against the packages
# and its pytest fixture (tests/install.sh). The packages go to a new
# directory each run (see tests/package.sh), removed once both have passed.
step "cargo package (every publishable crate, built from its packed files)"
start=$SECONDS
packed=$(mktemp -d "${TMPDIR:-/tmp}/post-policy-packed.XXXXXX")
"$root/tests/package.sh" "$packed"
echo "cargo package: $((SECONDS - start)) s"

step "tests/install.sh (the tools as cargo install puts them, the README's user crate and pytest fixture)"
start=$SECONDS
POST_POLICY_PACKAGED=$packed/package "$root/tests/install.sh"
echo "tests/install.sh: $((SECONDS - start)) s"
rm -rf "$packed"

step "all passed"
