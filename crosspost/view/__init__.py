"""Browse a backup: a static HTML site that opens from file:// and loads nothing from the network.

`render_site(root, out)` reads a backup folder holding any mix of platforms and accounts and writes
an index (newest first, paginated), monthly archives, one page per post, tag pages and a
client-side search. Re-rendering rewrites only the pages whose content changed.
"""

from __future__ import annotations

from crosspost.view.site import SiteReport, render_site

__all__ = ["SiteReport", "render_site"]
