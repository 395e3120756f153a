"""Pydantic v2 shapes of conversations, messages, tickets and agents as the API shows them."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Tier = Literal["L1", "L2", "L3"]
Role = Literal["agent", "editor", "admin"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Read(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class SessionCreate(Strict):
    name: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=320)
    language: str | None = Field(default=None, max_length=16)
    page_url: str | None = Field(default=None, max_length=2000)


class SessionCreated(BaseModel):
    token: str
    conversation_id: int
    customer_id: int
    expires_in: int
    ws_url: str


class MessageRead(Read):
    seq: int
    sender: str
    text: str
    payload: dict[str, Any]
    client_msg_id: str | None
    agent_id: int | None
    created_at: datetime


class TicketEventRead(Read):
    kind: str
    agent_id: int | None
    data: dict[str, Any]
    created_at: datetime


class TicketRead(Read):
    id: int
    conversation_id: int
    customer_id: int
    status: str
    tier: str
    priority: str
    language: str | None
    channel: str
    subject: str
    topic: str | None
    handoff_reason: str
    assignee_id: int | None
    created_at: datetime
    updated_at: datetime
    first_response_at: datetime | None
    resolved_at: datetime | None


class CustomerRead(Read):
    id: int
    name: str | None
    email: str | None
    plan: str
    language: str | None


class TicketDetail(TicketRead):
    bot_attempts: list[dict[str, Any]]
    customer: CustomerRead
    transcript: list[MessageRead]
    events: list[TicketEventRead]


class AgentReply(Strict):
    text: str = Field(min_length=1, max_length=10_000)


class LoginRequest(Strict):
    email: str = Field(min_length=3, max_length=320)
    password: str = Field(min_length=1, max_length=1000)


class TokenResponse(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int
    agent: AgentRead


class AgentRead(Read):
    id: int
    email: str
    name: str
    role: str
    tier: str
    languages: list[str]
    skills: list[str]


TokenResponse.model_rebuild()
