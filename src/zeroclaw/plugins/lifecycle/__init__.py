"""Plugins over time: immutable snapshots (snapshot.py), the registry that holds the current
one (registry.py), hot reload with its checks and rollback (reload.py), the release of
replaced snapshots once their last user is done (retirement.py), and the watcher of the
plugin dirs (watcher.py).
"""
