"""Shared setup for backup tests against real processes and local servers: a Tumblr-shaped blog
with images, the `crosspost` command as a subprocess, and snapshots compared by content."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

from PIL import Image

from tests.fixtures import PROJECT_ROOT
from tests.tumblr_server import CONSUMER, TumblrServer

BLOG = "art"
START = 1_700_000_000


def png(number: int) -> bytes:
    """A small real PNG, different for every number."""
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (number % 256, number // 256 % 256, 7)).save(buffer, "PNG")
    return buffer.getvalue()


def fill_tumblr(server: TumblrServer, posts: int, images: int, blog: str = BLOG) -> None:
    """`posts` text posts a minute apart, newest first; every (posts // images)-th has an image."""
    every = posts // images if images else 0
    for number in range(posts):
        content: list[dict[str, object]] = [{"type": "text", "text": f"post {number}"}]
        if every and number % every == 0:
            key = f"m{number}"
            server.state.media[key] = png(number)
            url = f"{server.url}/media/{key}"
            content.append({"type": "image", "media": [{"url": url, "type": "image/png"}]})
        server.state.add(blog, {"timestamp": START - number * 60, "content": content})


def tumblr_config(folder: Path, service: str, blog: str = BLOG) -> Path:
    path = folder / "config.toml"
    path.write_text(
        f'[accounts.{blog}]\nplatform = "tumblr"\nblog = "{blog}"\nservice = "{service}"\n'
    )
    return path


def cli_env(home: Path, secrets: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a `crosspost` subprocess: no keyring, private dirs, the secrets given
    (account name -> value, as `CROSSPOST_SECRET_<NAME>`; an API key reads a public blog)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CROSSPOST_")}
    env.update(
        PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring",
        XDG_CONFIG_HOME=str(home / "xdg-config"),
        XDG_DATA_HOME=str(home / "xdg-data"),
        PYTHONPATH=str(PROJECT_ROOT),
    )
    for name, value in (secrets or {BLOG: CONSUMER[0]}).items():
        env[f"CROSSPOST_SECRET_{name.upper()}"] = value
    return env


def crosspost(*args: str) -> list[str]:
    return [sys.executable, "-m", "crosspost", *args]


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, env=env, capture_output=True, text=True, timeout=120, check=False)


def snapshot(root: Path) -> dict[str, bytes]:
    """Every post and media file by content (the manifest holds run times: left out)."""
    return {
        str(path.relative_to(root)): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and ("/posts/" in str(path) or "/media/" in str(path))
    }


def leftovers(root: Path) -> list[Path]:
    """Temp files of interrupted writes, and anything else that is not a finished file."""
    return [p for p in root.rglob("*") if p.name.startswith(".w") or p.suffix == ".tmp"]
