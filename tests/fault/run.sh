#!/usr/bin/env bash
# Outages survived, measured: a steady write load (tests/fault/load.py: audit batches with
# idempotency keys, four clients retrying on 503 and on refused connections) while PostgreSQL is
# killed with SIGKILL and restarted, three times, in both modes:
#   external  the server on DATABASE_URL; this script kills and restarts that cluster;
#   embedded  the server on its own cluster; this script kills it, the server restarts it.
# Then every acknowledged batch must be in the database exactly once, and every other one
# wholly or not at all. Prints one JSON summary per mode (docs/reliability.md).
# Usage: tests/fault/run.sh [seconds of load per mode] [kills]
set -euo pipefail
seconds=${1:-24}
kills=${2:-3}
clients=4
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"

cargo build --quiet -p compliance-server
server_bin="$root/target/debug/compliance-server"
bindir=$(pg_config --bindir 2>/dev/null || true)
[ -x "$bindir/initdb" ] || bindir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
work=$(mktemp -d /tmp/compliance-fault-XXXXXX)
chmod 755 "$work"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    [ -f "$work/external/PG_VERSION" ] && as_postgres "$bindir/pg_ctl" -D "$work/external" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT
as_postgres() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# Starts the server ($1: data dir, then env assignments) and waits until it is ready; sets base.
start_server() {
    local dir=$1
    shift
    local port
    port=$(free_port)
    env -u DATABASE_URL "$@" RUST_LOG=warn "$server_bin" --data-dir "$dir" --listen "127.0.0.1:$port" \
        >"$dir.stdout" 2>"$dir.log" &
    server=$!
    pids+=("$server")
    base="http://127.0.0.1:$port"
    for _ in $(seq 1 240); do
        curl -sf "$base/readyz" >/dev/null 2>&1 && return 0
        kill -0 "$server" 2>/dev/null || { cat "$dir.log" >&2; return 1; }
        sleep 0.5
    done
    echo "the server did not become ready" >&2
    cat "$dir.log" >&2
    return 1
}

new_agent() {
    curl -sf -X POST "$base/v1/agents" -H "Authorization: Bearer $(cat "$1/admin-token")" \
        -H 'Content-Type: application/json' -d '{"name": "fault-agent", "description": "fault load"}' |
        python3 -c 'import sys, json; print(json.load(sys.stdin)["id"])'
}

# Kills the postmaster whose data directory is $1 every seconds/(kills+1) seconds, $kills times;
# $2 restarts it (or "none" when the server restarts its own).
kill_loop() {
    local pgdata=$1 restart=$2 pause
    pause=$(python3 -c "print($seconds / ($kills + 1))")
    for _ in $(seq 1 "$kills"); do
        sleep "$pause"
        local pid
        pid=$(head -n 1 "$pgdata/postmaster.pid")
        kill -KILL "$pid"
        echo "killed postmaster $pid" >&2
        if [ "$restart" != none ]; then
            # Its backends notice their postmaster is gone and leave; until then it cannot start.
            until $restart >/dev/null 2>&1; do sleep 0.3; done
            echo "restarted" >&2
        fi
    done
}

run_load() {
    local mode=$1 token=$2 agent=$3
    rm -f "$work/stop"
    python3 tests/fault/load.py "$base" "$token" "$agent" "$seconds" "$clients" "$work/$mode.json" \
        "$work/stop" &
    local load=$!
    kill_loop "${@:4}"
    # Load goes on for a while after the last restart, so recovery is under load too.
    sleep "$(python3 -c "print($seconds / ($kills + 1))")"
    touch "$work/stop"
    wait "$load"
}

# External: a throwaway cluster on a TCP port of loopback, owned by this script.
pgdata="$work/external"
mkdir -p "$pgdata" "$work/pgsocket" "$work/pglog"
[ "$(id -u)" = 0 ] && chown postgres "$pgdata" "$work/pgsocket" "$work/pglog"
chmod 700 "$pgdata"
as_postgres "$bindir/initdb" -D "$pgdata" -U postgres --auth=trust --no-locale -E UTF8 >/dev/null
pgport=$(free_port)
pg_start() {
    as_postgres "$bindir/pg_ctl" -D "$pgdata" -l "$work/pglog/external.log" -w \
        -o "-p $pgport -k $work/pgsocket -c listen_addresses=127.0.0.1" start
}
pg_start >/dev/null
url="postgres://postgres@127.0.0.1:$pgport/postgres"
start_server "$work/var-external" "DATABASE_URL=$url"
agent=$(new_agent "$work/var-external")
export FAULT_PSQL="[\"$bindir/psql\", \"$url\"]"
echo "external: $kills kills over ${seconds}s of load" >&2
run_load external "$(cat "$work/var-external/admin-token")" "$agent" "$pgdata" pg_start
echo "external: $(cat "$work/external.json")"

# Embedded: the server's own cluster, killed under it; the server restarts it.
start_server "$work/var-embedded"
agent=$(new_agent "$work/var-embedded")
# The cluster's home holds postgres/ (its data) and run/ (its socket), wherever it was placed.
embedded_pgdata=$(dirname "$(find "$work/var-embedded" /var/lib/compliance -name postmaster.pid \
    -path '*/postgres/*' -newer "$work/var-external.log" 2>/dev/null | head -n 1)")
socket=$(dirname "$embedded_pgdata")/run
export FAULT_PSQL="[\"$bindir/psql\", \"host=$socket port=5432 user=postgres dbname=compliance\"]"
echo "embedded: $kills kills over ${seconds}s of load" >&2
run_load embedded "$(cat "$work/var-embedded/admin-token")" "$agent" "$embedded_pgdata" none
echo "embedded: $(cat "$work/embedded.json")"
