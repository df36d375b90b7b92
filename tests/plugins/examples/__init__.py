"""Tests of the example plugins (a package, so its conftest and helpers never shadow
another directory's `conftest` module)."""
