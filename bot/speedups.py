"""Rasa 3.6, run faster without changing what it does (loaded by TierZero's Rasa launcher).

Costs found with py-spy on a running turn (bench/chat_latency.py, docs/benchmarks.md):

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
4. The same store opened and closed a SQLite connection for each of the two or three sessions a
   turn makes (SQLAlchemy 1.4 pools no connections for a SQLite file): a pool keeps them open.
5. Every turn read the whole session back (each event's JSON parsed and replayed into a new
   tracker) although this process had saved that very tracker at the end of the previous turn.
   The tracker saved last is kept and handed back when the database shows that nothing was
   written since (same number of events in the session, same last id): any other writer
   (another Rasa server, a turn that failed before saving) makes the next read a full read,
   exactly as before. The kept tracker is handed out once, so two readers never share it.
"""

from __future__ import annotations

from typing import Any


def install() -> None:
    _validate_once()
    _resolve_event_types_once()
    _sqlite_tracker_in_wal()
    _reuse_saved_trackers()


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
    import sqlalchemy as sa
    from rasa.core.tracker_store import SQLTrackerStore
    from sqlalchemy import event
    from sqlalchemy.orm import sessionmaker
    from sqlalchemy.pool import QueuePool

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
        # a pool: SQLAlchemy 1.4 opens (and sets up) a new SQLite connection for every session
        self.engine = sa.create_engine(
            self.engine.url, poolclass=QueuePool, connect_args={"check_same_thread": False}
        )
        event.listen(self.engine, "connect", on_connect)
        self.sessionmaker = sessionmaker(bind=self.engine)

    SQLTrackerStore.__init__ = __init__  # type: ignore[method-assign]


def _reuse_saved_trackers() -> None:
    import itertools
    import json

    import sqlalchemy as sa
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.events import SessionStarted
    from rasa.shared.nlu.constants import INTENT_NAME_KEY

    original_retrieve = SQLTrackerStore._retrieve
    Event = SQLTrackerStore.SQLEvent

    def kept(store: SQLTrackerStore) -> dict[str, tuple[Any, int, int]]:
        """The store's own: sender id → (tracker as saved, events in its session, last id)."""
        found: dict[str, tuple[Any, int, int]] = store.__dict__.setdefault("_tierzero_kept", {})
        return found

    def session_state(store: SQLTrackerStore, session: Any, sender_id: str) -> tuple[int, int]:
        query = store._event_query(session, sender_id, fetch_events_from_all_sessions=False)
        count, last = (
            query.order_by(None).with_entities(sa.func.count(Event.id), sa.func.max(Event.id)).one()
        )
        return int(count), int(last or 0)

    async def _retrieve(
        self: SQLTrackerStore, sender_id: str, fetch_events_from_all_sessions: bool
    ) -> Any:
        saved = kept(self).pop(sender_id, None)  # handed out once, whatever happens next
        if saved is not None and not fetch_events_from_all_sessions:
            tracker, count, last = saved
            if len(tracker.events) == count:
                with self.session_scope() as session:
                    if session_state(self, session, sender_id) == (count, last):
                        return tracker
        return await original_retrieve(self, sender_id, fetch_events_from_all_sessions)

    async def save(self: SQLTrackerStore, tracker: Any) -> None:
        """Rasa 3.6's ``SQLTrackerStore.save``, which also learns the new rows' ids (to keep the
        tracker for the next turn)."""
        await self.stream_events(tracker)
        with self.session_scope() as session:
            stored = self._event_query(
                session, tracker.sender_id, fetch_events_from_all_sessions=False
            ).count()
            new = list(itertools.islice(tracker.events, stored, len(tracker.events)))
            rows = []
            for one in new:
                data = one.as_dict()
                intent = data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY)
                row = Event(
                    sender_id=tracker.sender_id, type_name=one.type_name,
                    timestamp=data.get("timestamp"), intent_name=intent,
                    action_name=data.get("name"), data=json.dumps(data),
                )  # fmt: skip
                rows.append(row)
            session.add_all(rows)
            session.flush()
            last = rows[-1].id if rows else None
            session.commit()
        kept(self).pop(tracker.sender_id, None)
        # a new session in these events changes what "this session" counts: read it next time
        if last is not None and not any(isinstance(e, SessionStarted) for e in new):
            kept(self)[tracker.sender_id] = (tracker, stored + len(new), last)
            if len(kept(self)) > _KEPT_TRACKERS:
                kept(self).pop(next(iter(kept(self))))

    SQLTrackerStore._retrieve = _retrieve  # type: ignore[method-assign]
    SQLTrackerStore.save = save  # type: ignore[method-assign]


#: Trackers kept per store: the conversations that had a turn most recently; older ones are read
#: again. A 20-turn tracker holds ~200 events (a few hundred kB of Python objects), so this
#: bounds the memory at tens of MB; 200 conversations each writing every 15 s (bench/load.py's
#: default) fit.
_KEPT_TRACKERS = 256
