"""What a refusal of an unknown name says: the name, and the known name nearest to it (the
standard library's difflib), so that a typo such as `vendr` is answered "did you mean
'vendor'?". One wording for the control plane's query parameters, the web outbox's filters and
the test plugin's keyword arguments."""

from __future__ import annotations

from collections.abc import Collection
from difflib import get_close_matches


def unknown(what: str, name: str, known: Collection[str]) -> str:
    """ "unknown query parameter 'vendr'; did you mean 'vendor'?" - or, with nothing near,
    the names there are (or that there are none)."""
    near = get_close_matches(name, known, n=1, cutoff=0.6)
    if near:
        return f"unknown {what} '{name}'; did you mean '{near[0]}'?"
    if not known:
        return f"unknown {what} '{name}'; there are none here"
    return f"unknown {what} '{name}'; known: {', '.join(sorted(known))}"
