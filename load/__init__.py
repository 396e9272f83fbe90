"""The load-and-soak tier (`make load`, not part of `make test`): virtual enterprises and reviewers
run whole journeys at once through the gateway, driven by locust in its own process, while this
package's orchestrator samples /healthz, counts the agency stream and afterwards checks the
platform (see docs/benchmarks.md, "Load and soak")."""
