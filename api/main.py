"""The api application factory: database, KB index, Rasa client, hubs and routers."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from anyio import to_thread
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

import actions.runtime
from api.chat import ChatFlow
from api.errors import install_error_handlers
from api.hub import ConversationHub
from api.rasa import RasaClient
from api.routes import agent, health, internal, widget
from api.state import AppState
from tierzero import migrate
from tierzero.db import make_engine, make_session_factory, unit_of_work
from tierzero.settings import PROJECT_ROOT, Settings, get_settings

log = logging.getLogger("tierzero.api")
WEB_DIR = PROJECT_ROOT / "web"


def load_kb(state: AppState) -> None:
    """Build the live index from published articles (dense signal when enabled and installed)."""
    from kb import service as kb_service
    from kb.index import KbIndex

    index = KbIndex(dense=state.settings.kb_dense == "on", cache_dir=state.settings.kb_cache_dir)
    with unit_of_work(state.session_factory) as session:
        count = kb_service.load_index(session, index)
    state.kb = index
    actions.runtime.configure(actions.runtime.Runtime(state.session_factory, index))
    state.kb_loaded = True
    log.info("knowledge base index loaded: %d translations", count)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    engine = make_engine(settings.database_url)
    state = AppState(
        settings=settings,
        engine=engine,
        session_factory=make_session_factory(engine),
        hub=ConversationHub(),
        rasa=RasaClient(
            settings.rasa_url,
            token=settings.internal_token,
            timeout=settings.rasa_timeout_seconds,
        ),
    )
    state.extras["chat"] = ChatFlow(state)
    state.extras["executor"] = internal.build_executor()

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        state.hub.bind(asyncio.get_running_loop())
        await to_thread.run_sync(migrate.upgrade, settings.database_url)
        loading = asyncio.create_task(to_thread.run_sync(load_kb, state))
        try:
            yield
        finally:
            if not loading.done():
                loading.cancel()
            await state.rasa.close()
            actions.runtime.configure(None)
            engine.dispose()

    app = FastAPI(
        title="TierZero",
        version="0.1.0",
        summary="Chatbot-first self-service support desk",
        lifespan=lifespan,
    )
    app.state.tierzero = state
    # The widget runs on the company's own site: cross-origin calls carry bearer tokens, never
    # cookies, so credentials stay off and the allowed origins are configurable.
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_credentials=False,
        allow_methods=["GET", "POST", "PUT", "DELETE"],
        allow_headers=["Authorization", "Content-Type"],
    )
    install_error_handlers(app)
    app.include_router(health.router)
    app.include_router(widget.router)
    app.include_router(agent.router)
    app.include_router(internal.router)
    try:
        from api.routes import kb as kb_routes  # type: ignore[attr-defined,unused-ignore]

        app.include_router(kb_routes.router)
    except ImportError as exc:  # pragma: no cover - while the editor API is being built
        log.warning("kb editor routes unavailable: %s", exc)

    app.mount("/static", StaticFiles(directory=WEB_DIR), name="static")

    @app.get("/", include_in_schema=False)
    def demo_page() -> FileResponse:
        """Anyone: the demo host page of a fictional company, embedding the widget."""
        return FileResponse(WEB_DIR / "demo" / "index.html")

    return app
