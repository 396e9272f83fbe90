"""review's use cases: one module per area, functions ``(deps, actor, data...)``
(services/review/usecases/_support.py)."""
