"""The small shared package: config, database provider, outbox, envelopes, validators.

Nothing domain-specific lives here.
"""
