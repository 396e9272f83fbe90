# Set-up is two commands: `make up` (the platform at http://127.0.0.1:8700/) and `make test`.
# Everything a fresh clone needs is installed by deploy/bootstrap.sh.
SHELL := /bin/bash
PY := .venv/bin/python

.PHONY: up down status test lint bench bootstrap demo load fuzz cluster-test

up:
	bash deploy/bootstrap.sh && $(PY) -m deploy.platform up

down:
	@if [ -x $(PY) ]; then $(PY) -m deploy.platform down; else echo "no .venv: nothing runs"; fi

status:
	$(PY) -m deploy.platform status

test:
	bash deploy/test.sh

lint: bootstrap
	.venv/bin/ruff check .

bench: bootstrap
	$(PY) -m bench

# Load and soak (not part of `make test`): its own platform (QLP_PROFILE=load, var/load),
# USERS virtual users for MINUTES minutes, then the checks; e.g. `make load MINUTES=2 USERS=8`.
USERS ?= 20
MINUTES ?= 10
load: bootstrap
	@$(PY) -c "import importlib.util, sys; sys.exit(importlib.util.find_spec('locust') is None)" \
		|| $(PY) -m pip install -q -e '.[test,load]'
	QLP_PROFILE=load $(PY) -m load --users $(USERS) --minutes $(MINUTES)

# Issue 18: the platform on six network namespaces of this machine (3 RabbitMQ nodes, 2 services
# hosts behind HAProxy, an agency host with a PostgreSQL replica) under journeys, with faults.
# Needs root; about 8 minutes; not in `make test`. See docs/operations.md.
LOAD_SECONDS ?= 300
cluster-test: bootstrap
	$(PY) -m deploy.cluster_test --load-seconds $(LOAD_SECONDS)

bootstrap:
	bash deploy/bootstrap.sh

demo:
	$(PY) -m deploy.demo

# The API fuzz tier at length (before a release): schemathesis against the OpenAPI document on the
# test profile's platform, FUZZ_EXAMPLES generated examples per operation and a fresh seed
# (`make test` runs the same tier with 5 and a fixed seed); e.g. `make fuzz FUZZ_EXAMPLES=300`.
FUZZ_EXAMPLES ?= 100
fuzz: bootstrap
	QLP_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) QLP_FUZZ_SEED=$${QLP_FUZZ_SEED:-$$RANDOM$$RANDOM} \
		bash deploy/fuzz.sh
