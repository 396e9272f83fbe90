"""personnel's use cases: one module per area, functions ``(deps, actor, data...)``
(docs/architecture.md, "Inside a service")."""
