"""atproto identifier syntax: handles and DIDs (https://atproto.com/specs/handle,
https://atproto.com/specs/did). One definition for the account parser and the text engine."""

from __future__ import annotations

import re

# re.ASCII: the specs allow ASCII letters and digits only.
HANDLE_RE = re.compile(
    r"([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?",
    re.ASCII,
)
HANDLE_MAX = 253
DID_RE = re.compile(r"did:[a-z]+:[a-zA-Z0-9._:%-]*[a-zA-Z0-9._-]", re.ASCII)
DID_MAX = 2048


def is_handle(value: str) -> bool:
    """Whether a string is a syntactically valid atproto handle."""
    return len(value) <= HANDLE_MAX and HANDLE_RE.fullmatch(value) is not None


def is_did(value: str) -> bool:
    """Whether a string is a syntactically valid DID."""
    return len(value) <= DID_MAX and DID_RE.fullmatch(value) is not None
