"""Where the public site keeps what its incremental render needs, and what makes its sigs.

An incremental render keeps a post cache (depends.py: each post's head, its sig and the
questions its card asked) and each page's sig (write.py). For the viewer both live in its own
folder, which is private. The public site's folder is uploaded, and that cache says what it
must never publish: which posts are followers-only, direct, drafts or deleted, their ids and
their tags. So it is kept in the backup folder's hidden state instead (`.state/sites/KEY/`,
readable by its owner only), one folder per site: KEY is a hash of the output folder's
resolved path and the site's options, so two sites from one backup never share a cache.
`site.json` there names the site it is for, to tell which folder to delete; a render with
other options into the same folder removes the cache of the options it replaces.

A missing or damaged cache means every page is made (and the cache written again); a backup
folder where nothing can be written means the same at every render, with a note saying why.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from crosspost.progress import Progress
from crosspost.view.depends import fingerprint

STATE = Path(".state") / "sites"  # under the backup's root
SIGS = "sigs.txt"  # the pages' sigs (write.py: SiteWriter.sigs)
ABOUT = "site.json"
_SIG = 16  # bytes of a sig, as depends.py makes them


def sig_of(*parts: object) -> bytes:
    """A sig of values a page is rendered from (their repr: strings, numbers, tuples, bytes)."""
    return hashlib.sha256(repr(parts).encode("utf-8")).digest()[:_SIG]


@dataclass(frozen=True)
class SiteState:
    folder: Path  # the post cache (depends.CACHE) and the sigs (SIGS) are here
    fp: bytes  # the public site's fingerprint: the viewer's, the page size and the options

    @property
    def sigs(self) -> Path:
        return self.folder / SIGS


def state_folder(root: Path, out: Path, options: tuple[object, ...]) -> Path:
    """The folder of the site at `out` made with `options` from the backup at `root`."""
    key = sig_of(os.fspath(out.resolve()), options).hex()
    return root / STATE / key


@contextmanager
def site_state(
    root: Path, out: Path, options: tuple[object, ...], per_page: int, progress: Progress
) -> Iterator[SiteState]:
    """The state of the site at `out` (made when it is not there yet); a temporary one, gone
    afterwards, when the backup folder cannot hold it."""
    fp = sig_of(fingerprint(root, per_page), "public site", options)
    folder = state_folder(root, out, options)
    try:
        _make(folder, root, out, options)
    except OSError as error:
        progress.note(
            f"{folder}: cannot keep the site's cache there ({error.strerror or error}); "
            "every page is made again at each render until the backup folder is writable"
        )
    else:
        yield SiteState(folder, fp)
        return
    with tempfile.TemporaryDirectory(prefix="crosspost-site-") as temporary:
        yield SiteState(Path(temporary), fp)


def _make(folder: Path, root: Path, out: Path, options: tuple[object, ...]) -> None:
    """The state folder, its owner's alone, with its site.json."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    for made in (root / ".state", root / STATE, folder):
        made.chmod(0o700)
    site = os.fspath(out.resolve())
    about = {"out": site, "options": [repr(o) for o in options]}
    text = json.dumps(about, indent=1) + "\n"
    path = folder / ABOUT
    if not path.is_file() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")
    _forget_others(folder, site)


def _forget_others(folder: Path, out: str) -> None:
    """The caches of the same folder made with other options: its pages are this render's
    from now on, so theirs are of no more use (a cache is a few bytes to a few hundred per
    post, and each --url tried would keep one)."""
    for other in folder.parent.iterdir():
        if other == folder or not (other / ABOUT).is_file():
            continue
        try:
            about = json.loads((other / ABOUT).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            continue
        if isinstance(about, dict) and about.get("out") == out:
            shutil.rmtree(other, ignore_errors=True)
