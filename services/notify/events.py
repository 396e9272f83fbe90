"""Events notify consumes (it emits none yet). Each is (source service, type, version)."""

CONSUMES = [
    ("identity", "enterprise_account_registered", 1),
]
