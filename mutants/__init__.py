"""Deliberate breakages that the suites must catch (`make mutate`)."""
