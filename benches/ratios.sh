#!/usr/bin/env bash
# One run, one server, one table of ratios (issue 14): each load under wrk beside its pgbench
# baselines on the same database at the same concurrency. The baselines' statements are the
# server's own: the script switches on `log_statement = all`, makes one request of each kind,
# and turns the statements that request's tenant transaction sent (parameters filled in) into a
# pgbench script, one statement per round trip. A run that measured errors fails: any non-2xx
# answer, a pgbench transaction that failed, a baseline that selects nothing.
# Usage: benches/ratios.sh [connections] [seconds]
set -euo pipefail
connections=${1:-16}
seconds=${2:-15}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }

. benches/serve.sh compliance-ratios
. benches/seed.sh
# A package of an agent with a small trail, its PDF rendered once (the downloads read it).
agent=$(post /v1/agents '{"name":"ratios-agent"}' | json '["id"]')
post /v1/audit/batch "{\"entries\": [$(for i in $(seq 1 50); do printf '{"agent_id":"%s","action_type":"connector.called","connector":"jira","status":"success"}%s' "$agent" "$([ "$i" -lt 50 ] && echo ,)"; done)]}" >/dev/null
package=$(post /v1/compliance "{\"agent_id\":\"$agent\"}" | json '["id"]')
pdf_bytes=$(curl -sf -H "$auth" -o /dev/null -w '%{size_download}' "$base/v1/compliance/$package/pdf")

runas=()
[ "$(id -u)" -eq 0 ] && runas=(runuser -u postgres --)
bindir=$(dirname "$(readlink -f "$(command -v pg_ctl || ls /usr/lib/postgresql/*/bin/pg_ctl | tail -1)")")
sql() { "${runas[@]}" "$bindir/psql" -h "$data/var/run" -U postgres -X -v ON_ERROR_STOP=1 -At "$@" compliance; }

# The server's statements for one request of each kind.
log="$data/var/run/postgres.log"
capture() { # <name> <path>: the request's tenant transaction as a pgbench script
    sql -c "ALTER SYSTEM SET log_statement = 'all'" -c "SELECT pg_reload_conf()" >/dev/null
    sleep 0.5
    local from
    from=$(wc -l <"$log")
    curl -sf -H "$auth" -o /dev/null "$base$2"
    sleep 0.5
    sql -c "ALTER SYSTEM RESET log_statement" -c "SELECT pg_reload_conf()" >/dev/null
    tail -n +"$((from + 1))" "$log" | python3 "$root/benches/statements.py" >"$data/$1.sql"
    chmod 644 "$data/$1.sql"
    [ -s "$data/$1.sql" ] || { echo "no statements captured for $2" >&2; exit 1; }
}
capture policy "/archivist/v1/$policy"
capture check "/archivist/v1/compliance/$asset"
echo "statements per request: policy read $(grep -c . "$data/policy.sql"), compliance check $(grep -c . "$data/check.sql")"

run_wrk() { # <path>: requests/s, p50, p99 (ms)
    wrk -t2 -c"$connections" -d"${seconds}s" --latency -H "$auth" "$base$1" >"$data/wrk.txt"
    local non2xx
    non2xx=$(awk '/Non-2xx/ {print $NF}' "$data/wrk.txt")
    if [ "${non2xx:-0}" != 0 ] || ! grep -q ' requests in ' "$data/wrk.txt"; then
        echo "wrk on $1 measured errors:" >&2; cat "$data/wrk.txt" >&2; exit 1
    fi
    python3 - "$data/wrk.txt" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
def ms(v):
    n, unit = re.match(r"([\d.]+)(us|ms|s)", v).groups()
    return float(n) * {"us": 0.001, "ms": 1, "s": 1000}[unit]
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
p50 = ms(re.search(r"\s50%\s+(\S+)", text).group(1))
p99 = ms(re.search(r"\s99%\s+(\S+)", text).group(1))
print(f"{rps:.0f} {p50:.2f} {p99:.2f}")
PY
}
run_pgbench() { # <script>: transactions/s
    "${runas[@]}" "$bindir/pgbench" -h "$data/var/run" -U postgres -n -M prepared -c "$connections" -j 2 \
        -T "$seconds" -f "$1" compliance >"$data/pgbench.txt" 2>&1 ||
        { echo "pgbench failed on $1:" >&2; cat "$data/pgbench.txt" >&2; exit 1; }
    local processed failed
    processed=$(awk -F': ' '/number of transactions actually processed/ {split($2, n, "/"); print n[1]}' "$data/pgbench.txt")
    failed=$(awk -F': ' '/number of failed transactions/ {split($2, n, " "); print n[1]}' "$data/pgbench.txt")
    if [ "${processed:-0}" -eq 0 ] || [ "${failed:-0}" != 0 ]; then
        echo "pgbench measured errors on $1:" >&2; cat "$data/pgbench.txt" >&2; exit 1
    fi
    awk '/^tps/ {printf "%.0f\n", $3; exit}' "$data/pgbench.txt"
}

# The bare primary-key SELECT of the policy (as load.sh): it must select the row, once.
id=${policy#*/}
echo "SELECT * FROM compliance_policies WHERE org_id = (SELECT org_id FROM compliance_policies WHERE id = '$id') AND id = '$id';" >"$data/bare.sql"
chmod 644 "$data/bare.sql"
[ "$(sql -f "$data/bare.sql" | grep -c .)" = 1 ] || { echo "the bare SELECT selects no row" >&2; exit 1; }

read -r policy_rps policy_p50 policy_p99 < <(run_wrk "/archivist/v1/$policy")
read -r check_rps check_p50 check_p99 < <(run_wrk "/archivist/v1/compliance/$asset")
read -r pdf_rps pdf_p50 pdf_p99 < <(run_wrk "/v1/compliance/$package/pdf")
bare_tps=$(run_pgbench "$data/bare.sql")
policy_tps=$(run_pgbench "$data/policy.sql")
check_tps=$(run_pgbench "$data/check.sql")

ratio() { python3 -c "print(f'{$1 / $2:.2f}×')"; }
echo "connections=$connections seconds=$seconds"
echo "| load | ours: requests/s | p50 ms | p99 ms | baseline | baseline tps | ratio | target |"
echo "|---|---:|---:|---:|---|---:|---:|---|"
echo "| policy read | $policy_rps | $policy_p50 | $policy_p99 | pgbench: the bare primary-key SELECT | $bare_tps | $(ratio "$policy_rps" "$bare_tps") | ≥ 0.5× |"
echo "| policy read | | | | pgbench: the server's tenant transaction, one statement a round trip | $policy_tps | $(ratio "$policy_rps" "$policy_tps") | ≥ 1.0× |"
echo "| compliance check, 5 policies, 200 events | $check_rps | $check_p50 | $check_p99 | pgbench: the server's tenant transaction | $check_tps | $(ratio "$check_rps" "$check_tps") | ≥ 0.5×, p99 < 10 ms |"
echo "| PDF download of a stored package ($pdf_bytes bytes) | $pdf_rps | $pdf_p50 | $pdf_p99 | | | | ≥ 1,000 requests/s |"
