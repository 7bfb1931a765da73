"""The Dreamwidth transport against a server answering as Dreamwidth's Protocol.pm does
(tests/dreamwidth_server.py): challenge auth, typed-by-content answers, faults and retries."""

from __future__ import annotations

import xmlrpc.client
from typing import Any

import pytest

from crosspost.errors import CredentialsError, PlatformError, RateLimitedError
from crosspost.platforms.dreamwidth.protocol import (
    API_KEYS_PAGE,
    CallFault,
    Transport,
    auth_response,
    decode,
)
from crosspost.platforms.retry import OutcomeUnknownError, RetryPolicy
from tests.dreamwidth_server import KEY, DreamwidthServer, journal, md5_hex


def transport(dw: DreamwidthServer, key: str = KEY, sleeps: list[float] | None = None) -> Transport:
    waits = sleeps if sleeps is not None else []
    policy = RetryPolicy(sleep=waits.append, clock=dw.clock)
    return Transport(dw.base_url, "alice", key, account_name="dreamwidth:alice", retry=policy)


def raw_call(dw: DreamwidthServer, method: str, args: dict[str, Any] | None = None) -> Any:
    """One call as a plain XML-RPC client sends it, the answer as it came (Binary, ints)."""
    proxy = xmlrpc.client.ServerProxy(dw.base_url + "/interface/xmlrpc")
    answer: Any = getattr(proxy.LJ.XMLRPC, method)(args or {})
    return answer


def test_the_answer_is_md5_of_the_challenge_and_the_keys_md5() -> None:
    challenge = "c0:1073113200:2831:60:2TCbFBYR72I2Ry64mYsX"
    assert auth_response(challenge, "key") == md5_hex(challenge + md5_hex("key"))


def test_every_authenticated_call_costs_a_fresh_challenge() -> None:
    with journal() as dw:
        t = transport(dw)
        t.call("login", what="sign in")
        t.call("login", what="sign in")
        assert t.requests == {"getchallenge": 2, "login": 2}
        assert dw.requests == {"getchallenge": 2, "login": 2}
        assert dw.challenges == {}  # each was used once, and is gone


def test_a_challenge_is_single_use() -> None:
    with journal() as dw:
        chal = str(raw_call(dw, "getchallenge")["challenge"])
        args = {"username": "alice", "auth_method": "challenge", "auth_challenge": chal,
                "auth_response": auth_response(chal, KEY), "ver": 1}  # fmt: skip
        raw_call(dw, "login", args)
        with pytest.raises(xmlrpc.client.Fault) as replay:
            raw_call(dw, "login", args)
        assert replay.value.faultCode == 101


def test_the_server_types_text_by_its_content_and_the_transport_turns_it_back() -> None:
    """XMLRPC::Lite sends a non-ASCII string as base64 and a digit-only one as an int."""
    with journal() as dw:
        dw.add_entry(
            "alice", "1984", "Café ☕", "2020-01-02 03:04:00",
            props={"taglist": "2020, Ünïcode", "current_music": "99", "opt_backdated": "1"},
        )  # fmt: skip
        chal = str(raw_call(dw, "getchallenge")["challenge"])
        raw = raw_call(
            dw,
            "getevents",
            {"username": "alice", "auth_method": "challenge", "auth_challenge": chal,
             "auth_response": auth_response(chal, KEY), "ver": 1, "selecttype": "one",
             "itemid": 1, "lineendings": "unix"}
        )  # fmt: skip
        wire = raw["events"][0]
        assert wire["subject"] == 1984  # an <int> on the wire
        assert isinstance(wire["event"], xmlrpc.client.Binary)
        assert isinstance(wire["props"]["taglist"], xmlrpc.client.Binary)
        assert wire["props"]["current_music"] == 99

        (event,) = transport(dw).call("getevents", {"selecttype": "one", "itemid": 1}, what="read")[
            "events"
        ]
        assert event["subject"] == "1984"
        assert event["event"] == "Café ☕"
        assert event["props"]["current_music"] == "99"
        assert event["props"]["opt_backdated"] == 1  # a flag stays a number
        assert set(event["props"]["taglist"].split(", ")) == {"2020", "ünïcode"}
        assert event["itemid"] == 1  # ids stay int
        assert isinstance(event["anum"], int)


def test_decode_leaves_ids_and_turns_doubles_in_text_back() -> None:
    answer = {"itemid": 5, "subject": 1.5, "props": {"current_mood": 3, "revnum": 2}}
    assert decode(answer) == {"itemid": 5, "subject": "1.5",
                              "props": {"current_mood": "3", "revnum": 2}}  # fmt: skip


def test_a_wrong_key_says_to_log_in_again_and_where_keys_are_made() -> None:
    with journal() as dw:
        with pytest.raises(CredentialsError) as refused:
            transport(dw, key="not-the-key").call("login", what="sign in")
        message = str(refused.value)
        assert "crosspost login dreamwidth:alice" in message
        assert API_KEYS_PAGE in message
        assert dw.requests["login"] == 1  # never retried


def test_an_unknown_journal_is_a_credentials_error() -> None:
    with journal() as dw:
        t = Transport(dw.base_url, "bob", KEY, retry=RetryPolicy(sleep=lambda s: None))
        with pytest.raises(CredentialsError, match="no journal 'bob'"):
            t.call("login", what="sign in")


@pytest.mark.parametrize(("code", "wait"), [(402, 600.0), (406, 3600.0)])
def test_a_rate_limit_fault_is_a_rate_limit_with_its_wait(code: int, wait: float) -> None:
    with journal() as dw:
        dw.fail_next("syncitems", fault=code)
        with pytest.raises(RateLimitedError) as limited:
            transport(dw).call("syncitems", what="list")
        assert limited.value.retry_after == wait  # longer than the policy waits: said, not slept
        assert dw.requests["syncitems"] == 1


def test_a_login_ban_says_to_check_the_key() -> None:
    with journal() as dw:
        dw.fail_next("login", fault=402)
        with pytest.raises(RateLimitedError, match="crosspost login dreamwidth:alice"):
            transport(dw).call("login", what="sign in")


def test_a_short_rate_limit_is_waited_out_and_retried() -> None:
    with journal() as dw:
        sleeps: list[float] = []
        dw.fail_next("postevent", fault=405)  # post frequency: no wait stated, backed off
        t = transport(dw, sleeps=sleeps)
        args = {"event": "x", "year": 2020, "mon": 1, "day": 1, "hour": 0, "min": 0}
        t.call("postevent", args, what="publish", repeatable=False)
        assert sleeps == [1.0]
        assert len(dw.users["alice"].entries) == 1


@pytest.mark.parametrize("failure", [{"fault": 502}, {"status": 503}])
def test_a_server_error_is_retried_through_the_policy(failure: dict[str, int]) -> None:
    with journal() as dw:
        sleeps: list[float] = []
        dw.fail_next("syncitems", times=2, **failure)
        answer = transport(dw, sleeps=sleeps).call("syncitems", what="list")
        assert answer["total"] == 0
        assert sleeps == [1.0, 2.0]
        assert dw.requests["syncitems"] == 3


def test_a_call_that_times_out_is_tried_again() -> None:
    with journal() as dw:
        sleeps: list[float] = []
        dw.stall_next("syncitems", 1.0)
        t = transport(dw, sleeps=sleeps)
        t.timeout = 0.2
        assert t.call("syncitems", what="list")["count"] == 0
        assert dw.requests["syncitems"] == 2
        assert sleeps == [1.0]


def test_a_server_error_that_lasts_is_said_once_the_attempts_are_spent() -> None:
    with journal() as dw:
        dw.fail_next("syncitems", fault=501, times=10)
        with pytest.raises(PlatformError, match=r"fault 501.*4 times in a row"):
            transport(dw).call("syncitems", what="list")


def test_a_post_whose_answer_was_lost_is_an_unknown_outcome_not_a_retry() -> None:
    with journal() as dw:
        dw.crash_after("postevent")
        args = {"event": "x", "year": 2020, "mon": 1, "day": 1, "hour": 0, "min": 0}
        with pytest.raises(OutcomeUnknownError):
            transport(dw).call("postevent", args, what="publish", repeatable=False)
        assert dw.requests["postevent"] == 1


def test_a_refused_call_names_the_fault() -> None:
    with journal() as dw:
        args = {"event": "x", "year": 2020, "mon": 1, "day": 1, "hour": 0, "min": 0,
                "props": {"revnum": 3}}  # fmt: skip
        with pytest.raises(CallFault) as refused:
            transport(dw).call("postevent", args, what="publish", repeatable=False)
        assert refused.value.code == 205
        assert "Unknown metadata: revnum" in str(refused.value)


def test_a_post_needs_its_date() -> None:
    with journal() as dw, pytest.raises(CallFault, match="Invalid year value"):
        transport(dw).call("postevent", {"event": "x"}, what="publish", repeatable=False)


def test_an_expired_challenge_is_met_with_a_fresh_one() -> None:
    now = [1_700_000_000.0]
    with journal(clock=lambda: now[0]) as dw:
        real = dw._m_getchallenge

        def stale(req: dict[str, object]) -> dict[str, object]:
            answer = real(req)
            dw.challenges = {c: e - 120 for c, e in dw.challenges.items()}  # aged on the way
            dw._m_getchallenge = real  # type: ignore[method-assign]
            return answer

        dw._m_getchallenge = stale  # type: ignore[method-assign]
        assert transport(dw).call("login", what="sign in")["fullname"] == "Alice"
        assert dw.requests == {"getchallenge": 2, "login": 2}


def test_the_server_refuses_a_getevents_lastsync_asked_twice_within_the_hour() -> None:
    """Protocol.pm's rl_syncitems_getevents_loop: a client not moving its cursor is refused."""
    with journal() as dw:
        t = transport(dw)
        args = {"selecttype": "syncitems", "lastsync": "2020-01-01 00:00:00"}
        t.call("getevents", args, what="read")
        t.call("getevents", args, what="read")
        with pytest.raises(RateLimitedError) as refused:
            t.call("getevents", args, what="read")
        assert refused.value.retry_after == 3600.0
