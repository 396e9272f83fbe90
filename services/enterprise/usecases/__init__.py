"""enterprise's use cases: one module per area, functions ``(deps, actor, data...)``
(services/enterprise/usecases/_support.py)."""
