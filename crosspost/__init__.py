"""crosspost: back up, cross-post and migrate your writing between Tumblr, Bluesky, Mastodon and
Dreamwidth."""

__version__ = "0.1.0"
