#!/usr/bin/env bash
# The server fuzzed against its own OpenAPI description: Schemathesis (pinned in
# tests/schema/requirements.txt) in a virtualenv under target/, the debug server on its embedded
# database in a temporary data directory (benches/serve.sh), a token for each role of org
# `default` plus an admin of a second org, then one bounded, seeded run per role, admin first (so
# the others find data), with every check (tests/schema/schemathesis.toml says what each accepts).
# Fails if any check fails in any role's run.
# Usage: tests/schema/run.sh [DOCUMENT [SCHEMATHESIS OPTION...]]
#   DOCUMENT: the OpenAPI description to test against, a file or a URL; empty or left out, the
#   server's own /openapi.json. Options go on each role's `schemathesis run`, to triage (say,
#   --include-path /v1/agents); CI passes none.
# Environment: SCHEMA_EXAMPLES (per operation, default 20), SCHEMA_SEED (default 20260101),
# SCHEMA_ROLES (default "admin deployer auditor viewer"), SCHEMA_TIMEOUT (seconds a role, 150).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
here="$root/tests/schema"
examples=${SCHEMA_EXAMPLES:-20}
seed=${SCHEMA_SEED:-20260101}
roles=${SCHEMA_ROLES:-admin deployer auditor viewer}
per_role=${SCHEMA_TIMEOUT:-150}
for role in $roles; do
    case "$role" in
    admin | deployer | auditor | viewer) ;;
    *) echo "tests/schema: no role $role (admin, deployer, auditor, viewer)" >&2; exit 2 ;;
    esac
done

venv="$root/target/schema-venv"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
# Installed again whenever the pins change.
if ! cmp -s "$here/requirements.txt" "$venv/installed-requirements.txt"; then
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt"
    cp "$here/requirements.txt" "$venv/installed-requirements.txt"
fi

# Sets data, server, base and token (org default's first admin), and removes it all on exit.
. benches/serve.sh compliance-schema debug
bin="$root/target/debug/compliance-server"
if [ -z "${1:-}" ]; then
    location="$base/openapi.json"
    status=$(curl -s -o /dev/null -w '%{http_code}' "$location" || true)
    if [ "$status" != 200 ]; then
        echo "tests/schema: GET /openapi.json answered $status; the server must publish its OpenAPI description" >&2
        exit 1
    fi
elif [ -f "$1" ]; then
    location=$(realpath "$1")
else
    location=$1
fi
extra=("${@:2}")

# The secret alone is on stdout; the token's id goes to stderr.
new_token() {
    env -u DATABASE_URL "$bin" --data-dir "$data/var" token create --org "$1" --role "$2" \
        2>>"$data/tokens.log"
}
# A token that does not work would make every run pass on 401s: each must list agents first.
works() {
    [ "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $1" "$base/v1/agents?limit=1")" = 200 ]
}
declare -A tokens=([admin]=$token)
for role in deployer auditor viewer; do
    tokens[$role]=$(new_token default "$role")
done
outsider=$(new_token schema-outsider admin)
for role in admin deployer auditor viewer; do
    works "${tokens[$role]}" || { echo "tests/schema: the $role token does not work" >&2; exit 1; }
done
works "$outsider" || { echo "tests/schema: the outsider token does not work" >&2; exit 1; }

# One agent, which every body naming an agent names (schemathesis.toml, [parameters]).
SCHEMA_AGENT=$(curl -sf -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    -d '{"name": "schema-agent"}' "$base/v1/agents" | python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])')
export SCHEMA_AGENT

# Schemathesis writes nothing into the checkout: it runs in the data directory, which goes on exit.
mkdir -m 700 "$data/schemathesis"
passed=0
failed=()
for role in $roles; do
    auth_file="$data/schemathesis/auth-$role.json"
    (
        umask 077
        printf '{"auth": [{"name": "member", "fixedHeaders": [{"name": "Authorization", "value": "Bearer %s"}]},\n' \
            "${tokens[$role]}"
        printf '          {"name": "outsider", "fixedHeaders": [{"name": "Authorization", "value": "Bearer %s"}]}]}\n' \
            "$outsider"
    ) >"$auth_file"
    echo "+ schemathesis as $role: $examples examples per operation, seed $seed"
    rc=0
    # Every check runs: Schemathesis enables all of them unless told otherwise, and `--checks all`
    #   is left out on purpose, since it would switch back on any check schemathesis.toml turns
    #   off (for an operation, with its reason). max_response_time is not among them and stays off:
    #   a debug build on a shared 2-core runner has no response time worth promising.
    # --workers 1: one operation at a time, so that the same seed meets the same server state.
    (cd "$data/schemathesis" && SCHEMA_AUTH_FILE="$auth_file" timeout "$per_role" \
        "$venv/bin/schemathesis" --config-file "$here/schemathesis.toml" run "$location" \
        --url "$base" \
        --phases examples,coverage,fuzzing,stateful \
        --max-examples "$examples" \
        --seed "$seed" \
        --workers 1 \
        --request-timeout 30 \
        --no-color \
        "${extra[@]}") || rc=$?
    if [ "$rc" -eq 0 ]; then
        passed=$((passed + 1))
    else
        case "$rc" in
        1) why="checks failed" ;;
        2) why="could not run (configuration, schema, or nothing tested)" ;;
        124) why="still running after ${per_role}s" ;;
        *) why="exit $rc" ;;
        esac
        echo "tests/schema: the $role run failed: $why" >&2
        failed+=("$role")
    fi
done

# Every refused request logs a warning; what matters beside a failure is an error or a panic.
if [ ${#failed[@]} -gt 0 ] && grep -qv ' WARN ' "$data/server.log"; then
    echo "tests/schema: the server's log, less its warnings:" >&2
    grep -v ' WARN ' "$data/server.log" | tail -n 60 >&2
fi
echo "schema: $passed passed, ${#failed[@]} failed"
[ ${#failed[@]} -eq 0 ]
