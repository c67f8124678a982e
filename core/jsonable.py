"""JSON-safe forms of whatever a graph puts in its state, its interrupts or its store.

LangGraph checkpoints any value its serializer can write (LangChain messages,
pydantic models, dataclasses, enums, datetimes, sets ...), but the console's
own tables hold JSON (``interrupts.payload``, ``run_events.data``) and the CLI
prints JSON. :func:`to_jsonable` is the one conversion every writer and
reader of those uses, so an interrupt payload, ``show`` and the dashboard all
see the same form:

* LangChain messages and other pydantic models: ``model_dump(mode="json")``
  (for a message that is LangChain's standard dict form: ``type``,
  ``content``, ``tool_calls`` ...);
* dataclasses: their fields (``dataclasses.asdict`` semantics, recursively);
* enums: their value; dates and times: ISO 8601; UUIDs, paths, decimals: text;
* mappings, lists, tuples, sets: the same container as JSON, items converted;
* anything else: ``repr`` as a last resort, never an error.
"""

from __future__ import annotations

import dataclasses
import json
import math
import sys
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import Enum
from pathlib import PurePath
from typing import Any
from uuid import UUID

from core.errors import BadInput

MAX_DEPTH = 50


def _is_pydantic_model(value: Any) -> bool:
    """True for a pydantic model instance, without importing pydantic (0.14 s) to ask.

    A value can only be a model once something imported pydantic, so the read
    CLI, which never does, skips the import altogether.
    """
    pydantic = sys.modules.get("pydantic")
    return pydantic is not None and isinstance(value, pydantic.BaseModel)


def to_jsonable(value: Any, _depth: int = 0) -> Any:
    """A value made of dicts, lists, strings, numbers, booleans and None only."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else repr(value)
    if _depth > MAX_DEPTH:
        return repr(value)
    nested = _depth + 1
    if _is_pydantic_model(value):
        try:
            return to_jsonable(value.model_dump(mode="json"), nested)
        except Exception:  # noqa: BLE001 - a model that cannot dump itself is shown as text
            return repr(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name), nested) for f in dataclasses.fields(value)}
    if isinstance(value, Enum):
        return to_jsonable(value.value, nested)
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, (UUID, PurePath, Decimal)):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v, nested) for k, v in value.items()}
    if isinstance(value, tuple) and hasattr(value, "_asdict"):  # a NamedTuple: its fields
        return to_jsonable(value._asdict(), nested)
    if isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value, key=repr) if isinstance(value, (set, frozenset)) else value
        return [to_jsonable(v, nested) for v in items]
    return repr(value)


def parse_json(text: str, what: str) -> Any:
    """``text`` as JSON, or one line (BadInput) saying what is wrong with it.

    Nesting deeper than Python's recursion limit raises RecursionError inside
    ``json.loads``; it is bad input like any other, never a traceback.
    """
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadInput(
            f"{what} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    except RecursionError:
        raise BadInput(f"{what} is nested too deeply") from None
