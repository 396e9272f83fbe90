"""identity's use cases: one module per area, functions ``(deps, data...)``
(services/identity/usecases/_support.py)."""
