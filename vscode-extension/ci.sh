#!/usr/bin/env bash
# Builds, tests and packages the VS Code extension. Needs node 20+, npm, and MONADAPTER_PYTHON:
# a Python 3.12+ with monadapter installed (the adapter tests run `$MONADAPTER_PYTHON -m monadapter`).
set -euo pipefail
cd "$(dirname "$0")"

if [[ -z "${MONADAPTER_PYTHON:-}" ]]; then
    echo "ci.sh: set MONADAPTER_PYTHON to a Python 3.12+ that has monadapter installed" >&2
    exit 2
fi

npm ci --no-audit --no-fund
npm run compile
npm test
npm run package
