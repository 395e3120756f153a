"""Conversations, handoff to humans, tickets, queues and agents."""
