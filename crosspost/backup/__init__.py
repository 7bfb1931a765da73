"""Backups: complete, incremental, crash-safe snapshots of accounts on local disk."""
