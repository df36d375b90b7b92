"""What gateway replicas share through a PostgreSQL database besides memory: each
session's lock for a turn (`session_lock`), per-caller rate limits (`rate_limits`),
paired tokens (`paired_tokens`), plugin approvals (`approvals`), the replicas themselves
(`replicas`) and plugin reloads passed between them (`reload_channel`).

On SQLite (one process) the session lock is a no-op and the gateway keeps its
in-process state; the tables exist on both backends (revision 0004) so a store moved
between them stays at one schema.
"""
