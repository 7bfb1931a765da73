"""Where the people Dreamwidth's user tags name have their profiles, and back.

`<user name="x" site="y">` names a person on Dreamwidth or on one of the sites
cgi-bin/DW/External/Site.pm knows (with its aliases: "lj", "ij", ...). Journal sites put a
user on their own subdomain, with "_" written "-" (LJ::User::journal_base).
"""

from __future__ import annotations

from urllib.parse import urlsplit

DREAMWIDTH = "dreamwidth.org"
# Journal sites: https://<user>.<domain>/ (DW::External::Site aliases on the left).
_JOURNALS = {
    "dreamwidth.org": "dreamwidth.org",
    "dreamwidth": "dreamwidth.org",
    "dw": "dreamwidth.org",
    "livejournal.com": "livejournal.com",
    "livejournal": "livejournal.com",
    "lj": "livejournal.com",
    "insanejournal.com": "insanejournal.com",
    "insanejournal": "insanejournal.com",
    "ij": "insanejournal.com",
    "deadjournal.com": "deadjournal.com",
    "deadjournal": "deadjournal.com",
    "dj": "deadjournal.com",
    "journalfen.net": "journalfen.net",
    "journalfen": "journalfen.net",
    "jf": "journalfen.net",
    "inksome.com": "inksome.com",
    "inksome": "inksome.com",
    "tumblr.com": "tumblr.com",
    "tumblr": "tumblr.com",
}
# Sites whose profiles are a path: https://<host><prefix><user>
_PATHS = {
    "x.com": ("x.com", "/"),
    "twitter.com": ("x.com", "/"),
    "twitter": ("x.com", "/"),
    "github.com": ("github.com", "/"),
    "archiveofourown.org": ("archiveofourown.org", "/users/"),
    "archiveofourown": ("archiveofourown.org", "/users/"),
    "ao3": ("archiveofourown.org", "/users/"),
    "ao3.org": ("archiveofourown.org", "/users/"),
    "bsky.app": ("bsky.app", "/profile/"),
}


def profile_url(user: str, site: str | None = None) -> str | None:
    """The profile URL of `user` on `site` (Dreamwidth when None), or None for a site crosspost
    does not know the profiles of."""
    name = user.strip()
    if not name:
        return None
    key = (site or DREAMWIDTH).strip().lower()
    if key in ("bsky.social", "bsky"):
        return f"https://bsky.app/profile/{name.lower()}.bsky.social"
    if key in _JOURNALS:
        return f"https://{name.lower().replace('_', '-')}.{_JOURNALS[key]}/"
    if key in _PATHS:
        host, prefix = _PATHS[key]
        return f"https://{host}{prefix}{name}"
    return None


def journal_of(url: str) -> tuple[str, str] | None:
    """(user, site) of a journal site's profile URL (https://x.dreamwidth.org/), the inverse
    of `profile_url` for journal sites; None for any other URL."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    host = (parts.hostname or "").lower()
    if (
        parts.scheme not in ("http", "https")
        or parts.path not in ("", "/", "/profile")
        or parts.query
    ):
        return None
    for domain in set(_JOURNALS.values()):
        if host.endswith("." + domain):
            user = host.removesuffix("." + domain)
            if user and "." not in user and user != "www":
                return user.replace("-", "_"), domain
    return None


def journal_profile(url: str) -> str | None:
    """The canonical profile URL (the journal's root) of a journal site's URL, else None."""
    found = journal_of(url)
    return profile_url(found[0], found[1]) if found is not None else None


def is_dreamwidth_profile(url: str) -> bool:
    found = journal_of(url)
    return found is not None and found[1] == DREAMWIDTH


def claims_mention(url: str) -> bool:
    """Whether a mention's value is a person a Dreamwidth user tag names: a profile on Dreamwidth
    or another journal site (LiveJournal, InsaneJournal, ...); Tumblr claims its own first."""
    found = journal_of(url)
    return found is not None and found[1] != "tumblr.com"
