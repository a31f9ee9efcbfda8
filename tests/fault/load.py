"""A steady write load that survives outages: audit batches with idempotency keys from several
clients, each retrying its batch (same key, same bytes) on 503, on a refused or reset connection
and on a timeout, until it is acknowledged or the run ends. Then every batch is counted in the
database: an acknowledged one must be there exactly once, an unacknowledged one wholly or not
at all.

Usage: load.py <base url> <token> <agent id> <seconds> <clients> <report.json> [stop file]
The load runs for <seconds>, or until the stop file appears, whichever is later.
Reads the owner's psql command line from $FAULT_PSQL to count rows at the end.
"""

import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

ENTRIES = 20


def batch_body(agent, client, n):
    entries = [
        {
            "agent_id": agent,
            "action_type": "fault.load",
            "connector": "fault",
            "target_resource": f"c{client}-b{n}-e{i}",
            "policy_verdict": "PERMIT",
            "status": "success",
        }
        for i in range(ENTRIES)
    ]
    return json.dumps({"entries": entries}).encode()


def post(base, token, key, body):
    request = urllib.request.Request(
        f"{base}/v1/audit/batch",
        data=body,
        method="POST",
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "Idempotency-Key": key,
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError) as error:
        return None, str(error).encode()


def running(deadline, stop):
    return time.monotonic() < deadline or (stop and not os.path.exists(stop))


def client(base, token, agent, number, deadline, stop, results, lock):
    n = 0
    while running(deadline, stop):
        key = f"fault-c{number}-b{n}"
        body = batch_body(agent, number, n)
        failing_since = None
        outcome = "unacknowledged"
        # A batch begun is retried until acknowledged, for up to a minute past the end.
        give_up = time.monotonic() + 60
        while time.monotonic() < give_up:
            status, answer = post(base, token, key, body)
            if status == 201:
                outcome = "acknowledged"
                break
            if status is not None and status not in (503, 502, 504):
                outcome = f"refused {status}: {answer[:200]!r}"
                break
            failing_since = failing_since or time.monotonic()
            time.sleep(0.2)
        with lock:
            results["batches"][key] = outcome
            if failing_since is not None:
                results["outages"].append(time.monotonic() - failing_since)
        n += 1


def count(psql):
    sql = (
        "SELECT split_part(target_resource, '-e', 1) AS batch, count(*), count(DISTINCT target_resource) "
        "FROM events WHERE display_type = 'fault.load' GROUP BY 1"
    )
    out = subprocess.run(
        psql + ["-At", "-F", ",", "-c", sql], check=True, capture_output=True, text=True
    ).stdout
    rows = {}
    for line in out.splitlines():
        batch, total, distinct = line.split(",")
        rows[batch] = (int(total), int(distinct))
    return rows


def main():
    base, token, agent, seconds, clients, report = sys.argv[1:7]
    stop = sys.argv[7] if len(sys.argv) > 7 else None
    deadline = time.monotonic() + float(seconds)
    results = {"batches": {}, "outages": []}
    lock = threading.Lock()
    threads = [
        threading.Thread(target=client, args=(base, token, agent, c, deadline, stop, results, lock))
        for c in range(int(clients))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    rows = count(json.loads(os.environ["FAULT_PSQL"]))
    acknowledged = lost = duplicated = torn = refused = unacknowledged = 0
    for key, outcome in results["batches"].items():
        prefix = key.removeprefix("fault-")
        total, distinct = rows.get(prefix, (0, 0))
        if total > distinct or total > ENTRIES:
            duplicated += 1
        if outcome == "acknowledged":
            acknowledged += 1
            if distinct < ENTRIES:
                lost += 1
        elif outcome.startswith("refused"):
            refused += 1
            print(f"{key}: {outcome}", file=sys.stderr)
        else:
            unacknowledged += 1
        if total not in (0, ENTRIES):
            torn += 1
    known = {key.removeprefix("fault-") for key in results["batches"]}
    strangers = [batch for batch in rows if batch not in known]
    summary = {
        "batches_acknowledged": acknowledged,
        "entries_acknowledged": acknowledged * ENTRIES,
        "batches_unacknowledged_at_the_end": unacknowledged,
        "batches_refused": refused,
        "batches_lost": lost,
        "batches_duplicated": duplicated,
        "batches_half_present": torn,
        "batches_nobody_sent": len(strangers),
        "longest_unavailability_seconds": round(max(results["outages"], default=0.0), 2),
        "retried_outages": len(results["outages"]),
    }
    with open(report, "w") as out:
        json.dump(summary, out, indent=2)
    print(json.dumps(summary))
    ok = lost == 0 and duplicated == 0 and torn == 0 and refused == 0 and not strangers
    sys.exit(0 if ok and acknowledged > 0 else 1)


if __name__ == "__main__":
    main()
