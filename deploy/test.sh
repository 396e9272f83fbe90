#!/usr/bin/env bash
# `make test`: lint, unit tests, then the suites that need real servers, on the test profile
# (its own ports and var/test, so a running `make up` is never touched). The test servers
# are always stopped afterwards, and the exit status is the first failure's.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash deploy/bootstrap.sh
.venv/bin/ruff check .

# pytest exits 5 when it collected nothing: a suite without tests yet is not a failure.
run_pytest() {
    local rc=0
    .venv/bin/python -m pytest "$@" || rc=$?
    if [ "$rc" -eq 5 ]; then rc=0; fi
    return "$rc"
}

has_tests() { [ -n "$(find "$1" -name 'test_*.py' -print -quit 2>/dev/null)" ]; }

if has_tests tests/unit; then
    run_pytest tests/unit -q
fi

suites=()
for dir in tests/integration tests/e2e tests/browser tests/chaos tests/security; do
    if has_tests "$dir"; then suites+=("$dir"); fi
done
if [ ${#suites[@]} -eq 0 ]; then
    echo "test: no integration/browser/chaos tests yet"
    exit 0
fi

export QLP_PROFILE=test
cleanup() {
    local rc=$?
    # platform down, not just servers: also ends services a test fixture left behind.
    .venv/bin/python -m deploy.platform down || echo "test: WARNING: stopping the test platform failed" >&2
    exit "$rc"
}
trap cleanup EXIT
.venv/bin/python -m deploy.servers start
run_pytest "${suites[@]}" -q
