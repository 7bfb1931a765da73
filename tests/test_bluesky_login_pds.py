"""A wrong Bluesky app password, on the real local PDS: public reads still work, and the backup
says the signed-in parts were not kept because the login failed, and how to mend it. The read
path (the backup) never imports the atproto SDK."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from crosspost.accounts import Account
from crosspost.backup.runner import run_backup
from crosspost.backup.store import BackupStore
from crosspost.credentials import Secrets
from crosspost.model import Platform
from crosspost.platforms.bluesky.client import BlueskyClient
from tests.backup_world import cli_env, crosspost, run
from tests.bluesky_pds import PdsAccount, local_pds, pds_account
from tests.bluesky_seed import fill
from tests.fixtures import PROJECT_ROOT

__all__ = ["local_pds", "pds_account"]


def test_a_wrong_app_password_is_reported_not_passed_over(
    pds_account: PdsAccount, tmp_path: Path
) -> None:
    fill(pds_account, 3, 0)
    account = Account("sky", Platform.BLUESKY, pds_account.handle, service=pds_account.url)
    store = Secrets()
    store.save(account, {"app_password": "aaaa-bbbb-cccc-dddd"})
    client = BlueskyClient(account, credentials=store)
    result = run_backup(client, BackupStore(tmp_path))
    assert result.complete
    assert result.counts["new"] == 3  # what the public reads is kept
    unavailable = result.account_data.unavailable
    assert set(unavailable) == {"followers", "mutes", "bookmarks"}
    reason = unavailable["mutes"]
    assert "not kept because the login failed" in reason
    assert "crosspost login sky" in reason
    assert "Invalid identifier or password" in reason
    assert client.login_problem() is not None
    assert client.logins == 1  # one refused password is enough for a run
    assert not client.xrpc.sdk_loaded


def test_reading_never_imports_the_sdk(pds_account: PdsAccount, tmp_path: Path) -> None:
    """A backup with the right app password (signed-in reads included), in a fresh process."""
    fill(pds_account, 3, 1)
    code = f"""
import sys
from pathlib import Path
from crosspost.accounts import Account
from crosspost.backup.runner import run_backup
from crosspost.backup.store import BackupStore
from crosspost.credentials import Secrets
from crosspost.model import Platform
from crosspost.platforms.bluesky.client import BlueskyClient
from tests.memory_keyring import MemoryKeyring
import keyring
keyring.set_keyring(MemoryKeyring())
account = Account("sky", Platform.BLUESKY, {pds_account.handle!r}, service={pds_account.url!r})
store = Secrets()
store.save(account, {{"app_password": {pds_account.password!r}}})
client = BlueskyClient(account, credentials=store)
result = run_backup(client, BackupStore(Path({str(tmp_path)!r})))
loaded = sorted(m for m in sys.modules if m.split(".")[0].startswith("atproto"))
print(json.dumps([result.complete, result.counts["new"], client.logins, loaded]))
""".replace("import sys", "import json, sys", 1)
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=PROJECT_ROOT, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[-1]) == [True, 3, 1, []]


def test_the_backup_command_exits_4_and_says_what_was_not_kept(
    pds_account: PdsAccount, tmp_path: Path
) -> None:
    """Cron and systemd see a backup that kept only the public parts as a failure, with the fix."""
    fill(pds_account, 3, 0)
    config = tmp_path / "config.toml"
    config.write_text(
        f'[accounts.sky]\nplatform = "bluesky"\nhandle = "{pds_account.handle}"\n'
        f'service = "{pds_account.url}"\n'
    )
    env = cli_env(tmp_path, {"sky": "aaaa-bbbb-cccc-dddd"})
    out = tmp_path / "out"
    done = run(crosspost("backup", "sky", "-c", str(config), "-d", str(out)), env)
    assert done.returncode == 4, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr  # one line, no traceback
    assert "Invalid identifier or password" in lines[0]
    assert "crosspost login sky" in lines[0]
    assert "Only what the public can read was kept" in lines[0]
    assert "3 new" in done.stdout or '"new": 3' in done.stdout, done.stdout
    right = run(
        crosspost("backup", "sky", "-c", str(config), "-d", str(out)),
        cli_env(tmp_path, {"sky": pds_account.password}),
    )
    assert right.returncode == 0, right.stderr
