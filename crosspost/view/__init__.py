"""Browse a backup: a static HTML site that opens from file:// and loads nothing from the network.

`render_site(root, out)` reads a backup folder holding any mix of platforms and accounts and writes
an index (newest first, paginated), monthly archives, one page per post (with the earlier
versions of an edited one), tag pages, a client-side search, and a page per account: its
profile, how the profile changed, and its likes, bookmarks, reposts, follows, followers, lists,
blocks and mutes. People are named by handle wherever the backup knows one. Re-rendering
rewrites only the pages whose content changed.
"""

from __future__ import annotations

from crosspost.view.site import SiteReport, render_site

__all__ = ["SiteReport", "render_site"]
