"""Rasa custom actions: thin rasa_sdk adapters over the kb and handoff services.

Served by the api itself at /internal/rasa/actions through rasa_sdk's ActionExecutor.
"""

from actions.answer import ActionAnswerFromKb
from actions.feedback import ActionFeedback
from actions.handoff import ActionHandoff
from actions.pending import ActionResetPending

__all__ = ["ActionAnswerFromKb", "ActionFeedback", "ActionHandoff", "ActionResetPending"]
