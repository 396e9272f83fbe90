"""notify's use cases: one module per area, functions ``(deps, data...)``
(services/notify/usecases/_support.py)."""
