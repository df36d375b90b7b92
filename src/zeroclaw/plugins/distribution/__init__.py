"""Plugins that travel: install from a folder, an archive, a URL or an OCI registry; the
lock; signing; publishing. Validation reuses the loader; trust checks live in contract/."""
