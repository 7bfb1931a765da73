"""read.plain_json, which copies every status read: exactly what its plain isinstance walk gave
(Mastodon.py's entities and datetimes, tuples, odd keys), at the speed of exact type tests."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Any

import yaml
from mastodon.return_types import Status
from mastodon.types_base import try_cast_recurse

from crosspost.platforms.mastodon.read import plain_json, to_post
from tests.fixtures import fixture_path


def reference(value: Any) -> Any:
    """plain_json as it was written first."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(key): reference(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [reference(item) for item in value]
    return value


def plain_containers(value: Any) -> bool:
    """Only dicts (with str keys) and lists hold values; no datetime is left. (Mastodon.py's
    ids are an int type of its own, passed through as they always were.)"""
    if type(value) is dict:
        return all(type(k) is str and plain_containers(v) for k, v in value.items())
    if type(value) is list:
        return all(plain_containers(item) for item in value)
    return not isinstance(value, Mapping | list | tuple | datetime)


def cassette_statuses() -> list[dict[str, Any]]:
    path = fixture_path("mastodon-py/tests/cassettes/test_status_reblog_unreblog.yaml")
    found = []
    for interaction in yaml.safe_load(path.read_text(encoding="utf-8"))["interactions"]:
        body = interaction["response"]["body"].get("string")
        if isinstance(body, str) and body.startswith("{") and '"visibility"' in body:
            found.append(json.loads(body))
    assert found
    return found


def test_mastodon_py_entities_become_the_same_plain_json() -> None:
    for status in cassette_statuses():
        entity = try_cast_recurse(Status, json.loads(json.dumps(status)))  # type: ignore[no-untyped-call]
        assert isinstance(entity["created_at"], datetime)  # Mastodon.py's own types
        assert plain_json(entity) == reference(entity)
        assert plain_containers(plain_json(entity))
        assert plain_json(status) == reference(status) == status


class Kind(StrEnum):
    A = "a"


def test_odd_values_are_made_plain_as_before() -> None:
    when = datetime(2024, 5, 1, 10, tzinfo=UTC)
    value = {
        "when": when,
        "tuple": (1, (2, when)),
        1: "int key",
        Kind.A: "str-enum key",
        "proxy": MappingProxyType({"x": [when]}),
        "nested": [{"deep": {"list": [1.5, True, None]}}],
        "other": frozenset({1}),  # not JSON: passed through, as before
    }
    assert plain_json(value) == reference(value)
    assert plain_json(value)["1"] == "int key"
    assert type(next(k for k in plain_json(value) if k == "a")) is str
    assert plain_json(value)["tuple"] == [1, [2, "2024-05-01T10:00:00+00:00"]]


def test_the_copy_shares_no_container_with_the_status() -> None:
    status = cassette_statuses()[0]
    copied = plain_json(status)
    copied["account"]["username"] = "changed"
    copied["mentions"].append({})
    assert status["account"]["username"] != "changed"
    assert {} not in status["mentions"]


def test_a_boosts_trail_keeps_the_boosted_status_as_sent() -> None:
    for status in cassette_statuses():
        if isinstance(status.get("reblog"), dict):
            post = to_post(status, account="mastodonpy_test@localhost")
            assert post.trail[0].raw == status["reblog"]
            assert post.raw == status
            return
    raise AssertionError("no boost in the cassette")
