"""The README's console transcripts, run: every `$ crosspost ...` line is either run offline here
and its output compared with what the README shows, or named in SKIPPED with the reason it
cannot be, so a new example must be classified before the suite passes (sqlite-utils'
test_docs.py keeps its docs honest the same way).

Commands run in-process in a temporary folder, through typer's CliRunner isolation (stdout and
stderr mixed as on a terminal, hidden prompts echoed as a newline) around the real entry point,
so known errors become their one line and exit code exactly as for a user. The in-memory keyring
of tests/conftest.py stands in for the OS keyring.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from crosspost.cli import app, main
from crosspost.config import load_config
from crosspost.credentials import Secrets
from tests.fixtures import PROJECT_ROOT, fixture_path

README = PROJECT_ROOT / "README.md"
EXAMPLE_CONFIG = PROJECT_ROOT / "config.example.toml"


# --- the README's console blocks -----------------------------------------------------------------


@dataclass(frozen=True)
class Transcript:
    """One `$ command` of a console block and the output the README shows under it."""

    command: str
    output: str


@dataclass(frozen=True)
class Block:
    line: int  # of the opening fence, 1-based
    text: str
    transcripts: tuple[Transcript, ...]

    @property
    def id(self) -> str:
        first = self.transcripts[0].command if self.transcripts else self.text.splitlines()[0]
        return f"L{self.line}: {first[:60]}"


_FENCE = re.compile(r"^```console\n(.*?)^```$", re.MULTILINE | re.DOTALL)


def console_blocks(markdown: str) -> list[Block]:
    blocks = []
    for match in _FENCE.finditer(markdown):
        line = markdown.count("\n", 0, match.start()) + 1
        blocks.append(Block(line, match.group(1), tuple(parse_transcripts(match.group(1)))))
    return blocks


def parse_transcripts(text: str) -> list[Transcript]:
    """`$ ` lines are commands; the lines up to the next one are that command's output."""
    found: list[tuple[str, list[str]]] = []
    for line in text.splitlines():
        if line.startswith("$ "):
            found.append((line[2:], []))
        elif found:
            found[-1][1].append(line)
    return [Transcript(command, "\n".join(lines)) for command, lines in found]


BLOCKS = console_blocks(README.read_text(encoding="utf-8"))


# --- how each command is run, or why it is not ---------------------------------------------------


@dataclass
class Sandbox:
    """What a README command may need prepared: its working folder, a home, env and keyring."""

    cwd: Path
    home: Path
    monkeypatch: pytest.MonkeyPatch

    def store(self, config: Path, **secrets: dict[str, str]) -> None:
        """Put account secrets in the (in-memory) keyring, by account name."""
        loaded = load_config(config)
        for name, fields in secrets.items():
            Secrets().save(loaded.account(name), fields)

    def user_config(self) -> Path:
        """The example config at the default path (XDG_CONFIG_HOME is per test, conftest.py)."""
        target = self.home / ".config" / "crosspost" / "config.toml"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(EXAMPLE_CONFIG, target)
        self.monkeypatch.setenv("XDG_CONFIG_HOME", str(self.home / ".config"))
        return target


def nothing(sandbox: Sandbox) -> None:
    pass


@dataclass(frozen=True)
class Offline:
    """A command the test runs: what to prepare first, what to type, the exit code it gives."""

    prepare: Callable[[Sandbox], None] = nothing
    stdin: str = ""
    code: int = 0


def _example_config_mixed_credentials(sandbox: Sandbox) -> None:
    config = sandbox.cwd / "config.example.toml"
    shutil.copyfile(EXAMPLE_CONFIG, config)
    sandbox.store(config, sky={"app_password": "abcd-efgh-ijkl-mnop"})
    sandbox.monkeypatch.setenv("CROSSPOST_SECRET_MASTO", "a-mastodon-token")


# The README shows no broken.toml: this is the smallest file its error line describes.
BROKEN_TOML = """\
[accounts.sky]
platform = "bluesky"
handle = "alice.bsky.social"
app_password = "abcd-efgh-ijkl-mnop"
"""


def _broken_config(sandbox: Sandbox) -> None:
    (sandbox.cwd / "broken.toml").write_text(BROKEN_TOML, encoding="utf-8")


def _user_config_art_and_sky_stored(sandbox: Sandbox) -> None:
    config = sandbox.user_config()
    tumblr = {"consumer_key": "ck", "consumer_secret": "cs", "oauth_token": "t"}
    sandbox.store(config, art={**tumblr, "oauth_token_secret": "ts"})
    sandbox.store(config, sky={"app_password": "abcd-efgh-ijkl-mnop"})


def _user_config(sandbox: Sandbox) -> None:
    sandbox.user_config()


def _repo_car(sandbox: Sandbox) -> None:
    car = fixture_path("bluesky-indigo/testing/testdata/fakermaker.repo.car")
    shutil.copyfile(car, sandbox.cwd / "fakermaker.repo.car")


def _tumblr_sample_zip(sandbox: Sandbox) -> None:
    """The README's Tumblr export: the project's own sample (tests/data/tumblr-export), zipped."""
    import zipfile

    sample = Path(__file__).parent / "data" / "tumblr-export"
    with zipfile.ZipFile(sandbox.cwd / "sampleblog.zip", "w") as archive:
        for path in sorted(sample.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(sample).as_posix())


def _tumblr_sample_imported(sandbox: Sandbox) -> None:
    """The Tumblr export example, imported once (the site's first run renders it)."""
    if not (sandbox.home / ".local" / "share" / "crosspost" / "backup" / "tumblr").exists():
        _tumblr_sample_zip(sandbox)
        code, output = run_console("crosspost import sampleblog.zip")
        assert code == 0, output


def _imported_car(sandbox: Sandbox) -> None:
    """The README's import example, run first (its output is shown under the import)."""
    _repo_car(sandbox)
    code, output = run_console("crosspost import fakermaker.repo.car --quiet")
    assert code == 0, output


def _imported_car_one_post_garbled(sandbox: Sandbox) -> None:
    """The import, then the first post file (by name) garbled, as a failing disk leaves it."""
    _imported_car(sandbox)
    posts = sandbox.home / ".local" / "share" / "crosspost" / "backup" / "bluesky"
    first = sorted(posts.glob("*/posts/*.json"))[0]
    first.write_text("{garbled", encoding="utf-8")


# The README's post.json: the mentions-and-links record of Bluesky's docs
# (docs/advanced-guides/posts.md), written out here so the example runs without the fixtures.
POST_JSON = {
    "$type": "app.bsky.feed.post",
    "text": "✨ example mentioning @atproto.com to share the URL 👨‍❤️‍👨 https://en.wikipedia.org/wiki/CBOR.",
    "createdAt": "2023-08-08T01:03:41.157302Z",
    "facets": [
        {
            "index": {"byteStart": 23, "byteEnd": 35},
            "features": [
                {
                    "$type": "app.bsky.richtext.facet#mention",
                    "did": "did:plc:ewvi7nxzyoun6zhxrhs64oiz",
                }
            ],
        },
        {
            "index": {"byteStart": 74, "byteEnd": 108},
            "features": [
                {
                    "$type": "app.bsky.richtext.facet#link",
                    "uri": "https://en.wikipedia.org/wiki/CBOR",
                }
            ],
        },
    ],
}


def _post_json(sandbox: Sandbox) -> None:
    text = json.dumps(POST_JSON, ensure_ascii=False, indent=2)
    (sandbox.cwd / "post.json").write_text(text, encoding="utf-8")


# The README's community user: the config its `users/alice.toml` stands for.
ALICE_TOML = """\
[accounts.sky]
platform = "bluesky"
handle = "alice.bsky.social"

[accounts.masto]
platform = "mastodon"
handle = "alice@mastodon.social"

[[sync]]
name = "sky-to-masto"
from = "sky"
to = "masto"
"""


def _community_with_alice(sandbox: Sandbox) -> None:
    """`crosspost community init .` once, and alice's config in its users folder."""
    if not (sandbox.cwd / "community.toml").exists():
        code, output = run_console("crosspost community init .")
        assert code == 0, output
    alice = sandbox.cwd / "users" / "alice.toml"
    if not alice.exists():
        alice.write_text(ALICE_TOML, encoding="utf-8")


# Keys are the commands exactly as the README spells them after `$ `; a key ending in " ..." is a
# prefix (for commands too long to repeat here).
RUN: dict[str, Offline] = {
    "crosspost config check --config config.example.toml": Offline(
        _example_config_mixed_credentials
    ),
    "crosspost config check --config broken.toml": Offline(_broken_config, code=3),
    "crosspost accounts": Offline(_user_config_art_and_sky_stored),
    "crosspost login sky": Offline(_user_config, stdin="abcd-efgh-ijkl-mnop\n"),
    "crosspost logout sky": Offline(),
    "crosspost import fakermaker.repo.car": Offline(_repo_car),
    "crosspost import sampleblog.zip": Offline(_tumblr_sample_zip),
    "crosspost site --out public --url https://me.example/ --tumblr-redirects": Offline(
        _tumblr_sample_imported
    ),
    "crosspost verify did:plc:dpg45vsnuir2vqqqadsn6afg": Offline(_imported_car),
    "crosspost repair": Offline(_imported_car_one_post_garbled),
    "crosspost fit --to bluesky ...": Offline(),
    "crosspost convert --from bluesky --to mastodon post.json": Offline(_post_json),
    "crosspost community init .": Offline(),
    "crosspost community users --community community.toml": Offline(_community_with_alice),
    "crosspost login sky --community community.toml --user alice": Offline(
        stdin="abcd-efgh-ijkl-mnop\n"
    ),
    "crosspost sync --queue --community community.toml": Offline(_community_with_alice),
    "crosspost status --community community.toml": Offline(_community_with_alice),
    "crosspost status --community community.toml --user alice": Offline(),
}

_LIVE = "reads a live account over the network"
SKIPPED: dict[str, str] = {
    "crosspost backup art": f"{_LIVE} (Tumblr); its counts are of a real blog",
    "crosspost backup art --dir backup": f"{_LIVE} and needs Tumblr's hourly limit to run out",
    "crosspost view": "renders the backup of the import above into /home/alice (the file:// "
    "address names the user's home); its page sizes follow the site's templates",
    "crosspost sync --dry-run": f"{_LIVE} (the art blog) and the ledger of a real sync",
    "crosspost sync": f"{_LIVE} and publishes to Mastodon",
    "crosspost status": "reports on the ledger of the live sync runs above",
    "crosspost sync --queue": "queues the jobs of the live rule above (tests/test_worker.py "
    "queues and runs them against the local servers)",
    "crosspost worker --workers 2": "runs until stopped, against the live accounts; "
    "tests/test_worker.py runs and kills workers against the local servers",
    "crosspost migrate art masto --dry-run": f"{_LIVE} (the art blog)",
    "crosspost migrate art journal --plan": f"{_LIVE} (the art blog) and a Dreamwidth journal; "
    "its output is tests/test_dreamwidth_flows.py's setup against the local servers",
    "crosspost migrate art journal": f"{_LIVE} and publishes to a Dreamwidth journal",
}

# Console blocks without a `$ ` prompt are commands to type, not transcripts: there is no output
# to compare. Keyed by their first line.
NOT_TRANSCRIPTS: dict[str, str] = {
    "python3 -m venv .venv && . .venv/bin/activate && pip install . && crosspost backup "
    "bluesky:bsky.app": "quick start: installs, then backs up a live account",
    "python3 -m venv .venv && . .venv/bin/activate && pip install -e '.[test]' && pytest": (
        "quick start: installs and runs the test suite"
    ),
    "python3 -m venv .venv && . .venv/bin/activate && pip install -e '.[test]'": (
        "development setup: installs, tests, lints"
    ),
}


def classify(command: str) -> Offline | str | None:
    """The Offline recipe of a command, the reason it is skipped, or None if unclassified."""
    for key, recipe in RUN.items():
        if _matches(key, command):
            return recipe
    return SKIPPED.get(command)


def _run_blocks() -> list[object]:
    params: list[object] = []
    for block in BLOCKS:
        if not block.transcripts:
            continue
        kinds = {isinstance(classify(t.command), Offline) for t in block.transcripts}
        if kinds == {True}:
            params.append(pytest.param(block, id=block.id))
    return params


# --- the checks ----------------------------------------------------------------------------------


def test_the_readme_has_transcripts() -> None:
    assert len(BLOCKS) >= 15
    assert len(_run_blocks()) >= 6


def test_every_console_block_is_classified() -> None:
    """A new example must be put in RUN or SKIPPED (with its reason); stale entries go."""
    commands = [t.command for block in BLOCKS for t in block.transcripts]
    unclassified = [command for command in commands if classify(command) is None]
    assert not unclassified, "classify these README commands in RUN or SKIPPED"
    stale = [key for key in [*RUN, *SKIPPED] if not any(_matches(key, c) for c in commands)]
    assert not stale, "these RUN/SKIPPED entries match no README command"
    prompts = [b.text.splitlines()[0] for b in BLOCKS if not b.transcripts]
    assert sorted(prompts) == sorted(NOT_TRANSCRIPTS)
    for block in BLOCKS:  # run or skipped as a whole: a block's commands share their state
        kinds = {isinstance(classify(t.command), Offline) for t in block.transcripts}
        assert len(kinds) <= 1, f"README line {block.line} mixes run and skipped commands"


def _matches(key: str, command: str) -> bool:
    return command == key or (key.endswith(" ...") and command.startswith(key[:-3]))


@pytest.mark.parametrize("block", _run_blocks())
def test_readme_transcript(block: Block, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sandbox = Sandbox(tmp_path / "work", tmp_path / "home", monkeypatch)
    sandbox.cwd.mkdir()
    sandbox.home.mkdir()
    monkeypatch.setenv("HOME", str(sandbox.home))
    monkeypatch.setenv("XDG_DATA_HOME", str(sandbox.home / ".local" / "share"))
    monkeypatch.chdir(sandbox.cwd)
    for transcript in block.transcripts:
        recipe = classify(transcript.command)
        assert isinstance(recipe, Offline)
        recipe.prepare(sandbox)
        code, output = run_console(transcript.command, recipe.stdin)
        assert normalise(output, sandbox) == normalise(transcript.output, sandbox), (
            f"README line {block.line}: `{transcript.command}` prints otherwise"
        )
        assert code == recipe.code, output


def run_console(command: str, stdin: str = "") -> tuple[int, str]:
    """Run `crosspost ...` through the real entry point; stdout and stderr as one terminal."""
    import sys

    argv = shlex.split(command)
    assert argv[0] == "crosspost"
    old_argv, sys.argv = sys.argv, argv
    code = 0
    try:
        with CliRunner().isolation(input=stdin) as (_, _, output):
            try:
                main()
            except SystemExit as exit_:
                code = exit_.code if isinstance(exit_.code, int) else int(exit_.code is not None)
            text = output.getvalue().decode("utf-8")
    finally:
        sys.argv = old_argv
    return code, text


def normalise(text: str, sandbox: Sandbox) -> str:
    """Only what must vary: the temp home is the README's `~`; trailing whitespace."""
    text = text.replace(str(sandbox.home), "~")
    return "\n".join(line.rstrip() for line in text.strip("\n").splitlines())


# --- help everywhere, and a README section per command --------------------------------------------


def command_paths() -> list[list[str]]:
    """Every command and group, the root included ([])."""
    import typer.main

    paths: list[list[str]] = []

    def walk(command: object, prefix: list[str]) -> None:
        paths.append(prefix)
        for name, sub in (getattr(command, "commands", None) or {}).items():
            walk(sub, [*prefix, name])

    walk(typer.main.get_command(app), [])
    return paths


@pytest.mark.parametrize("path", command_paths(), ids=lambda path: " ".join(path) or "(root)")
def test_every_command_has_help(path: list[str]) -> None:
    long_code, long_help = run_console(shlex.join(["crosspost", *path, "--help"]))
    short_code, short_help = run_console(shlex.join(["crosspost", *path, "-h"]))
    assert (long_code, short_code) == (0, 0), long_help
    assert "Usage:" in long_help
    assert short_help == long_help
    if len(path) == 1:
        headings = [line for line in README.read_text("utf-8").splitlines() if line[:4] == "### "]
        section = re.compile(rf"`crosspost {re.escape(path[0])}[ `]")
        assert any(section.search(line) for line in headings), (
            f"README has no '### `crosspost {path[0]}' section"
        )
