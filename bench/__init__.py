"""Benchmarks that print figures: ``python -m bench`` (``make bench``).

One command starts the platform under the ``bench`` profile (its own var/bench and ports),
measures raw nameko RPC echo, HTTP -> RPC echo and the registration slice through the
gateway, prints one table, writes it to var/bench/last-results.json, and stops everything
it started. Not part of ``make test``. See docs/benchmarks.md.
"""
