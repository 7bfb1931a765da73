"""Filling an account on the local PDS quickly, as the app would: records written in batches of
com.atproto.repo.applyWrites (200 a call), blobs through uploadBlob. Test data only."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from crosspost.platforms.bluesky.tid import tid_from_key
from tests.backup_world import png
from tests.bluesky_pds import PdsAccount

BATCH = 200  # applyWrites takes at most 200 writes
START = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass
class Seeder:
    account: PdsAccount
    http: httpx.Client

    @classmethod
    def open(cls, account: PdsAccount) -> Seeder:
        http = httpx.Client(base_url=f"{account.url}/xrpc", timeout=60)
        made = http.post(
            "com.atproto.server.createSession",
            json={"identifier": account.handle, "password": account.password},
        )
        made.raise_for_status()
        http.headers["Authorization"] = f"Bearer {made.json()['accessJwt']}"
        return cls(account, http)

    def close(self) -> None:
        self.http.close()

    def blob(self, data: bytes, mime: str) -> dict[str, Any]:
        answer = self.http.post(
            "com.atproto.repo.uploadBlob", content=data, headers={"Content-Type": mime}
        )
        answer.raise_for_status()
        return dict(answer.json()["blob"])

    def put(self, collection: str, rkey: str, record: Mapping[str, Any]) -> dict[str, Any]:
        body = {
            "repo": self.account.did,
            "collection": collection,
            "rkey": rkey,
            "record": {"$type": collection, **record},
        }
        answer = self.http.post("com.atproto.repo.putRecord", json=body)
        answer.raise_for_status()
        return dict(answer.json())

    def create(self, collection: str, record: Mapping[str, Any], rkey: str) -> dict[str, str]:
        """One record under `rkey`; its {uri, cid}."""
        out = self.put(collection, rkey, record)
        return {"uri": str(out["uri"]), "cid": str(out["cid"])}

    def create_many(
        self, collection: str, records: Sequence[Mapping[str, Any]], key: str, first: int = 0
    ) -> None:
        """Records under TID keys in time order (the first the oldest, START + `first`
        minutes, then a minute apart), 200 a call."""
        writes = [
            {
                "$type": "com.atproto.repo.applyWrites#create",
                "collection": collection,
                "rkey": tid_for(f"{key}{number}", first + number),
                "value": {"$type": collection, **record},
            }
            for number, record in enumerate(records)
        ]
        for start in range(0, len(writes), BATCH):
            body = {"repo": self.account.did, "writes": writes[start : start + BATCH]}
            self.http.post("com.atproto.repo.applyWrites", json=body).raise_for_status()

    def delete(self, uri: str) -> None:
        _, _, rest = uri.partition(f"at://{self.account.did}/")
        collection, _, rkey = rest.partition("/")
        body = {"repo": self.account.did, "collection": collection, "rkey": rkey}
        self.http.post("com.atproto.repo.deleteRecord", json=body).raise_for_status()


def stamp(number: int) -> str:
    return (START + timedelta(minutes=number)).isoformat().replace("+00:00", "Z")


def tid_for(key: str, number: int) -> str:
    """A record key whose time is START + `number` minutes: keys sort as the records were made."""
    return tid_from_key(key, START + timedelta(minutes=number))


def fill(pds_account: PdsAccount, posts: int, images: int, first: int = 0) -> None:
    """`posts` posts a minute apart (keys in time order); every (posts // images)-th has an
    image of its own."""
    seeder = Seeder.open(pds_account)
    every = posts // images if images else 0
    records: list[dict[str, Any]] = []
    for number in range(first, first + posts):
        record: dict[str, Any] = {"text": f"post {number}", "createdAt": stamp(number)}
        if every and number % every == 0:
            blob = seeder.blob(png(number + 1), "image/png")
            images_embed = [{"image": blob, "alt": f"image {number}"}]
            record["embed"] = {"$type": "app.bsky.embed.images", "images": images_embed}
        records.append(record)
    seeder.create_many("app.bsky.feed.post", records, f"p{first}-", first)
    seeder.close()
