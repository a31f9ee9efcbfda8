"""Reads PostgreSQL's log (log_statement = all) of one request on stdin and writes the statements
of its tenant transaction, from BEGIN to COMMIT, as a pgbench script: one statement a line (a
round trip each, as pgbench sends them), the bound parameters written in as literals."""

import re
import sys

lines = sys.stdin.read().splitlines()
entry = re.compile(r"^\S+ \S+ \S+ \[(\d+)\] (LOG|DETAIL):  (.*)$")
statements = []  # (pid, text)
pending = None
for line in lines:
    match = entry.match(line)
    if not match:
        # A statement continued on the next line.
        if pending is not None and statements:
            pid, text = statements[-1]
            statements[-1] = (pid, text + " " + line.strip())
        continue
    pid, kind, text = match.groups()
    if kind == "LOG":
        m = re.match(r"(?:statement|execute [^:]+): (.*)$", text)
        pending = None
        if m:
            statements.append((pid, m.group(1)))
            pending = True
    elif kind == "DETAIL" and text.startswith("parameters: ") and statements:
        params = dict(re.findall(r"\$(\d+) = ('(?:[^']|'')*'|NULL)", text[len("parameters: "):]))
        pid, sql = statements[-1]
        sql = re.sub(r"\$(\d+)\b", lambda m: params.get(m.group(1), m.group(0)), sql)
        statements[-1] = (pid, sql)
        pending = None

# The tenant transaction: from a BEGIN to its COMMIT on the same backend.
out, inside, backend = [], False, None
for pid, sql in statements:
    if sql.startswith("BEGIN"):
        inside, backend, out = True, pid, []
    if inside and pid == backend:
        # BEGIN and set_config arrive as one simple query; pgbench sends them one at a time.
        out.extend(part.strip() + ";" for part in sql.split(";") if part.strip())
    if inside and pid == backend and sql.startswith("COMMIT"):
        break
if not out or not out[-1].startswith("COMMIT"):
    sys.exit("no whole tenant transaction in the log")
print("\n".join(out))
