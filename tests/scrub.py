"""Scrubbing of secrets from cassettes at record time (vcrpy hooks), shared by every HTTP test.

Headers are dropped by `filter_headers`; these hooks handle secrets in bodies: Bluesky's
createSession sends the password in JSON and answers with JWTs, which the SDK decodes on the client,
so they are replaced by an unsigned fake JWT with a far-future `exp` (a plain "REDACTED" breaks
replay).
"""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from typing import Any

FILTER_HEADERS = ["authorization", "cookie", "set-cookie", "dpop", "atproto-proxy"]
FILTER_QUERY = ["api_key", "access_token", "oauth_token", "oauth_verifier", "client_secret"]
SECRET_JSON_KEYS = {
    "password",
    "accessJwt",
    "refreshJwt",
    "access_token",
    "client_secret",
    "oauth_token_secret",
    "appPassword",
    "token",
}


# What a scrubbed secret becomes: asterisks, the usual spelling of "hidden", so that scans for
# leaked secrets (which skip such values) stay quiet on our cassettes.
SCRUBBED = "********"


def _b64(data: dict[str, Any]) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


# The header's leading space keeps the token from starting with "ey", so a scan for live JWTs in
# cassettes (which all start so) never mistakes this unsigned stand-in for one.
FAKE_JWT = ".".join(
    [
        base64.urlsafe_b64encode(b' {"alg":"none","typ":"JWT"}').rstrip(b"=").decode(),
        _b64({"sub": "did:plc:scrubbed", "exp": 4102444800}),
        "c2NydWJiZWQ",
    ]
)


def scrub_json_text(text: str) -> str:
    try:
        data = json.loads(text)
    except ValueError:
        return text
    return json.dumps(_scrub(data))


def _scrub(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            key: (
                _replacement(key)
                if key in SECRET_JSON_KEYS and isinstance(item, str)
                else _scrub(item)
            )
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_scrub(item) for item in value]
    return value


def _replacement(key: str) -> str:
    return FAKE_JWT if key.endswith("Jwt") else SCRUBBED


def before_record_request(request: Any) -> Any:
    if request.body:
        try:
            body = request.body.decode() if isinstance(request.body, bytes) else request.body
        except UnicodeDecodeError:
            return request  # a binary upload (an image): no secrets in it
        if isinstance(body, str) and body.lstrip().startswith("{"):
            request.body = scrub_json_text(body).encode()
        elif isinstance(body, str):
            request.body = re.sub(
                r"(oauth_token_secret|oauth_verifier|password|client_secret)=[^&]*",
                rf"\1={SCRUBBED}",
                body,
            ).encode()
    return request


def before_record_response(response: dict[str, Any]) -> dict[str, Any]:
    body = response.get("body", {}).get("string")
    if isinstance(body, bytes) and body[:1] in (b"{", b"["):
        response["body"]["string"] = scrub_json_text(body.decode()).encode()
    elif isinstance(body, str) and body[:1] in ("{", "["):
        response["body"]["string"] = scrub_json_text(body)
    return response


def cassette_text(path: Path) -> str:
    """Everything a cassette holds, as one text to search for secrets: URIs, header names and
    values and bodies, with the `!!binary` ones (requests' bytes headers, uploads, CARs) decoded."""
    import yaml

    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    parts: list[str] = []

    def add(value: Any) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                parts.append(str(key))
                add(item)
        elif isinstance(value, list):
            for item in value:
                add(item)
        elif isinstance(value, bytes):
            parts.append(value.decode("utf-8", errors="replace"))
        elif value is not None:
            parts.append(str(value))

    add(data.get("interactions", []))
    return "\n".join(parts)


def request_header_names(path: Path) -> set[str]:
    """The (lower-case) names of every header the cassette's requests carry."""
    import yaml

    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {
        str(name).lower()
        for interaction in data.get("interactions", [])
        for name in (interaction.get("request", {}).get("headers") or {})
    }
