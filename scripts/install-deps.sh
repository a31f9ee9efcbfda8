#!/usr/bin/env bash
# Installs what the project needs beyond the Rust toolchain, if missing (Debian/Ubuntu):
# PostgreSQL's server binaries for the embedded cluster and the test harness; curl and Python's
# venv for the SDK compatibility suite and the schema suite (each installs its own pinned Python
# packages into a virtualenv under target/: tests/compat/run.sh, tests/schema/run.sh); Chromium
# and its driver for the pages' browser suite (tests/browser/run.sh).
set -euo pipefail

need=()
have_postgres() {
    command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1 && return 0
    compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null
}
have_postgres || need+=(postgresql)
command -v curl >/dev/null 2>&1 || need+=(curl)
# The PDF tests extract the text of rendered packages.
command -v pdftotext >/dev/null 2>&1 || need+=(poppler-utils)
# The browser suite drives Debian's headless Chromium through its ChromeDriver (tests/browser).
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need+=(chromium-driver)
# The SDK compatibility suite and the schema suite make virtualenvs.
python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || need+=(python3-venv)

if [ ${#need[@]} -eq 0 ]; then
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "install these packages with your system's package manager: ${need[*]}" >&2
    exit 1
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "installing: ${need[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}"
