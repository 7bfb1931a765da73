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


def _b64(data: dict[str, Any]) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


FAKE_JWT = ".".join(
    [
        _b64({"alg": "none", "typ": "JWT"}),
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
    return FAKE_JWT if key.endswith("Jwt") else "SCRUBBED"


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
                r"\1=SCRUBBED",
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
