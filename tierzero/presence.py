"""Who is looking at which ticket right now, and which agents (and customers) have a socket open,
in one api process; ``tierzero.cluster.presence`` shares them across workers through Redis."""

from __future__ import annotations

import threading
from collections import Counter, defaultdict
from collections.abc import Callable


class Viewers:
    def __init__(self) -> None:
        self._by_ticket: dict[int, Counter[int]] = defaultdict(Counter)
        self._names: dict[int, str] = {}
        self._lock = threading.Lock()

    def add(self, ticket_id: int, agent_id: int, name: str) -> list[dict[str, object]]:
        with self._lock:
            self._by_ticket[ticket_id][agent_id] += 1
            self._names[agent_id] = name
            return self._list(ticket_id)

    def remove(self, ticket_id: int, agent_id: int) -> list[dict[str, object]]:
        with self._lock:
            counter = self._by_ticket.get(ticket_id)
            if counter is not None:
                counter[agent_id] -= 1
                if counter[agent_id] <= 0:
                    del counter[agent_id]
                if not counter:
                    del self._by_ticket[ticket_id]
            return self._list(ticket_id)

    def of(self, ticket_id: int) -> list[dict[str, object]]:
        with self._lock:
            return self._list(ticket_id)

    def _list(self, ticket_id: int) -> list[dict[str, object]]:
        return [
            {"agent_id": a, "name": self._names.get(a, "")}
            for a in sorted(self._by_ticket.get(ticket_id, ()))
        ]


class Connected:
    """Open agent sockets per agent: the last one closing means the agent left the desk."""

    def __init__(self) -> None:
        self._count: Counter[int] = Counter()
        self._lock = threading.Lock()
        #: Told +1 / -1 as sockets open and close (the metrics' gauge).
        self.on_change: Callable[[int], None] | None = None

    def opened(self, agent_id: int) -> None:
        with self._lock:
            self._count[agent_id] += 1
        if self.on_change is not None:
            self.on_change(1)

    def total(self) -> int:
        """Open sockets (all agents, or all conversations)."""
        with self._lock:
            return sum(self._count.values())

    def closed(self, agent_id: int) -> bool:
        """True when that was the agent's last socket."""
        if self.on_change is not None:
            self.on_change(-1)
        with self._lock:
            self._count[agent_id] -= 1
            if self._count[agent_id] <= 0:
                del self._count[agent_id]
                return True
            return False
