"""The Mastodon adapter: read, write and import the account archive.

https://docs.joinmastodon.org/client/intro/

Its registry entry is `spec.SPEC`. Modules load on first use: importing a converter must not
pull in Mastodon.py and requests, so this package re-exports nothing.
"""
