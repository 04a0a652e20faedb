# Real S3-compatible servers for the end-to-end suite. Sourced by test.sh.
#
#   servers_start   installs each server into $cache when missing, starts it
#                   on 127.0.0.1 with a fresh data directory and free ports,
#                   waits until it answers, and exports POST_POLICY_E2E
#                   (a JSON list of {name, endpoint, region, access_key,
#                   secret, bucket}) for tests/tests/e2e_servers.rs.
#   servers_stop    stops them and removes their data (after printing the
#                   tail of their logs when the run failed); test.sh runs it
#                   on exit, failure and interruption alike.
#
# Versions are pinned; a second run reuses the installed binaries.

GARAGE_VERSION=2.5.0
S3S_FS_VERSION=0.14.1

_server_pids=()
_server_dirs=()

_free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

_random_hex() {
    python3 -c "import secrets; print(secrets.token_hex($1))"
}

# _install NAME VERSION CARGO-ARGS...: cargo install into $cache/NAME-VERSION.
_install() {
    local name=$1 version=$2
    shift 2
    local root=$cache/$name-$version
    if [ ! -x "$root/bin/$name" ]; then
        step "installing $name $version into $root (once; a few minutes)" >&2
        cargo install "$name" --version "$version" --locked --root "$root" "$@" \
            > "$cache/$name-install.log" 2>&1 || {
            tail -n 30 "$cache/$name-install.log" >&2
            echo "test.sh: could not install $name $version (log: $cache/$name-install.log)" >&2
            return 1
        }
    fi
    echo "$root/bin/$name"
}

# _wait_http NAME URL LOG: until the server answers HTTP at all.
_wait_http() {
    local name=$1 url=$2 log=$3
    for _ in $(seq 1 100); do
        if curl -s -o /dev/null "$url"; then
            return 0
        fi
        sleep 0.1
    done
    tail -n 30 "$log" >&2
    echo "test.sh: $name did not answer at $url" >&2
    return 1
}

_start_garage() {
    local bin dir port rpc key secret
    bin=$(_install garage "$GARAGE_VERSION" --no-default-features --features bundled-libs,sqlite) || return 1
    dir=$(mktemp -d "${TMPDIR:-/tmp}/post-policy-garage.XXXXXX")
    _server_dirs+=("$dir")
    port=$(_free_port)
    rpc=$(_free_port)
    key=GK$(_random_hex 12)
    secret=$(_random_hex 32)
    cat > "$dir/garage.toml" <<TOML
metadata_dir = "$dir/meta"
data_dir = "$dir/data"
db_engine = "sqlite"
replication_factor = 1
rpc_bind_addr = "127.0.0.1:$rpc"
rpc_public_addr = "127.0.0.1:$rpc"
rpc_secret = "$(_random_hex 32)"

[s3_api]
s3_region = "garage"
api_bind_addr = "127.0.0.1:$port"
root_domain = ".s3.garage.localhost"
TOML
    GARAGE_DEFAULT_ACCESS_KEY=$key GARAGE_DEFAULT_SECRET_KEY=$secret \
        GARAGE_DEFAULT_BUCKET=e2e-garage RUST_LOG=warn \
        "$bin" -c "$dir/garage.toml" server --single-node --default-bucket \
        > "$dir/server.log" 2>&1 &
    _server_pids+=($!)
    _wait_http garage "http://127.0.0.1:$port/" "$dir/server.log" || return 1
    _servers_json+=("{\"name\":\"garage\",\"endpoint\":\"http://127.0.0.1:$port\",\"region\":\"garage\",\"access_key\":\"$key\",\"secret\":\"$secret\",\"bucket\":\"e2e-garage\",\"log\":\"$dir/server.log\",\"pid\":${_server_pids[-1]}}")
}

_start_s3s_fs() {
    local bin dir port key secret
    bin=$(_install s3s-fs "$S3S_FS_VERSION" --features binary) || return 1
    dir=$(mktemp -d "${TMPDIR:-/tmp}/post-policy-s3s.XXXXXX")
    _server_dirs+=("$dir")
    mkdir -p "$dir/data/e2e-s3s"
    port=$(_free_port)
    key=AK$(_random_hex 8)
    secret=$(_random_hex 20)
    "$bin" --host 127.0.0.1 --port "$port" --access-key "$key" --secret-key "$secret" \
        "$dir/data" > "$dir/server.log" 2>&1 &
    _server_pids+=($!)
    _wait_http s3s-fs "http://127.0.0.1:$port/" "$dir/server.log" || return 1
    _servers_json+=("{\"name\":\"s3s-fs\",\"endpoint\":\"http://127.0.0.1:$port\",\"region\":\"us-east-1\",\"access_key\":\"$key\",\"secret\":\"$secret\",\"bucket\":\"e2e-s3s\",\"log\":\"$dir/server.log\",\"pid\":${_server_pids[-1]}}")
}

servers_start() {
    _servers_json=()
    _start_garage || return 1
    _start_s3s_fs || return 1
    local IFS=,
    export POST_POLICY_E2E="[${_servers_json[*]}]"
    step "servers up: ${#_server_pids[@]} (garage $GARAGE_VERSION, s3s-fs $S3S_FS_VERSION)"
}

servers_stop() {
    local status=$? pid dir
    if [ "$status" -ne 0 ]; then
        for dir in "${_server_dirs[@]}"; do
            if [ -f "$dir/server.log" ]; then
                echo "-- last lines of $dir/server.log" >&2
                tail -n 20 "$dir/server.log" >&2
            fi
        done
    fi
    for pid in "${_server_pids[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${_server_pids[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    _server_pids=()
    if [ "${#_server_dirs[@]}" -gt 0 ]; then
        rm -rf "${_server_dirs[@]}"
    fi
    _server_dirs=()
}
