"""The base class of every generated DAP model: tolerant of what real clients send, cheap to import."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class DAPModel(BaseModel):
    """Base of the generated DAP models.

    ``extra="allow"``: clients add fields the schema does not list (VS Code puts ``type``,
    ``name``, ``request`` and ``__sessionId`` into launch arguments; a newer DAP may add more),
    and a relay must neither reject nor drop them. ``defer_build=True``: a model's validator is
    built on its first use, not at import, so starting the adapter does not pay for ~250 models
    when a session uses a dozen.
    """

    model_config = ConfigDict(extra="allow", defer_build=True, populate_by_name=True)
