#!/usr/bin/env bash
# Load on loopback: wrk against GET /archivist/v1/compliance/assets/{uuid} (five policies) and
# GET /archivist/v1/compliance_policies/{uuid}, then pgbench running the equivalent primary-key
# SELECT on the same database at the same concurrency. Prints one table for docs/performance.md.
# A run that measured errors fails: any non-2xx answer, a SELECT that does not return its row, a
# pgbench transaction that failed.
# Usage: benches/load.sh [connections] [seconds]
set -euo pipefail
connections=${1:-16}
seconds=${2:-15}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }

. benches/serve.sh compliance-load
. benches/seed.sh

run_wrk() {
    wrk -t2 -c"$connections" -d"${seconds}s" --latency -H "$auth" "$base$1" >"$data/wrk.txt"
    local rps p50 p99 non2xx
    rps=$(awk '/Requests\/sec/ {print $2}' "$data/wrk.txt")
    p50=$(awk '$1 == "50%" {print $2}' "$data/wrk.txt")
    p99=$(awk '$1 == "99%" {print $2}' "$data/wrk.txt")
    non2xx=$(awk '/Non-2xx/ {print $NF}' "$data/wrk.txt")
    if [ -z "$rps" ] || [ "${non2xx:-0}" != 0 ] || ! grep -q ' requests in ' "$data/wrk.txt"; then
        echo "wrk on $1 measured errors:" >&2; cat "$data/wrk.txt" >&2; exit 1
    fi
    echo "| GET $2 | $rps | $p50 | $p99 | ${non2xx:-0} |"
}
echo "connections=$connections seconds=$seconds"
echo "| load | requests/s | p50 | p99 | non-2xx |"
echo "|---|---:|---:|---:|---:|"
run_wrk "/healthz" "/healthz (HTTP only, no database)"
run_wrk "/archivist/v1/compliance/$asset" "/archivist/v1/compliance/assets/{uuid} (5 policies)"
run_wrk "/archivist/v1/$policy" "/archivist/v1/compliance_policies/{uuid}"
rss=$(awk '/VmHWM/ {print $2, $3}' "/proc/$server/status")

# The same primary-key SELECT as the policy read, straight to PostgreSQL over its socket.
bindir=$(dirname "$(readlink -f "$(command -v pg_ctl || ls /usr/lib/postgresql/*/bin/pg_ctl | tail -1)")")
org_and_id=$(python3 -c "print('${policy}'.split('/')[1])")
echo "SELECT * FROM compliance_policies WHERE org_id = (SELECT org_id FROM compliance_policies WHERE id = '$org_and_id') AND id = '$org_and_id';" >"$data/select.sql"
chmod 644 "$data/select.sql"
runas=()
[ "$(id -u)" -eq 0 ] && runas=(runuser -u postgres --)
# The baseline must select the policy's row, once, or it measures nothing.
rows=$("${runas[@]}" "$bindir/psql" -h "$data/var/run" -U postgres -X -v ON_ERROR_STOP=1 -At \
    -f "$data/select.sql" compliance) || { echo "the baseline SELECT failed" >&2; exit 1; }
[ "$(printf '%s\n' "$rows" | grep -c .)" = 1 ] || { echo "the baseline SELECT gave: $rows" >&2; exit 1; }
"${runas[@]}" "$bindir/pgbench" -h "$data/var/run" -U postgres -n -M prepared -c "$connections" -j 2 -T "$seconds" \
    -f "$data/select.sql" compliance >"$data/pgbench.txt" 2>&1 ||
    { echo "pgbench failed:" >&2; cat "$data/pgbench.txt" >&2; exit 1; }
tps=$(awk '/^tps/ {print $3; exit}' "$data/pgbench.txt")
lat=$(awk '/latency average/ {print $4, $5}' "$data/pgbench.txt")
processed=$(awk -F': ' '/number of transactions actually processed/ {split($2, n, "/"); print n[1]}' "$data/pgbench.txt")
failed=$(awk -F': ' '/number of failed transactions/ {split($2, n, " "); print n[1]}' "$data/pgbench.txt")
if [ -z "$tps" ] || [ "${processed:-0}" -eq 0 ] || [ "${failed:-0}" != 0 ]; then
    echo "pgbench measured errors:" >&2; cat "$data/pgbench.txt" >&2; exit 1
fi
echo "| pgbench: the policy's primary-key SELECT | $tps | (average $lat) | | |"
echo "server peak RSS: $rss"
