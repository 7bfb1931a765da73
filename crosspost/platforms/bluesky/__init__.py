"""The Bluesky adapter: convert records, publish and read through a PDS, import repo CAR exports.

https://docs.bsky.app/docs/api/at-protocol-xrpc-api
"""

from crosspost.platforms.bluesky.car import read_car
from crosspost.platforms.bluesky.client import BlueskyClient
from crosspost.platforms.bluesky.convert import ORIGIN_FIELD, from_draft, to_post
from crosspost.platforms.bluesky.tid import tid_from_key

__all__ = ["ORIGIN_FIELD", "BlueskyClient", "from_draft", "read_car", "tid_from_key", "to_post"]
