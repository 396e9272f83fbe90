# Set-up is two commands: `make up` (the platform at http://127.0.0.1:8700/) and `make test`.
# Everything a fresh clone needs is installed by deploy/bootstrap.sh.
SHELL := /bin/bash
PY := .venv/bin/python

.PHONY: up down status test lint bench bootstrap demo

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

bootstrap:
	bash deploy/bootstrap.sh

demo:
	$(PY) -m deploy.demo
