"""The frozen, versioned record every job produces, and its plain-JSON form."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import ClassVar


def plain(value):
    """``value`` as JSON data: tuples become lists, nested records and dicts are walked."""
    if isinstance(value, JobRecord):
        return value.to_json()
    if hasattr(value, "__dataclass_fields__"):
        return {f.name: plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


@dataclass(frozen=True)
class JobRecord:
    """Base of the job records: a ``SCHEMA`` string (``"cnnlab.<job>/<version>"``) and ``to_json``.

    A subclass sets ``SCHEMA`` from its module's ``SCHEMA_VERSION``, which goes up whenever a
    field is renamed, removed or changes meaning (adding a field keeps it).
    """

    SCHEMA: ClassVar[str] = ""
    #: True for a record that travels inside a document naming its schema once (``cnnlab bench``).
    ENVELOPED: ClassVar[bool] = False

    def to_json(self) -> dict:
        """The record as JSON data: ``{"schema": SCHEMA, <every field>...}`` (without ``schema``
        where ``ENVELOPED``)."""
        data = {f.name: plain(getattr(self, f.name)) for f in fields(self)}
        return data if self.ENVELOPED else {"schema": self.SCHEMA, **data}
