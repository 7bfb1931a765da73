"""`crosspost worker`: sync jobs, one per (rule x target account), run from a Huey queue.

Nothing here is imported by `crosspost --help` or by an inline `crosspost sync`: Huey is loaded
only by the commands that queue or run jobs.
"""
