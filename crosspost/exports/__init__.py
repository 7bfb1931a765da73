"""Offline readers of the platforms' official export files, into Posts (no network)."""
