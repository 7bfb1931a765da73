"""A signed-in session for reads, over plain HTTP: the App View's calls (mutes, bookmarks,
followers through the PDS) need the account's access token, and nothing of the atproto SDK.

https://docs.bsky.app/docs/api/com-atproto-server-create-session and
https://docs.bsky.app/docs/api/com-atproto-server-refresh-session (a refresh token gives new
tokens without the password; createSession has tight limits: 30 per 5 minutes)

The session is kept in the SDK's own session-string format (`handle:::did:::access:::refresh:::
pds`), so a session a read made serves the writes of the same run or a later one, and the
other way round.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from crosspost.platforms.bluesky.xrpc import CallError

SEPARATOR = ":::"
LOGIN = "com.atproto.server.createSession"
REFRESH = "com.atproto.server.refreshSession"


@dataclass(frozen=True, slots=True)
class Tokens:
    handle: str
    did: str
    access: str
    refresh: str
    pds: str | None = None

    def encode(self) -> str:
        fields = [self.handle, self.did, self.access, self.refresh, self.pds or ""]
        return SEPARATOR.join(fields)

    @classmethod
    def decode(cls, text: str) -> Tokens | None:
        """The tokens of a kept session string (None: it does not read as one)."""
        fields = text.split(SEPARATOR)
        if len(fields) not in (4, 5) or not all(fields[:4]):
            return None
        pds = fields[4] if len(fields) == 5 and fields[4] else None
        return cls(fields[0], fields[1], fields[2], fields[3], pds)

    @classmethod
    def from_answer(cls, answer: Mapping[str, Any], pds: str) -> Tokens:
        """The tokens createSession or refreshSession answered with."""
        return cls(
            str(answer.get("handle") or ""),
            str(answer.get("did") or ""),
            str(answer["accessJwt"]),
            str(answer["refreshJwt"]),
            pds,
        )

    def bearer(self, *, refresh: bool = False) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.refresh if refresh else self.access}"}


class LoginFailedError(CallError):
    """The PDS refused the account's app password (createSession): the message says what to do.
    Nothing signed in is read in that run (one refused password is enough)."""
