"""The one exception tree of crosspost, and the exit code the CLI gives each branch.

Every error the tool expects to meet (bad config, missing credentials, a rate limit, a post a
target cannot take) is a `CrosspostError`. The CLI prints `str(error)` as one line and exits with
`error.exit_code`; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar


class ExitCode:
    """Documented exit codes (README, "Exit codes")."""

    OK = 0
    FAILURE = 1
    USAGE = 2
    CONFIG = 3
    CREDENTIALS = 4
    PLATFORM = 5
    RATE_LIMITED = 6
    DATA = 7
    NOT_FOUND = 8
    FILES = 9
    INTERRUPTED = 130


class CrosspostError(Exception):
    """Base of every error crosspost raises on purpose."""

    exit_code: ClassVar[int] = ExitCode.FAILURE


class ConfigError(CrosspostError):
    """The config file (or an account given on the command line) is not usable."""

    exit_code = ExitCode.CONFIG

    def __init__(self, message: str, *, path: str | None = None, key: str | None = None) -> None:
        self.path = path
        self.key = key
        where = ": ".join(part for part in (path, key) if part)
        super().__init__(f"{where}: {message}" if where else message)


class AccountSpecError(ConfigError):
    """An ad hoc account such as `bluesky:alice.bsky.social` does not parse."""


class CredentialsError(CrosspostError):
    """Credentials are missing, wrong, or cannot be stored."""

    exit_code = ExitCode.CREDENTIALS


class KeyringUnavailableError(CredentialsError):
    """No OS keyring backend exists on this machine (headless Linux, CI)."""


class PlatformError(CrosspostError):
    """A platform answered with an error we cannot work around."""

    exit_code = ExitCode.PLATFORM


class RateLimitedError(PlatformError):
    """A rate limit or a daily cap stopped the work; `retry_after` says when to try again.

    `partial` holds what was already fetched or done, so callers can keep it.
    """

    exit_code = ExitCode.RATE_LIMITED

    def __init__(
        self, message: str, *, retry_after: float | None = None, partial: Sequence[object] = ()
    ) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.partial = tuple(partial)


class DataError(CrosspostError):
    """Stored or native data is malformed: a corrupt backup, an unreadable export, a bad post."""

    exit_code = ExitCode.DATA


class NotFoundError(CrosspostError):
    """What a command was pointed at is not there: no backup yet, a missing file or folder.

    Not malformed data (that is `DataError`): the usual cause is a first run that failed, or a
    path mistyped.
    """

    exit_code = ExitCode.NOT_FOUND


class FilesError(CrosspostError):
    """A file or folder could not be read or written: disk full, read-only, no permission, a
    file where a folder should be. What was saved before is kept; the run resumes later."""

    exit_code = ExitCode.FILES


class Interrupted(CrosspostError):
    """The user stopped the command (Ctrl-C); the message says what was kept."""

    exit_code = ExitCode.INTERRUPTED


class InvalidPostError(DataError, ValueError):
    """A Post (or a part of it) breaks the model's rules, e.g. a span outside its text."""


class UnfittableError(CrosspostError, ValueError):
    """A post cannot be fitted to a target's limits (e.g. one word longer than a whole post)."""

    exit_code = ExitCode.DATA
