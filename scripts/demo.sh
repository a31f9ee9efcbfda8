#!/usr/bin/env bash
# The README's main command: installs what is missing (scripts/install-deps.sh), then runs the
# demo from this checkout, with any extra arguments (say, --data-dir) passed to the server.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/scripts/install-deps.sh"
cd "$root"
exec cargo run --release -p compliance-server -- demo "$@"
