"""The base of every config table, shared by the config models and by the settings models
that other packages (hooks, observability, gateway) contribute to the config.

It sits at the bottom of the house, beside `errors` and `messages`, so that a package below
`config` (observability) can define its settings without importing upward."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Section(BaseModel):
    """A config table: unknown keys are errors, values are checked on assignment too."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, frozen=False)
