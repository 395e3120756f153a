"""Routers per audience: widget (customers), agent, kb (editors), internal (Rasa), health."""
