"""Mutation testing of the suppression core: mutmut's campaign (`make mutate`, campaign.py),
its sample inside `make test`, and the named breakages of module-level code that mutmut does
not mutate (breakages.py). See docs/testing.md."""
