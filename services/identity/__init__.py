"""identity: accounts, credentials, second factor, sub-accounts, roles."""
