#!/usr/bin/env bash
# The DataTrails SDK (datatrails-archivist 0.33.2) against our server, unchanged: a virtualenv
# under target/, the server on its embedded database in a temporary data directory, then
# test_sdk.py drives all five policy types end to end. Then, in a virtualenv of their own, the
# in-toto and securesystemslib packages judge our package attestations (test_attestations.py).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"

venv="$root/target/compat-venv"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
if ! "$venv/bin/python" -c 'import archivist' 2>/dev/null; then
    "$venv/bin/pip" install --quiet --disable-pip-version-check 'datatrails-archivist==0.33.2'
fi
attest_venv="$root/target/attest-venv"
if [ ! -x "$attest_venv/bin/python" ]; then
    python3 -m venv "$attest_venv"
fi
if ! "$attest_venv/bin/python" -c 'import in_toto, securesystemslib, rfc8785' 2>/dev/null; then
    "$attest_venv/bin/pip" install --quiet --disable-pip-version-check \
        'in-toto==3.1.0' 'securesystemslib[crypto]==1.6.0' 'rfc8785==0.1.4'
fi

otel_venv="$root/target/otel-venv"
if [ ! -x "$otel_venv/bin/python" ]; then
    python3 -m venv "$otel_venv"
fi
if ! "$otel_venv/bin/python" -c 'import opentelemetry.exporter.otlp.proto.http' 2>/dev/null; then
    "$otel_venv/bin/pip" install --quiet --disable-pip-version-check \
        'opentelemetry-sdk==1.39.1' 'opentelemetry-exporter-otlp-proto-http==1.39.1'
fi

cargo build --quiet -p compliance-server -p compliance-verify
data=$(mktemp -d /tmp/compliance-compat-XXXXXX)
# The embedded cluster may run as the postgres account, which must be able to enter here.
chmod 755 "$data"
port=$("$venv/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
env -u DATABASE_URL "$root/target/debug/compliance-server" --data-dir "$data/var" --listen "127.0.0.1:$port" \
    >"$data/stdout" 2>"$data/server.log" &
server=$!
cleanup() {
    kill -TERM "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
    rm -rf "$data"
}
trap cleanup EXIT

for _ in $(seq 1 120); do
    if curl -sf "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; then
        break
    fi
    if ! kill -0 "$server" 2>/dev/null; then
        echo "the server exited:" >&2
        cat "$data/server.log" >&2
        exit 1
    fi
    sleep 0.5
done

COMPLIANCE_URL="http://127.0.0.1:$port" COMPLIANCE_TOKEN="$(cat "$data/var/admin-token")" \
    "$venv/bin/python" "$root/tests/compat/test_sdk.py"
COMPLIANCE_URL="http://127.0.0.1:$port" COMPLIANCE_TOKEN="$(cat "$data/var/admin-token")" \
    COMPLIANCE_VERIFY="$root/target/debug/compliance-verify" \
    "$attest_venv/bin/python" "$root/tests/compat/test_attestations.py"
# The stock OpenTelemetry SDK's OTLP/HTTP exporter, set up only by the standard variables.
COMPLIANCE_URL="http://127.0.0.1:$port" COMPLIANCE_TOKEN="$(cat "$data/var/admin-token")" \
    OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$port" \
    OTEL_EXPORTER_OTLP_HEADERS="Authorization=Bearer%20$(cat "$data/var/admin-token")" \
    OTEL_EXPORTER_OTLP_COMPRESSION=gzip \
    "$otel_venv/bin/python" "$root/tests/compat/test_otlp.py"
