"""The mutation check's breakages still apply to the code as it is (`make mutate` runs them):
a mutant whose original text has moved would silently test nothing."""

from __future__ import annotations

import pytest

from mutants.run import MUTANTS, ROOT


@pytest.mark.parametrize("mutant", MUTANTS, ids=lambda m: m.name)
def test_each_mutant_finds_the_code_it_breaks(mutant) -> None:  # type: ignore[no-untyped-def]
    text = (ROOT / mutant.file).read_text()
    assert text.count(mutant.original) == 1, (
        f"{mutant.file} no longer holds {mutant.name}'s original"
    )
    assert mutant.replacement != mutant.original
