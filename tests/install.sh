#!/usr/bin/env bash
# The tools and the library as a user gets them. Run by test.sh after
# tests/package.sh, whose unpacked packages (POST_POLICY_PACKAGED, a
# directory of NAME-VERSION/) it builds the user crate against:
#
#   1. `cargo install --path` of the CLI and of the local endpoint into a
#      temporary root; `post-policy --help` and `post-policy-local --help`
#      run from there;
#   2. the installed `post-policy-local` started on a free port with
#      --ready-file, the JSON read, a policy signed by the installed
#      `post-policy sign`, posted with curl (201), read back with a GET;
#   3. the README's user crate (tests/my-app: `cargo add policy-runtime` and
#      its main.rs) built outside the workspace against the packaged
#      crates, its form posted to the same endpoint (204) and read back;
#   4. the endpoint stopped with SIGTERM: exit 0, ready file removed;
#   5. the README's pytest fixture (tests/python/test_local_endpoint.py)
#      with the installed binaries first on PATH.
#
#   POST_POLICY_PACKAGED=DIR/package POST_POLICY_TEST_PYTHON=PYTHON tests/install.sh
#
# Needs curl, the packages tests/package.sh DIR left, and a Python with
# boto3, pytest and requests; test.sh sets both variables. Builds with
# --debug into the workspace's target directory (CARGO_TARGET_DIR, else
# target/), so that it reuses test.sh's builds.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
target=${CARGO_TARGET_DIR:-$root/target}
python=${POST_POLICY_TEST_PYTHON:-}
packaged=${POST_POLICY_PACKAGED:-}

fail() {
    echo "tests/install.sh: $*" >&2
    exit 1
}

[ -n "$python" ] || fail "POST_POLICY_TEST_PYTHON is not set: give it a Python with boto3, pytest and requests (./test.sh sets it)"
command -v curl > /dev/null || fail "curl is missing"
[ -n "$packaged" ] || fail "POST_POLICY_PACKAGED is not set: run tests/package.sh DIR and set it to DIR/package (./test.sh does)"
version=$(cargo metadata --no-deps --format-version 1 --locked | "$python" -c '
import json, sys
print(next(p["version"] for p in json.load(sys.stdin)["packages"] if p["name"] == "policy-runtime"))')
for crate in policy-runtime policy-macros policy-rules; do
    [ -f "$packaged/$crate-$version/Cargo.toml" ] \
        || fail "$packaged/$crate-$version is missing: POST_POLICY_PACKAGED is not what tests/package.sh left"
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/post-policy-install.XXXXXX")
endpoint_pid=
cleanup() {
    if [ -n "$endpoint_pid" ] && kill -0 "$endpoint_pid" 2> /dev/null; then
        kill "$endpoint_pid" 2> /dev/null || true
        wait "$endpoint_pid" 2> /dev/null || true
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT

# run LOG COMMAND...: runs COMMAND with its output in $tmp/LOG, printed
# (the end of it) only when it fails.
run() {
    local log=$tmp/$1
    shift
    "$@" > "$log" 2>&1 || {
        tail -n 40 "$log" >&2
        fail "failed: $*"
    }
}

# json FILE KEY: one value of a JSON object, as text.
json() {
    "$python" -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"
}

# post FORM.json FILE: posts the signed form with curl, fields as given
# (literally: --form-string), the file last; prints the HTTP status.
post() {
    local form=$1 file=$2 url
    local args=()
    url=$(json "$form" url)
    mapfile -d '' args < <("$python" -c '
import json, sys
for name, value in json.load(open(sys.argv[1]))["fields"].items():
    sys.stdout.write("--form-string\0%s=%s\0" % (name, value))
' "$form")
    curl -sS -o "$tmp/answer" -w '%{http_code}' "${args[@]}" \
        -F "file=@$file;type=text/plain" "$url" \
        || fail "curl could not post the form to $url"
}

# expect_object URL FILE: a GET of URL answers 200 with FILE's bytes.
expect_object() {
    local url=$1 file=$2 status
    status=$(curl -sS -o "$tmp/got" -w '%{http_code}' "$url") \
        || fail "curl could not GET $url"
    [ "$status" = 200 ] || fail "GET $url answered $status, not 200: $(cat "$tmp/got")"
    cmp -s "$tmp/got" "$file" || fail "GET $url did not return the bytes uploaded"
}

# 1. Install both tools.
bin=$tmp/root/bin
for crate in cli local-s3; do
    start=$SECONDS
    run "install-$crate.log" cargo install --locked --debug --path "$crate" \
        --root "$tmp/root" --target-dir "$target"
    echo "cargo install --path $crate: $((SECONDS - start)) s"
done
[ -x "$bin/post-policy" ] || fail "cargo install --path cli did not install $bin/post-policy"
[ -x "$bin/post-policy-local" ] || fail "cargo install --path local-s3 did not install $bin/post-policy-local"
"$bin/post-policy" --help > "$tmp/help" || fail "the installed post-policy --help failed"
grep -q 'post-policy sign' "$tmp/help" || fail "the installed post-policy --help does not describe sign: $(head -n 3 "$tmp/help")"
"$bin/post-policy-local" --help > "$tmp/help" || fail "the installed post-policy-local --help failed"
grep -q -- '--ready-file' "$tmp/help" || fail "the installed post-policy-local --help does not describe --ready-file"

# 2. Start the installed endpoint; wait for its ready file.
secret=$("$python" -c 'import secrets; print(secrets.token_hex(20))')
ready=$tmp/ready.json
"$bin/post-policy-local" --credentials "AKIDINSTALL:$secret" --region eu-west-1 \
    --dir "$tmp/data" --ready-file "$ready" > "$tmp/endpoint.log" 2>&1 &
endpoint_pid=$!
for _ in $(seq 1 200); do
    [ -e "$ready" ] && break
    kill -0 "$endpoint_pid" 2> /dev/null || {
        cat "$tmp/endpoint.log" >&2
        fail "the installed post-policy-local exited before writing its ready file"
    }
    sleep 0.05
done
[ -e "$ready" ] || fail "the installed post-policy-local wrote no ready file in 10 s"
! grep -qF "$secret" "$ready" || fail "the ready file holds the secret access key"
endpoint=$(json "$ready" endpoint)
region=$(json "$ready" region)
[ "$(json "$ready" pid)" = "$endpoint_pid" ] || fail "the ready file's pid is not the endpoint's"
echo "post-policy-local (installed) listens on $endpoint"

# Credentials for the endpoint, as a user's environment would hold them.
sign_env=(env -u AWS_SESSION_TOKEN -u AWS_DEFAULT_REGION -u AWS_ENDPOINT_URL
    -u AWS_PROFILE AWS_ACCESS_KEY_ID=AKIDINSTALL AWS_SECRET_ACCESS_KEY="$secret"
    AWS_REGION="$region" AWS_ENDPOINT_URL_S3="$endpoint")

# A policy signed by the installed CLI, posted with curl.
expiration=$("$python" -c '
import datetime
later = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(minutes=10)
print(later.strftime("%Y-%m-%dT%H:%M:%SZ"))')
cat > "$tmp/policy.json" <<JSON
{"expiration": "$expiration", "conditions": [
  {"bucket": "installed"},
  ["starts-with", "\$key", "cli/"],
  ["content-length-range", 1, 1024],
  {"success_action_status": "201"}
]}
JSON
"${sign_env[@]}" "$bin/post-policy" sign "$tmp/policy.json" --key cli/hello.txt \
    > "$tmp/cli-form.json" 2> "$tmp/sign.log" || {
    cat "$tmp/sign.log" >&2
    fail "the installed post-policy sign failed"
}
printf 'signed by the installed post-policy\n' > "$tmp/hello.txt"
status=$(post "$tmp/cli-form.json" "$tmp/hello.txt")
[ "$status" = 201 ] || fail "the form post-policy signed was answered $status, not 201: $(cat "$tmp/answer")"
expect_object "$endpoint/installed/cli/hello.txt" "$tmp/hello.txt"
echo "post-policy sign: a form the endpoint took (201) and served back"

# 3. The README's user crate, against the packaged crates.
cp -R "$root/tests/my-app" "$tmp/my-app"
cat >> "$tmp/my-app/Cargo.toml" <<TOML

# Not published yet: the crates as \`cargo package\` packed them.
[patch.crates-io]
policy-runtime = { path = "$packaged/policy-runtime-$version" }
policy-macros = { path = "$packaged/policy-macros-$version" }
policy-rules = { path = "$packaged/policy-rules-$version" }
TOML
# The workspace's versions of everything else, so the build reuses its own.
cp "$root/Cargo.lock" "$tmp/my-app/Cargo.lock"
start=$SECONDS
run my-app.log cargo build --manifest-path "$tmp/my-app/Cargo.toml" --target-dir "$target"
echo "the README's user crate built against the packaged crates: $((SECONDS - start)) s"
"${sign_env[@]}" "$target/debug/my-app" > "$tmp/app-form.json" 2> "$tmp/app.log" || {
    cat "$tmp/app.log" >&2
    fail "the README's user crate (tests/my-app) did not sign"
}
printf 'signed by the README user crate\n' > "$tmp/notes.txt"
status=$(post "$tmp/app-form.json" "$tmp/notes.txt")
[ "$status" = 204 ] || fail "the user crate's form was answered $status, not 204: $(cat "$tmp/answer")"
expect_object "$endpoint/my-bucket/uploads/notes.txt" "$tmp/notes.txt"
echo "tests/my-app: a form the endpoint took (204) and served back"

# 4. Stop it.
kill -TERM "$endpoint_pid"
code=0
wait "$endpoint_pid" || code=$?
endpoint_pid=
[ "$code" = 0 ] || {
    cat "$tmp/endpoint.log" >&2
    fail "the installed post-policy-local exited with $code after SIGTERM, not 0"
}
[ ! -e "$ready" ] || fail "the ready file outlived the endpoint"
! grep -qF "$secret" "$tmp/endpoint.log" || fail "the endpoint printed the secret access key"

# 5. The README's pytest fixture, with the installed binary.
PATH="$bin:$PATH" "$python" -m pytest -q -p no:cacheprovider \
    "$root/tests/python/test_local_endpoint.py" \
    || fail "the pytest fixture (tests/python/test_local_endpoint.py) failed with the installed post-policy-local"
echo "tests/install.sh: the installed tools and the packaged library work"
