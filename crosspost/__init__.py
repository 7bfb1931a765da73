"""crosspost: back up, cross-post and migrate your writing between Tumblr, Bluesky and Mastodon."""

__version__ = "0.1.0"
