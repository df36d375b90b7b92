"""Values the host hands back into a guest: WIT records, and the error cases of an
interface's error variant (`HostCallError`), which a host function returns instead of raising.

This module imports wasmtime only inside the functions that build WIT values.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class HostCallError(Exception):
    """A failure to hand back to the guest as the case `case` of the interface's WIT error
    variant, with `payload` (None for a case without one)."""

    def __init__(self, case: str, payload: object = None) -> None:
        super().__init__(f"{case}: {payload}" if payload is not None else case)
        self.case = case
        self.payload = payload

    def wit_value(self) -> Any:
        from wasmtime.component import Variant

        return Variant(self.case, self.payload)


def wit_record(fields: Mapping[str, Any]) -> Any:
    """A WIT record value; `fields` are keyed by their WIT (kebab-case) names."""
    from wasmtime.component import Record

    record = Record()
    for name, value in fields.items():
        setattr(record, name, value)
    return record
