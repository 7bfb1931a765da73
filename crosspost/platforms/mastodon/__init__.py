"""The Mastodon adapter: read, write and import the account archive.

https://docs.joinmastodon.org/client/intro/
"""

from crosspost.platforms.mastodon.archive import read_archive
from crosspost.platforms.mastodon.client import MastodonClient
from crosspost.platforms.mastodon.convert import to_post
from crosspost.platforms.mastodon.instance import limits_from_instance
from crosspost.platforms.mastodon.write import from_draft

__all__ = ["MastodonClient", "from_draft", "limits_from_instance", "read_archive", "to_post"]
