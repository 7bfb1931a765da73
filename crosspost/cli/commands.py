"""Which module holds which command, and its one-line summary: what `crosspost --help` lists,
without importing any command module (no config, no platform registry), and where the root
group (`crosspost.cli.root`) finds a command when it is run or its own help is asked for.

The summaries are the first paragraph of each command's docstring, as `readable` shows them;
tests/test_startup.py holds the two equal and the order the same as the eager tree's.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Entry:
    name: str
    module: str  # under crosspost.cli
    summary: str  # the first paragraph of its help, on one line


COMMANDS: tuple[Entry, ...] = (
    Entry(
        "accounts",
        "accounts_commands",
        "List the configured accounts and whether their credentials are present.",
    ),
    Entry(
        "login",
        "accounts_commands",
        "Store an account's secret in the OS keyring (app password, access token or OAuth1 keys).",
    ),
    Entry(
        "logout", "accounts_commands", "Forget an account's credentials stored in the OS keyring."
    ),
    Entry(
        "backup",
        "backup_commands",
        "Back up an account: posts, profile, likes, bookmarks, reposts, follows, lists, blocks "
        "and mutes as JSON with their native payload, media by content hash.",
    ),
    Entry(
        "import",
        "backup_commands",
        "Import an official export into the backup folder, beside the API backups.",
    ),
    Entry(
        "verify",
        "backup_commands",
        "Check a backup: re-hash every media file, parse every post, earlier version, profile "
        "and collection, and check every reference.",
    ),
    Entry(
        "people",
        "people_commands",
        "Write the accounts a backup follows as the target's own import file, and where each "
        "can be followed from there.",
    ),
    Entry(
        "repair",
        "repair_commands",
        "Move damaged files (media whose hash no longer matches, post files that do not parse) "
        "to the account's quarantine/ folder, so the next backup fetches them again.",
    ),
    Entry(
        "view",
        "view_commands",
        "Render a backup as a static HTML site to browse offline, from file:// with no server.",
    ),
    Entry(
        "site",
        "site_commands",
        "Render the public posts of a backup as a static site to upload anywhere.",
    ),
    Entry(
        "sync",
        "sync_commands",
        "Mirror the posts each rule selects to its targets, once and only once.",
    ),
    Entry(
        "status",
        "sync_commands",
        "Per rule and migration, per target, in posts: published, to publish on the next run, "
        "waiting (until when, and why), failed (with reasons).",
    ),
    Entry(
        "migrate",
        "sync_commands",
        "Copy a whole account (or its backup) to another, oldest first; rerun to resume.",
    ),
    Entry(
        "fit",
        "text_commands",
        "Show how a post would be fitted to a platform: the chunks, their counts, tags and notes.",
    ),
    Entry(
        "convert",
        "text_commands",
        "Print the payloads the target would be sent for one native post: one JSON object per "
        "line, one line per post of the thread. Nothing is sent; media show as placeholders to "
        "upload.",
    ),
    Entry(
        "worker",
        "worker_commands",
        "Run the jobs `crosspost sync --queue` queued, one per rule and target, until stopped.",
    ),
    Entry("config", "accounts_commands", "Check the config file."),
    Entry(
        "community",
        "community_commands",
        "Set up and check a community: many users' rules run by one set of workers.",
    ),
)
MODULES: tuple[str, ...] = tuple(dict.fromkeys(entry.module for entry in COMMANDS))


def import_all() -> None:
    """Import every command module: each registers its commands on the root app."""
    for module in MODULES:
        import_command_module(module)


def import_command_module(module: str) -> None:
    """Import crosspost.cli.`module`, through the import statement's own path (where
    `python -X importtime` sees it, as tests/test_startup.py reads it; importlib's does not)."""
    __import__(f"crosspost.cli.{module}")


ENTRIES = {entry.name: entry for entry in COMMANDS}
