"""Use cases with explicit arguments; routes and CLI commands call these."""
