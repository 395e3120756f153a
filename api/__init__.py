"""The FastAPI web layer: the only public process; routers per audience."""
