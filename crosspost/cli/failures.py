"""What the CLI says when the machine, not the data, stops a command: a file that cannot be
written (disk full, read-only, a file where a folder should be), or Ctrl-C.

Each becomes one line naming the path and what to do; what was saved before is kept, so the same
command resumes.
"""

from __future__ import annotations

import errno
import shlex
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from crosspost.errors import FilesError, Interrupted

# The errors of files and folders (a network error is an OSError too, with other numbers).
_FULL = {errno.ENOSPC, errno.EDQUOT}
_FILE_ERRNOS = _FULL | {
    errno.EROFS,
    errno.EACCES,
    errno.EPERM,
    errno.ENOTDIR,
    errno.EISDIR,
    errno.EEXIST,
    errno.ENOENT,
    errno.EIO,
    errno.ENAMETOOLONG,
    errno.ELOOP,
    errno.EMLINK,
    errno.EFBIG,
    errno.ENOTEMPTY,
}


def same_command() -> str:
    """The command being run, as the user would type it again."""
    return shlex.join(["crosspost", *sys.argv[1:]])


def is_file_error(error: BaseException) -> bool:
    return isinstance(error, OSError) and error.errno in _FILE_ERRNOS


def files_error(error: OSError, where: Path | None = None) -> FilesError:
    """One line for an OSError of a file: the path, what happened, what to do."""
    path = error.filename if error.filename is not None else where
    name = str(path) if path is not None else "a file"
    again = f"then run `{same_command()}` again (what was saved is kept)"
    code = error.errno
    if code in _FULL:
        what = "the disk is full: free some space"
    elif code == errno.EROFS:
        what = "the file system is read-only: give a writable folder (--dir) or remount it"
    elif code in (errno.EACCES, errno.EPERM):
        what = "permission denied: give a folder you can write to (--dir) or fix its permissions"
    elif code == errno.ENOTDIR or (code == errno.EEXIST and _is_file(path)):
        what = "a file is where a folder should be: give a folder (--dir) or move the file"
    elif code == errno.EISDIR:
        what = "a folder is where a file should be: give a file"
    elif code == errno.ENOENT:
        what = "no such file or folder, and none can be made there: give another folder (--dir)"
    else:
        what = f"{(error.strerror or str(error)).lower()}: check the disk"
    return FilesError(f"{name}: {what}, {again}")


def _is_file(path: object) -> bool:
    return path is not None and Path(str(path)).is_file()


@contextmanager
def kept_on_failure(where: Path, saved: str) -> Iterator[None]:
    """A file error or Ctrl-C inside becomes one line: the path, or what `saved` was kept."""
    try:
        yield
    except KeyboardInterrupt:
        raise Interrupted(
            f"interrupted: {saved} is kept in {where}; run `{same_command()}` again to go on"
        ) from None
    except OSError as error:
        if not is_file_error(error):
            raise
        raise files_error(error, where) from None
