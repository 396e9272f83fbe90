"""review's use cases beyond the entrypoints of service.py: one module per area."""
