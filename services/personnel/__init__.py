"""personnel: people and their professional certificates."""
