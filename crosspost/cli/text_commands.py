"""Commands that show what would be sent, offline: fit and convert."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from crosspost.cli.options import one_of
from crosspost.cli.root import app
from crosspost.model import FitMode, Platform


@app.command("fit")
def fit(
    text: Annotated[
        str,
        typer.Argument(
            help="The post's text, or - to read it from standard input.", show_default=False
        ),
    ],
    to: Annotated[
        Platform,
        typer.Option(
            "--to", help="The platform to fit the post to.", **one_of(Platform, "platform")
        ),
    ],
    mode: Annotated[
        FitMode,
        typer.Option(
            help="thread: split into posts; truncate: cut, link back.",
            **one_of(FitMode, "mode"),
        ),
    ] = FitMode.THREAD,
    numbering: Annotated[bool, typer.Option(help='Number thread posts like " (1/3)".')] = True,
    tag: Annotated[
        list[str] | None,
        typer.Option("--tag", "-t", help="A tag of the post as written (repeatable)."),
    ] = None,
    link_back: Annotated[
        str | None,
        typer.Option(metavar="URL", help="URL of the original post (truncate mode ends with it)."),
    ] = None,
    max_chars: Annotated[
        int | None,
        typer.Option(
            metavar="N",
            help="The server's character limit (Mastodon instances differ; default 500).",
        ),
    ] = None,
) -> None:
    """Show how a post would be fitted to a platform: the chunks, their counts, tags and notes.

    Nothing is sent. URLs and #hashtags in the text are found as a platform would find them.
    """
    from crosspost.preview import describe_fit

    body = _read_stdin() if text == "-" else _checked_argument(text)
    typer.echo(
        describe_fit(
            body,
            to,
            mode=mode.value,
            numbering=numbering,
            tags=tuple(tag or ()),
            link_back=link_back,
            max_chars=max_chars,
        )
    )


@app.command("convert")
def convert(
    source: Annotated[
        Platform,
        typer.Option(
            "--from",
            help="The platform the native post comes from.",
            **one_of(Platform, "platform"),
        ),
    ],
    target: Annotated[
        Platform,
        typer.Option(
            "--to", help="The platform to convert it for.", **one_of(Platform, "platform")
        ),
    ],
    file: Annotated[
        str,
        typer.Argument(help="A native post as JSON (a file, or - for standard input)."),
    ] = "-",
    mode: Annotated[
        FitMode,
        typer.Option(
            help="thread: split into posts; truncate: cut, link back.",
            **one_of(FitMode, "mode"),
        ),
    ] = FitMode.THREAD,
    numbering: Annotated[bool, typer.Option(help='Number thread posts like " (1/3)".')] = True,
) -> None:
    """Print the payloads the target would be sent for one native post: one JSON object per line,
    one line per post of the thread. Nothing is sent; media show as placeholders to upload.

    The input is a Bluesky record or post view, a Mastodon status, or a Tumblr post (NPF),
    as their APIs return them. Notes about what could not be carried go to standard error.
    """
    import json
    from datetime import UTC, datetime

    from crosspost.preview import convert_native
    from crosspost.text.fit import FitOptions

    text = _read_stdin() if file == "-" else _read_text(Path(file))
    options = FitOptions(mode=mode, numbering=numbering)
    result = convert_native(text, source, target, options, datetime.now(UTC))
    for payload in result.payloads:
        typer.echo(json.dumps(payload, ensure_ascii=False, sort_keys=True))
    for note in result.plan.notes:
        typer.echo(f"note: {note}", err=True)
    for part in result.post.unsupported:
        typer.echo(f"not carried: {part.kind}: {part.reason}", err=True)


def _read_text(path: Path) -> str:
    from crosspost.cli.failures import files_error
    from crosspost.errors import NotFoundError

    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise NotFoundError(
            f"{path}: no such file: give a native post as JSON (a file, or - for standard input)"
        ) from None
    except OSError as error:
        raise files_error(error, path) from None
    return _decoded(data, str(path))


def _read_stdin() -> str:
    """Standard input as UTF-8 text, read as bytes so bad bytes get a clear error."""
    buffer = getattr(sys.stdin, "buffer", None)
    if buffer is None:  # a text stream with no bytes under it (already decoded)
        return sys.stdin.read()
    return _decoded(buffer.read(), "standard input")


def _decoded(data: bytes, where: str) -> str:
    from crosspost.errors import DataError

    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise DataError(
            f"{where}: not UTF-8 text (byte 0x{data[error.start]:02x} at offset {error.start}); "
            "save it as UTF-8"
        ) from None


def _checked_argument(text: str) -> str:
    """The text argument; bytes that were not UTF-8 reach Python as lone surrogates."""
    from crosspost.errors import DataError

    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        raise DataError(
            f"the text argument: not UTF-8 text (at character {error.start}); "
            "pass UTF-8 text, or - to read it from standard input"
        ) from None
    return text
