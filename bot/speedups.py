"""Rasa 3.6, run faster without changing what it does (loaded by TierZero's Rasa launcher).

Three costs found with py-spy on a running turn (bench/chat_latency.py, docs/benchmarks.md):

1. ``RemoteAction._validate_action_result`` calls ``jsonschema.validate`` for every custom action's
response, which builds a validator and re-checks the schema itself each time: ~20 ms of every
answer on this machine kind (bench/chat_latency.py). Here the same schema is checked once and
one validator is kept; a response is accepted or refused exactly as before, with the same error
(``best_match``, as ``jsonschema.validate`` raises) and the same added hint.
2. ``Event.resolve_by_type`` walks every subclass of ``Event`` (``all_subclasses``, with an
   ``inspect.isabstract`` per class) for every stored event it reads back: a conversation's
   tracker holds dozens, so ~15 % of a turn went here. The answer for a type name is kept once
   found (a name that is not found is looked up the slow way every time, as before).
3. The SQL tracker store on SQLite commits with SQLite's defaults (rollback journal, full sync):
   a third of the tracker store's time was its commit. It gets the settings TierZero's own
   database has (WAL, ``synchronous=NORMAL``: durable when a process crashes, as every commit
   is on disk in the log; a power cut may lose the last commits, as for the api's database).
"""

from __future__ import annotations

from typing import Any


def install() -> None:
    _validate_once()
    _resolve_event_types_once()
    _sqlite_tracker_in_wal()


def _validate_once() -> None:
    from jsonschema import validators
    from jsonschema.exceptions import best_match
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.constants import DOCS_BASE_URL

    spec = RemoteAction.action_response_format_spec()
    checker = validators.validator_for(spec)
    checker.check_schema(spec)  # once, not per response
    validator = checker(spec)

    def _validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
        error = best_match(validator.iter_errors(result))
        if error is None:
            return True
        error.message += (
            f". Failed to validate Action server response from API, "
            f"make sure your response from the Action endpoint is valid. "
            f"For more information about the format visit "
            f"{DOCS_BASE_URL}/custom-actions"
        )
        raise error

    RemoteAction._validate_action_result = _validate_action_result  # type: ignore[method-assign]


def _resolve_event_types_once() -> None:
    from rasa.shared.core.events import Event

    slow = Event.resolve_by_type
    found: dict[str, type[Event]] = {}

    def resolve_by_type(type_name: str, default: type[Event] | None = None) -> type[Event] | None:
        cls = found.get(type_name)
        if cls is None:
            cls = slow(type_name, default)
            if cls is not None and cls is not default and cls.type_name == type_name:
                found[type_name] = cls
        return cls

    Event.resolve_by_type = staticmethod(resolve_by_type)  # type: ignore[method-assign,assignment]


def _sqlite_tracker_in_wal() -> None:
    from rasa.core.tracker_store import SQLTrackerStore
    from sqlalchemy import event

    original_init = SQLTrackerStore.__init__

    def __init__(self: SQLTrackerStore, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        if self.engine.dialect.name != "sqlite":
            return

        def on_connect(connection: Any, _record: Any) -> None:
            cursor = connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        self.engine.dispose()  # connections made while creating the tables get the settings too
        event.listen(self.engine, "connect", on_connect)

    SQLTrackerStore.__init__ = __init__  # type: ignore[method-assign]
