"""An e-mail body written in HTML, as the web outbox shows it: rendered in a sandboxed frame
(`iframe sandbox=""`: no script, no form, no navigation, an origin of its own) from a route
whose Content-Security-Policy forbids every script and every load from elsewhere (no remote
image, font or stylesheet is fetched: a preview tells no tracker it was opened), and listed
as its text. Any other body is text and shown as text."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from starlette.responses import Response

from sandbox.doc import Doc

# a tag an HTML e-mail starts with or holds, near its start: what tells HTML from text
_TAG = re.compile(
    r"<(?:!doctype\s+html|html|head|body|p|div|table|br|a|img|span|h[1-6]|ul|ol|li|b|i|"
    r"strong|em|font|center|style)\b[^>]*>",
    re.IGNORECASE,
)
LOOKED_AT = 4096  # characters of a body looked at to tell HTML, and read for its excerpt
EXCERPT = 120  # characters of its text the outbox lists
# nothing is loaded from anywhere (images may be inline, data: URLs), styles may be inline,
# no script runs (and `sandbox` gives the document an origin of its own)
PREVIEW_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:; "
    "frame-ancestors 'self'; form-action 'none'; base-uri 'none'; sandbox"
)


def is_html(message: Doc) -> bool:
    """An e-mail whose body holds an HTML tag near its start."""
    body = message.get("body")
    return (
        message.get("channel") == "EMAIL"
        and isinstance(body, str)
        and _TAG.search(body, 0, LOOKED_AT) is not None
    )


_HIDDEN = frozenset({"head", "script", "style", "title"})


class _Text(HTMLParser):
    """The text of an HTML document, without its scripts' and styles' contents."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: object) -> None:
        if tag in _HIDDEN:
            self.hidden += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN and self.hidden:
            self.hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def excerpt(message: Doc) -> str:
    """What the outbox lists of a message's body: its start, as text (an HTML e-mail's
    text, read from its first LOOKED_AT characters)."""
    body = message.get("body") or ""
    if not isinstance(body, str):
        body = str(body)
    if is_html(message):
        reader = _Text()
        reader.feed(body[:LOOKED_AT])
        body = "".join(reader.parts)
    text = " ".join(body[:LOOKED_AT].split())
    return text if len(text) <= EXCERPT else text[: EXCERPT - 1].rsplit(" ", 1)[0] + " …"


def preview(message: Doc) -> Response:
    """The body as a document of its own, for the message page's sandboxed frame."""
    response = Response(str(message.get("body") or ""), media_type="text/html")
    response.headers["Content-Security-Policy"] = PREVIEW_POLICY
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
