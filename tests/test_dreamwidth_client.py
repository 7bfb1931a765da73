"""The Dreamwidth client against a server answering as Dreamwidth does (tests/dreamwidth_server.py):
listing, reading, publishing with its marker through duplicate protection, editing, deleting,
comments, the profile and the registry entry."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from crosspost.errors import CredentialsError
from crosspost.model import Platform, PostRef, RichText, Visibility
from crosspost.platforms.base import (
    CanEdit,
    DescribesPostCount,
    Draft,
    HasProfile,
    HasStableId,
    RetryPolicy,
)
from crosspost.platforms.dreamwidth import comments as comment_export
from crosspost.platforms.dreamwidth import listing
from crosspost.platforms.dreamwidth.client import DreamwidthClient
from crosspost.platforms.dreamwidth.login import check_key, login
from crosspost.platforms.registry import mention_platform, parse_account_spec, profile_url, spec
from crosspost.platforms.spec import NO_SECRETS, ClientRequest
from tests.dreamwidth_server import (
    KEY,
    PNG,
    Comment,
    DreamwidthServer,
    account_for,
    journal,
    open_client,
)

ORIGIN = PostRef(Platform.MASTODON, "alice@example.social", "1", "https://example.social/@a/1")


def seed(dw: DreamwidthServer, count: int, *, start: int = 0) -> None:
    for n in range(start, start + count):
        dw.add_entry(
            "alice", f"entry {n}", f"<p>body {n}</p>",
            f"2019-01-{1 + n % 28:02d} 10:{n % 60:02d}:00",
            logtime=f"2020-01-01 00:{n // 60:02d}:{n % 60:02d}",
        )  # fmt: skip


def draft(text: str, key: str = "k1", **extra: object) -> Draft:
    return Draft(RichText(text), idempotency_key=key, origin=ORIGIN, **extra)  # type: ignore[arg-type]


# -- listing ----------------------------------------------------------------------------------


def test_syncitems_pages_until_count_is_total_and_keeps_moving() -> None:
    with journal(syncitems_limit=3) as dw:
        seed(dw, 8)
        dw.users["alice"].comments[1] = Comment(1, 2, 0, datepost="2020-01-01 00:00:30")
        client = open_client(dw)
        items = listing.sync_items(client.transport)
        assert sorted(items.entries) == list(range(1, 9))  # L- items only
        assert items.comments == {2: "2020-01-01 00:00:30"}
        # Each call starts a second before the last item it had (an answer may end inside a
        # second), so the answers overlap by one: 0-2, 2-4, 4-6, then 6, 7 and the comment.
        assert items.calls == 4
        assert items.lastsync == "2020-01-01 00:00:30"


def test_syncitems_loses_nothing_where_a_page_ends_inside_one_second() -> None:
    with journal(syncitems_limit=3) as dw:
        for n in range(7):  # two entries a second: a page of 3 ends between them
            dw.add_entry("alice", "s", f"b{n}", "2019-01-01 00:00:00",
                         logtime=f"2020-01-01 00:00:{n // 2:02d}")  # fmt: skip
        items = listing.sync_items(open_client(dw).transport)
        assert sorted(items.entries) == list(range(1, 8))


def test_pages_go_newest_posted_first_with_the_count() -> None:
    with journal() as dw:
        seed(dw, 230)
        client = open_client(dw)
        first = client.fetch_page()
        assert first.total == 230
        ids = [int(p.ref.id) // 256 for p in first.posts]
        assert ids == list(range(230, 130, -1))
        second = client.fetch_page(first.cursor)
        third = client.fetch_page(second.cursor)
        assert [len(first.posts), len(second.posts), len(third.posts)] == [100, 100, 30]
        assert third.cursor is None
        assert dw.requests["syncitems"] == 1
        assert dw.requests["getevents"] == 3


def test_a_resumed_listing_reads_on_from_its_cursor_without_listing_again() -> None:
    with journal() as dw:
        seed(dw, 150)
        cursor = open_client(dw).fetch_page().cursor
        assert cursor is not None
        dw.requests.clear()
        for gone in (40, 41):
            del dw.users["alice"].entries[gone]
        page = open_client(dw).fetch_page(cursor)  # a new process: the id list is not known
        assert [int(p.ref.id) // 256 for p in page.posts] == [
            i for i in range(50, 0, -1) if i not in (40, 41)
        ]
        assert page.cursor is None
        assert dw.requests == {"getchallenge": 1, "getevents": 1}


def test_an_entry_reads_back_in_the_contract_shape() -> None:
    with journal() as dw:
        entry = dw.add_entry(
            "alice", "Locked", "line one\nline two", "2018-05-06 07:08:00",
            security="usemask", allowmask=1, props={"taglist": "Cats", "current_mood": "ok"},
        )  # fmt: skip
        post = open_client(dw).fetch_page().posts[0]
        raw = post.raw
        assert raw["itemid"] == entry.itemid
        assert raw["ditemid"] == entry.ditemid
        assert raw["journal"] == "alice"
        assert raw["event"] == "line one\nline two"  # lineendings=unix: no CRLF
        assert raw["security"] == "usemask"
        assert raw["allowmask"] == 1
        assert raw["props"]["taglist"] == "cats"  # the server's lower-cased tags
        assert raw["url"].endswith(f"/{entry.ditemid}.html")


def test_fetch_post_and_a_gone_entry() -> None:
    with journal() as dw:
        entry = dw.add_entry("alice", "s", "hello", "2018-05-06 07:08:00")
        client = open_client(dw)
        ref = PostRef(Platform.DREAMWIDTH, "alice", str(entry.ditemid))
        found = client.fetch_post(ref)
        assert found is not None
        assert found.text.text == "hello"
        del dw.users["alice"].entries[entry.itemid]
        assert client.fetch_post(ref) is None


def test_deleted_entries_are_what_a_listing_no_longer_has() -> None:
    with journal() as dw:
        seed(dw, 5)
        client = open_client(dw)
        del dw.users["alice"].entries[3]
        assert listing.gone([1, 2, 3, 4, 5], listing.sync_items(client.transport)) == [3]
        assert client.entry_ids() == [5, 4, 2, 1]


# -- publishing -------------------------------------------------------------------------------


def test_a_backdated_post_keeps_its_date_and_carries_its_marker() -> None:
    with journal() as dw:
        when = datetime(2009, 7, 8, 9, 10, tzinfo=UTC)
        client = open_client(dw)
        ref = client.publish(
            draft("<p>old news</p>", created_at=when, visibility=Visibility.FOLLOWERS)
        )
        (entry,) = dw.users["alice"].entries.values()
        assert ref.id == str(entry.ditemid)
        assert entry.eventtime == "2009-07-08 09:10:00"
        assert entry.props["opt_backdated"] == "1"
        assert "crosspost" in entry.props["import_source"]
        assert (entry.security, entry.allowmask) == ("usemask", 1)
        # posted last, dated 2009: still the first entry listed
        assert open_client(dw).fetch_page().posts[0].ref.id == ref.id


def test_a_lost_answer_finds_the_entry_instead_of_posting_again() -> None:
    """A crash between postevent and the ledger: the entry exists, the reply never came."""
    with journal() as dw:
        seed(dw, 3)
        dw.crash_after("postevent")
        client = open_client(dw)
        ref = client.publish(draft("<p>mirror</p>"))
        assert len(dw.users["alice"].entries) == 4
        assert ref.id == str(dw.users["alice"].entries[4].ditemid)
        assert dw.requests["postevent"] == 1


def test_a_rerun_after_a_crash_gets_the_same_entry_not_a_second() -> None:
    """A fresh process posts the same draft again (the ledger lost the first): Dreamwidth's
    duplicate check answers the entry, and the marker says it is this draft's."""
    with journal() as dw:
        first = open_client(dw).publish(draft("<p>mirror</p>"))
        again = open_client(dw).publish(draft("<p>mirror</p>"))
        assert again.id == first.id
        assert len(dw.users["alice"].entries) == 1
        assert open_client(dw).find_published(draft("<p>mirror</p>")) == again


def test_two_drafts_with_the_same_text_are_two_entries() -> None:
    """The duplicate check compares text, not markers: a second draft saying what the last
    entry said would be handed that entry."""
    with journal() as dw:
        client = open_client(dw)
        a = client.publish(draft("<p>Happy new year!</p>", key="a"))
        b = client.publish(draft("<p>Happy new year!</p>", key="b"))
        c = open_client(dw).publish(draft("<p>Happy new year!</p>", key="c"))  # a new process
        assert len({a.id, b.id, c.id}) == 3
        assert len(dw.users["alice"].entries) == 3


def test_find_published_finds_a_backdated_mirror_and_nothing_for_another_draft() -> None:
    with journal() as dw:
        client = open_client(dw)
        ref = client.publish(draft("<p>x</p>", created_at=datetime(2005, 1, 1, tzinfo=UTC)))
        seed(dw, 20)
        assert open_client(dw).find_published(draft("<p>x</p>")) == ref
        assert open_client(dw).find_published(draft("<p>x</p>", key="other")) is None


def test_edit_resends_security_and_allowmask() -> None:
    with journal() as dw:
        client = open_client(dw)
        assert isinstance(client, CanEdit)
        ref = client.publish(draft("v1", visibility=Visibility.FOLLOWERS))
        client.edit(ref, draft("v2", visibility=Visibility.FOLLOWERS))
        (entry,) = dw.users["alice"].entries.values()
        assert entry.event == "<p>v2</p>"
        assert (entry.security, entry.allowmask) == ("usemask", 1)
        client.edit(ref, draft("v3"))  # now public: said, not left as it was
        assert (entry.security, entry.allowmask) == ("public", 0)


def test_delete_and_delete_again() -> None:
    with journal() as dw:
        client = open_client(dw)
        ref = client.publish(draft("<p>bye</p>"))
        client.delete(ref)
        assert dw.users["alice"].entries == {}
        client.delete(ref)  # already gone: not an error


# -- comments, profile, media -----------------------------------------------------------------


def test_comments_come_from_the_export_with_a_session(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(comment_export, "META_PER_CALL", 2)
    monkeypatch.setattr(comment_export, "BODIES_PER_CALL", 2)
    with journal() as dw:
        bob = dw.add_user("bob", "bobkey")
        entry = dw.add_entry("alice", "s", "e", "2020-01-01 00:00:00")
        user = dw.users["alice"]
        user.comments = {
            1: Comment(1, entry.itemid, bob.userid, subject="Hi", body="Hello <b>there</b> é",
                       datepost="2020-02-03 04:05:06", props={"picture_keyword": "me"}),
            2: Comment(2, entry.itemid, 0, parentid=1, body="anon reply"),
            3: Comment(3, entry.itemid, bob.userid, state="D"),
            4: Comment(4, entry.itemid, 1, parentid=2, state="S", body="screened"),
            5: Comment(5, entry.itemid, 1, body="last"),
        }  # fmt: skip
        _, found = comment_export.fetch_comments(open_client(dw).transport)
        assert [c["id"] for c in found] == [1, 2, 3, 4, 5]
        first = found[0]
        assert first["poster"] == "bob"
        assert first["body"] == "Hello <b>there</b> é"
        assert first["date"] == "2020-02-03T04:05:06Z"
        assert first["props"] == {"picture_keyword": "me"}
        assert first["jitemid"] == entry.itemid
        assert found[1]["parentid"] == 1
        assert found[1]["poster"] == ""  # anonymous
        assert found[2]["state"] == "D"
        assert found[2]["body"] == ""  # deleted: no body
        assert found[3]["state"] == "S"
        assert dw.requests["sessiongenerate"] == 1
        assert dw.requests["export_comments"] >= 5  # meta and bodies paged by startid


def test_the_profile_names_the_userpics_and_fetches_them() -> None:
    with journal() as dw:
        user = dw.users["alice"]
        user.pickws, user.defaultpicid, user.userpics = {"Me": 7, "cat": 8}, 7, {7: PNG, 8: PNG}
        client = open_client(dw)
        for ability in (HasProfile, HasStableId, DescribesPostCount):
            assert isinstance(client, ability)
        profile = client.fetch_profile()
        assert profile.handle == "alice"
        assert profile.display_name == "Alice"
        assert profile.id == f"{user.userid}@{client.transport.host}"
        assert profile.avatar is not None
        assert profile.avatar.url == f"{dw.base_url}/userpic/7/{user.userid}"
        assert [p.alt for p in profile.pictures] == ["cat", "Me"]
        assert client.fetch_media(profile.avatar) == PNG
        assert dw.requests["login"] == 1  # the profile and the stable id share one sign-in


# -- login and the registry -------------------------------------------------------------------


class Prompts:
    def __init__(self, answer: str) -> None:
        self.answer, self.said = answer, []  # type: ignore[var-annotated]

    def ask(self, prompt: str, *, secret: bool) -> str:
        assert secret
        assert "API key" in prompt
        return self.answer

    def say(self, message: str) -> None:
        self.said.append(message)


def test_login_asks_for_an_api_key_and_checks_it() -> None:
    with journal() as dw:
        account = account_for(dw)
        prompts = Prompts(f"  {KEY}\n")
        assert login(account, prompts) == {"api_key": KEY}
        assert "manage/settings/?cat=mobile" in prompts.said[0]
        with pytest.raises(CredentialsError, match="crosspost login dreamwidth:alice"):
            check_key(account, "wrong", RetryPolicy(sleep=lambda s: None))


def test_the_spec_opens_a_client_on_the_accounts_server() -> None:
    with journal() as dw:
        seed(dw, 2)
        entry = spec(Platform.DREAMWIDTH)
        request = ClientRequest(account_for(dw), _Fields({"api_key": KEY}), NO_SECRETS,
                                RetryPolicy(sleep=lambda s: None))  # fmt: skip
        client = entry.open_client(request)
        assert isinstance(client, DreamwidthClient)
        assert client.fetch_page().total == 2
        with pytest.raises(CredentialsError, match="API key"):
            entry.open_client(ClientRequest(account_for(dw), None, NO_SECRETS, RetryPolicy()))


class _Fields:
    def __init__(self, fields: dict[str, str]) -> None:
        self.fields = fields

    def __getitem__(self, key: str) -> str:
        return self.fields[key]

    def get(self, key: str) -> str | None:
        return self.fields.get(key)


@pytest.mark.parametrize(
    "value", ["alice", "Alice", "alice.dreamwidth.org", "https://alice.dreamwidth.org/", "~alice"]
)
def test_journal_names(value: str) -> None:
    assert parse_account_spec(f"dreamwidth:{value}").identity == "alice"


def test_a_hyphen_is_an_underscore_and_bad_names_are_refused() -> None:
    assert spec(Platform.DREAMWIDTH).normalize_identity("some-one") == "some_one"
    with pytest.raises(Exception, match="not a Dreamwidth journal"):
        spec(Platform.DREAMWIDTH).normalize_identity("no spaces")


def test_dreamwidth_profiles_are_claimed_before_mastodon() -> None:
    assert mention_platform("https://some-one.dreamwidth.org/") is Platform.DREAMWIDTH
    assert profile_url("https://some-one.dreamwidth.org/profile") == (
        "https://some-one.dreamwidth.org/"
    )
    assert mention_platform("https://www.dreamwidth.org/") is Platform.MASTODON  # the site
