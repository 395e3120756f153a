"""The routing rules over every combination that decides eligibility (pure, no database)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from handoff.lifecycle import Channel, Presence, Role, Tier
from handoff.routing import Candidate, Need, choose, choose_lead, eligible


def agent(agent_id: int = 1, **overrides: object) -> Candidate:
    values: dict[str, object] = {
        "agent_id": agent_id,
        "role": Role.AGENT,
        "tier": Tier.L1,
        "languages": frozenset({"en", "el"}),
        "skills": frozenset({"billing"}),
        "presence": Presence.ONLINE,
        "chats": 0,
        "emails": 0,
        "chat_capacity": 5,
        "email_capacity": 3,
        "last_offered_at": None,
    }
    values.update(overrides)
    return Candidate(**values)  # type: ignore[arg-type]


MATRIX = list(
    itertools.product(
        ["en", "el", "ru", None],  # ticket language
        ["billing", "internet", None],  # ticket skill
        [0, 4, 5],  # chats already open (capacity 5)
        [Tier.L1, Tier.L2],  # ticket tier
        list(Presence),
        [Channel.WIDGET, Channel.EMAIL],
    )
)


@pytest.mark.parametrize("language,skill,chats,tier,presence,channel", MATRIX)
def test_routing_matrix(
    language: str | None,
    skill: str | None,
    chats: int,
    tier: Tier,
    presence: Presence,
    channel: Channel,
) -> None:
    candidate = agent(chats=chats, presence=presence, emails=chats)
    need = Need(tier=tier, channel=channel, language=language, skill=skill)
    expected = (
        presence is Presence.ONLINE
        and tier is Tier.L1
        and language in (None, "en", "el")
        and skill in (None, "billing")
        and (chats < 5 if channel is Channel.WIDGET else chats < 3)
    )
    assert eligible(candidate, need) is expected
    assert (choose([candidate], need) is not None) is expected


def test_least_loaded_wins_then_round_robin() -> None:
    now = datetime(2026, 12, 1, tzinfo=UTC)
    busy = agent(1, chats=3)
    idle_recent = agent(2, chats=1, last_offered_at=now)
    idle_long_ago = agent(3, chats=1, last_offered_at=now - timedelta(minutes=5))
    need = Need(tier=Tier.L1, channel=Channel.WIDGET, language="en")
    assert choose([busy, idle_recent, idle_long_ago], need).agent_id == 3  # type: ignore[union-attr]
    never_offered = agent(4, chats=1)
    assert choose([idle_long_ago, never_offered], need).agent_id == 4  # type: ignore[union-attr]


def test_an_agent_without_skills_takes_any_topic_a_specialist_only_theirs() -> None:
    need = Need(tier=Tier.L1, channel=Channel.WIDGET, language="en", skill="internet")
    assert eligible(agent(1, skills=frozenset()), need)
    assert not eligible(agent(2, skills=frozenset({"billing"})), need)


def test_decliners_are_never_chosen_again() -> None:
    need = Need(tier=Tier.L1, channel=Channel.WIDGET, language="en")
    pool = [agent(1), agent(2)]
    assert choose(pool, need, excluded={1}).agent_id == 2  # type: ignore[union-attr]
    assert choose(pool, need, excluded={1, 2}) is None


def test_leads_and_admins_get_no_ordinary_offers_but_leads_take_the_rest() -> None:
    need = Need(tier=Tier.L1, channel=Channel.WIDGET, language="ru")
    lead_ru = agent(5, role=Role.LEAD, languages=frozenset({"ru"}))
    lead_en = agent(6, role=Role.LEAD, languages=frozenset({"en"}), last_offered_at=None)
    admin = agent(7, role=Role.ADMIN, languages=frozenset({"ru"}))
    assert choose([lead_ru, admin], need) is None
    assert choose_lead([lead_en, lead_ru, admin], need).agent_id == 5  # type: ignore[union-attr]
    offline_lead = agent(8, role=Role.LEAD, presence=Presence.OFFLINE)
    assert choose_lead([offline_lead], need) is None
