"""enterprise: enterprise records: basic info, staff rosters, projects, equipment."""
