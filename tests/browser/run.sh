#!/usr/bin/env bash
# The pages under /ui in a real browser: Debian's headless Chromium, driven through its
# ChromeDriver by Selenium (pinned, in a virtualenv under target/), against the server running
# its demo on the embedded database in a temporary data directory. test_ui.py signs in, reads
# the demo agent and its package and checks them against the API's JSON, follows the diff,
# downloads the PDF, signs out, and checks what a viewer and another org cannot reach, and the
# pages' basic accessibility. Screenshots of each page go to target/browser-artifacts/.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"

for tool in chromium chromedriver; do
    command -v "$tool" >/dev/null 2>&1 || { echo "tests/browser: $tool is missing; run scripts/install-deps.sh" >&2; exit 1; }
done
venv="$root/target/browser-venv"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
if ! "$venv/bin/python" -c 'import selenium' 2>/dev/null; then
    "$venv/bin/pip" install --quiet --disable-pip-version-check 'selenium==4.27.1'
fi

cargo build --quiet -p compliance-server
bin="$root/target/debug/compliance-server"
data=$(mktemp -d /tmp/compliance-browser-XXXXXX)
# The embedded cluster may run as the postgres account, which must be able to enter here.
chmod 755 "$data"
port=$("$venv/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
env -u DATABASE_URL "$bin" --data-dir "$data/var" --listen "127.0.0.1:$port" demo \
    >"$data/stdout" 2>"$data/server.log" &
server=$!
cleanup() {
    kill -TERM "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
    rm -rf "$data"
}
trap cleanup EXIT
for _ in $(seq 1 240); do
    if curl -sf "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && [ -s "$data/var/demo/admin-token" ]; then
        break
    fi
    if ! kill -0 "$server" 2>/dev/null; then
        echo "the server exited:" >&2
        cat "$data/server.log" >&2
        exit 1
    fi
    sleep 0.5
done
new_token() {
    env -u DATABASE_URL "$bin" --data-dir "$data/var" token create --org "$1" --role "$2" 2>>"$data/tokens.log"
}
artifacts="$root/target/browser-artifacts"
rm -rf "$artifacts"
mkdir -p "$artifacts"
BASE="http://127.0.0.1:$port" \
ADMIN_TOKEN=$(cat "$data/var/demo/admin-token") \
VIEWER_TOKEN=$(new_token demo viewer) \
OUTSIDER_TOKEN=$(new_token browser-outsider admin) \
ARTIFACTS="$artifacts" \
    "$venv/bin/python" tests/browser/test_ui.py
