"""Contract fuzzing: schemathesis runs every operation of openapi/ against the in-process app."""
