"""permits' use cases: one module per area, functions ``(deps, actor, data...)``."""
