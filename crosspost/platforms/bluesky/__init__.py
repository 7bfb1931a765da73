"""The Bluesky adapter: convert records, publish and read through a PDS, import repo CAR exports.

https://docs.bsky.app/docs/api/at-protocol-xrpc-api

Its registry entry is `spec.SPEC`. Modules load on first use: importing a converter (`read`,
`write`) must not pull in the atproto SDK, which takes most of a second, so this package
re-exports nothing.
"""
