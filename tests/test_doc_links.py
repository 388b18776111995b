"""The README is a front door and every document's links lead somewhere (issue 26, item 6):
the README stays short, reaches what is not emulated in one click, and every relative link
of the checkout's Markdown names a file that exists and, after a `#`, one of its headings as
GitHub anchors it."""

from __future__ import annotations

import re
from collections import Counter
from functools import cache
from itertools import pairwise
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from doc_examples import ROOT, documents
from markdown_it import MarkdownIt
from markdown_it.token import Token

README_MOST_LINES = 250
PARSER = MarkdownIt("commonmark")


def _inline_text(token: Token) -> str:
    return "".join(child.content for child in token.children or [])


@cache
def anchors(path: Path) -> frozenset[str]:
    """The anchors GitHub gives the document's headings: lower case, punctuation but `-` and
    `_` dropped, spaces as `-`, a repeated one numbered."""
    tokens = PARSER.parse(path.read_text(encoding="utf-8"))
    seen: Counter[str] = Counter()
    found = set()
    for opening, inline in pairwise(tokens):
        if opening.type != "heading_open":
            continue
        slug = re.sub(r"[^\w\- ]", "", _inline_text(inline).strip().lower()).replace(" ", "-")
        found.add(slug if not seen[slug] else f"{slug}-{seen[slug]}")
        seen[slug] += 1
    return frozenset(found)


def links(path: Path) -> list[str]:
    tokens = PARSER.parse(path.read_text(encoding="utf-8"))
    found = []
    for token in tokens:
        for child in token.children or []:
            if child.type == "link_open":
                found.append(str(child.attrs["href"]))
            elif child.type == "image":
                found.append(str(child.attrs["src"]))
    return found


def broken(path: Path) -> list[str]:
    """The document's relative links whose file or heading does not exist."""
    wrong = []
    for href in links(path):
        parts = urlsplit(href)
        if parts.scheme or parts.netloc:
            continue
        target = (path.parent / unquote(parts.path)).resolve() if parts.path else path
        if not target.exists():
            wrong.append(f"{href}: no file {target}")
        elif parts.fragment and target.suffix == ".md" and parts.fragment not in anchors(target):
            wrong.append(f"{href}: no heading with that anchor in {target.name}")
    return wrong


@pytest.mark.parametrize("path", documents(), ids=lambda path: str(path.relative_to(ROOT)))
def test_every_relative_link_names_a_file_and_a_heading_that_exist(path: Path) -> None:
    assert broken(path) == []


def test_the_readme_is_a_front_door() -> None:
    readme = ROOT / "README.md"
    assert len(readme.read_text(encoding="utf-8").splitlines()) <= README_MOST_LINES
    assert "docs/emulation.md#what-is-not-emulated" in links(readme)
    assert {"quick-start", "four-ways-to-run-it", "the-vendors-at-a-glance"} <= anchors(readme)


def test_a_link_to_a_missing_heading_or_file_is_named(tmp_path: Path) -> None:
    (tmp_path / "other.md").write_text("# Faults and rate limits (`/_sandbox`)\n", encoding="utf-8")
    document = tmp_path / "doc.md"
    good = "[a](other.md#faults-and-rate-limits-_sandbox) [b](#top) ![c](other.md)\n\n# Top\n"
    document.write_text(good, encoding="utf-8")
    assert broken(document) == []
    document.write_text("[a](other.md#faults) [b](gone.md) [c](https://x.test/#y)\n", "utf-8")
    assert broken(document) == [
        "other.md#faults: no heading with that anchor in other.md",
        f"gone.md: no file {tmp_path / 'gone.md'}",
    ]
