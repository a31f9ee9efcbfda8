#!/usr/bin/env bash
# Peak memory of the server under the largest audit batch it accepts: 10,000 entries in a body
# just under 16 MiB, each with metadata packed with the smallest JSON values (the shape that
# expands most once parsed). Prints the server's peak RSS (VmHWM) idle, after one batch and
# after four at once, beside the bytes sent, for docs/performance.md.
# Usage: benches/batch_memory.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

. benches/serve.sh compliance-memory
hwm() { awk '/VmHWM/ { print $2 }' "/proc/$server/status"; }

agent=$(curl -sf -X POST "$base/v1/agents" -H "$auth" -H 'Content-Type: application/json' \
    -d '{"name": "memory-agent", "description": "batch memory"}' |
    python3 -c 'import sys, json; print(json.load(sys.stdin)["id"])')
python3 - "$agent" "$data/batch.json" <<'PY'
import json, sys
agent, path = sys.argv[1], sys.argv[2]
limit = 16 * 1024 * 1024
entries = 10_000
head = json.dumps({"agent_id": agent, "action_type": "connector.called", "metadata": {"v": []}})
room = (limit - 64) // entries - len(head)
zeros = ",".join(["0"] * (room // 2))
entry = head.replace('"v": []', '"v": [' + zeros + ']')
body = '{"entries": [' + ",".join([entry] * entries) + "]}"
assert len(body) <= limit, len(body)
open(path, "w").write(body)
PY
bytes=$(stat -c %s "$data/batch.json")
idle=$(hwm)
send() {
    curl -s -o "$data/answer.$1" -w '%{http_code}' -X POST "$base/v1/audit/batch" -H "$auth" \
        -H 'Content-Type: application/json' --data-binary "@$data/batch.json"
}
# Every batch must be accepted whole, or the peak measures a refusal.
appended() { python3 -c 'import sys, json; print(json.load(open(sys.argv[1]))["appended"])' "$data/answer.$1"; }
status=$(send 0)
[ "$status" = 201 ] && [ "$(appended 0)" = 10000 ] ||
    { echo "the batch answered $status: $(cat "$data/answer.0")" >&2; exit 1; }
one=$(hwm)
pids=()
for i in 1 2 3 4; do send "$i" >"$data/status.$i" & pids+=($!); done
for pid in "${pids[@]}"; do wait "$pid"; done
for i in 1 2 3 4; do
    [ "$(cat "$data/status.$i")" = 201 ] && [ "$(appended "$i")" = 10000 ] ||
        { echo "batch $i: $(cat "$data/answer.$i")" >&2; exit 1; }
done
four=$(hwm)
printf '| measure | KiB |\n|---|---:|\n'
printf '| body sent (one batch) | %d |\n' $((bytes / 1024))
printf '| server peak RSS, idle | %d |\n' "$idle"
printf '| server peak RSS after one batch | %d |\n' "$one"
printf '| server peak RSS after four concurrent batches | %d |\n' "$four"
