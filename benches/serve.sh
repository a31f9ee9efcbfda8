# Sourced by the load scripts (and tests/schema/run.sh): builds the server and starts it on its
# embedded database in a temporary data directory, on a free loopback port, stopped and removed on
# exit. Sets `data`, `server` (its pid), `base`, `token` and `auth`; fails if it never becomes ready.
# Usage: . benches/serve.sh <temp dir prefix> [release|debug]   (default release, what loads measure)
serve_profile=${2:-release}
case "$serve_profile" in
release) cargo build --quiet --release -p compliance-server ;;
debug) cargo build --quiet -p compliance-server ;;
*) echo "benches/serve.sh: profile must be release or debug, not $serve_profile" >&2; exit 2 ;;
esac
data=$(mktemp -d "/tmp/$1-XXXXXX")
# The embedded cluster may run as the postgres account, which must be able to enter here.
chmod 755 "$data"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
env -u DATABASE_URL RUST_LOG=warn "$root/target/$serve_profile/compliance-server" --data-dir "$data/var" \
    --listen "127.0.0.1:$port" >"$data/stdout" 2>"$data/server.log" &
server=$!
trap 'kill -TERM $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$data"' EXIT
base="http://127.0.0.1:$port"
for _ in $(seq 1 240); do curl -sf "$base/readyz" >/dev/null 2>&1 && break; sleep 0.5; done
curl -sf "$base/readyz" >/dev/null || { echo "the server never became ready: $(cat "$data/server.log")" >&2; exit 1; }
token=$(cat "$data/var/admin-token")
auth="Authorization: Bearer $token"
