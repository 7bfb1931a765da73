"""The sync engine: rules -> plan -> idempotent publish -> ledger; migrate reuses it."""

from crosspost.sync.context import Backoff, ClientFactory, Publishing, StopSignal, SyncContext
from crosspost.sync.engine import SyncEngine
from crosspost.sync.migrate import MigrateOptions, migrate
from crosspost.sync.recover import adopt_existing, rebuild_ledger
from crosspost.sync.report import RuleReport, SyncReport
from crosspost.sync.watch import parse_interval, watch

__all__ = [
    "Backoff",
    "ClientFactory",
    "MigrateOptions",
    "Publishing",
    "RuleReport",
    "StopSignal",
    "SyncContext",
    "SyncEngine",
    "SyncReport",
    "adopt_existing",
    "migrate",
    "parse_interval",
    "rebuild_ledger",
    "watch",
]
