"""What cassettes hold and how a replay is matched to them (vcrpy hooks), shared by every HTTP test.

Scrubbing at record time: headers are dropped by `filter_headers`; these hooks handle secrets in
bodies: Bluesky's createSession sends the password in JSON and answers with JWTs, which the SDK
decodes on the client, so they are replaced by an unsigned fake JWT with a far-future `exp` (a
plain "REDACTED" breaks replay).

Matching at replay: `match_body` compares what a request sends with what was recorded, after
scrubbing both the same way and masking only what legitimately differs between runs.
"""

from __future__ import annotations

import base64
import difflib
import hashlib
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

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
            request.body = scrub_form_text(body).encode()
    return request


def scrub_form_text(text: str) -> str:
    return re.sub(
        r"(oauth_token_secret|oauth_verifier|password|client_secret)=[^&]*",
        rf"\1={SCRUBBED}",
        text,
    )


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


# --- matching a replayed request's body ----------------------------------------------------------

MATCH_ON = ["method", "scheme", "host", "port", "path", "query", "scrubbed_body"]


def vcr_options() -> dict[str, Any]:
    """The vcr_config of every cassette test (tests/conftest.py)."""
    return {
        "filter_headers": FILTER_HEADERS,
        "filter_query_parameters": FILTER_QUERY,
        "before_record_request": before_record_request,
        "before_record_response": before_record_response,
        "decode_compressed_response": True,
        "match_on": MATCH_ON,
    }


def register_matchers(vcr: Any) -> None:
    vcr.register_matcher("scrubbed_body", match_body)


# JSON keys whose values differ between runs however the test is written: Bluesky's record time
# comes from the wall clock where a test injects no clock (test_login_once_and_keep_the_session's
# second client). Idempotency keys and OAuth1 nonces are not here: the first are derived from the
# post, the second travel in the Authorization header, which is never recorded.
VOLATILE_JSON_KEYS = {"createdAt"}
MASKED = "<a time>"


def match_body(live: Any, recorded: Any) -> None:
    """vcrpy matcher (live request first): the bodies say the same, or AssertionError says how.

    Registered as "scrubbed_body" (`register_matchers`); vcrpy's own "body" neither scrubs nor
    masks, and fails on every multipart boundary.
    """
    sent, kept = comparable_body(live), comparable_body(recorded)
    if sent != kept:
        raise AssertionError(_describe_difference(sent, kept))


def comparable_body(request: Any) -> Any:
    """What a body means, for comparison: JSON parsed (scrubbed, volatile fields masked), form
    fields parsed (scrubbed), multipart parts one by one, other text as it is, bytes (an
    upload) by their SHA-256."""
    from vcr.util import read_body

    body = read_body(request)
    if not body:
        return None
    raw = body.encode() if isinstance(body, str) else bytes(body)
    content_type = _header(request, "content-type")
    return _comparable(raw, content_type)


def _comparable(raw: bytes, content_type: str) -> Any:
    kind = content_type.split(";")[0].strip().lower()
    if kind.startswith("multipart/"):
        return {"multipart": _parts(raw, content_type)}
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return {"sha256": hashlib.sha256(raw).hexdigest()}
    if kind.endswith("json") or text.lstrip()[:1] in ("{", "["):
        try:
            return _mask(json.loads(scrub_json_text(text)))
        except ValueError:
            return text
    if kind == "application/x-www-form-urlencoded":
        return _form_fields(scrub_form_text(text))
    return text


def _form_fields(text: str) -> dict[str, list[str]]:
    """Fields in any order, but a repeated field's values in theirs (media_ids[] is the order of
    the attachments)."""
    fields: dict[str, list[str]] = {}
    for name, value in parse_qsl(text, keep_blank_values=True):
        fields.setdefault(name, []).append(value)
    return fields


def _parts(raw: bytes, content_type: str) -> list[Any]:
    """The parts of a multipart body, whose random boundary differs on every run: each part's
    name, filename and type, and its content compared as any other body is."""
    from email.parser import BytesParser
    from email.policy import HTTP

    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + raw
    )
    parts = []
    for part in message.iter_parts():
        payload = part.get_payload(decode=True)
        payload = payload if isinstance(payload, bytes) else b""
        parts.append(
            {
                "name": part.get_param("name", header="content-disposition"),
                "filename": part.get_filename(),
                "type": part.get_content_type() if part.get("content-type") else None,
                "body": _comparable(payload, part.get("content-type", "")),
            }
        )
    return parts


def _mask(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            key: MASKED if key in VOLATILE_JSON_KEYS and _is_time(item) else _mask(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_mask(item) for item in value]
    return value


def _is_time(value: Any) -> bool:
    """Only a well-formed time is masked: a missing or malformed one still fails the match."""
    from datetime import datetime

    try:
        datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return False
    return True


def _header(request: Any, name: str) -> str:
    value = request.headers.get(name) or ""
    if isinstance(value, list | tuple):
        value = value[0] if value else ""
    return value.decode("latin-1") if isinstance(value, bytes) else str(value)


def _describe_difference(sent: Any, kept: Any) -> str:
    def lines(value: Any) -> list[str]:
        return json.dumps(value, indent=1, sort_keys=True, ensure_ascii=False).splitlines()

    diff = difflib.unified_diff(lines(kept), lines(sent), "recorded", "sent", n=1, lineterm="")
    return "the bodies differ:\n" + "\n".join(list(diff)[:40])
