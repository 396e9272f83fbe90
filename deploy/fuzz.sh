#!/usr/bin/env bash
# `make fuzz`: only the API fuzz tier (tests/integration/test_api_fuzz.py), at the length the
# caller sets in QLP_FUZZ_EXAMPLES / QLP_FUZZ_SEED, on the test profile's servers and platform,
# which are always stopped afterwards (as in deploy/test.sh).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

export QLP_PROFILE=test
cleanup() {
    local rc=$?
    .venv/bin/python -m deploy.platform down || echo "fuzz: WARNING: stopping the test platform failed" >&2
    exit "$rc"
}
trap cleanup EXIT
.venv/bin/python -m deploy.servers start
echo "fuzz: ${QLP_FUZZ_EXAMPLES:-5} examples per operation, seed ${QLP_FUZZ_SEED:-fixed} (QLP_FUZZ_SEED=... repeats a run)"
.venv/bin/python -m pytest tests/integration/test_api_fuzz.py -q -rs -s
