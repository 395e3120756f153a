"""The api application factory: database, KB index, Rasa client, hubs and routers."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from anyio import to_thread
from fastapi import FastAPI, HTTPException, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse, Response
from fastapi.staticfiles import StaticFiles

import actions.runtime
from api import insight as insight_jobs
from api.bodylimit import BodyLimit
from api.desk import keep_queue_announced, keep_routing, keep_timers
from api.errors import install_error_handlers
from api.mail import MailService
from api.metrics import HttpTimer, Metrics
from api.routes import agent, agent_ws, content, health, help, internal, mail, reports, widget
from api.state import AppState, Limits
from handoff.bot import RasaClient
from handoff.flows import ConversationFlow
from handoff.offers import Timing
from handoff.policy import load as load_policy
from kb.search import KbIndex
from tierzero import clock, migrate
from tierzero.cluster import Cluster
from tierzero.db import make_engine, make_session_factory, unit_of_work
from tierzero.errors import Forbidden, Unauthorized
from tierzero.hub import InMemoryHub
from tierzero.settings import PROJECT_ROOT, Settings, get_settings

if TYPE_CHECKING:
    from kb.search.dense import Embedder

log = logging.getLogger("tierzero.api")
WEB_DIR = PROJECT_ROOT / "web"
#: Front-end libraries the pages import, installed from package-lock.json by the Makefile and
#: served from here (never from a CDN): name in /vendor/ → file under node_modules/.
VENDOR = {
    "purify.js": "dompurify/dist/purify.es.mjs",
    "chart.js": "chart.js/dist/chart.umd.min.js",
}


KB_SYNC_SECONDS = 1.0


def load_kb(state: AppState) -> Any:
    """Build the live index from published articles (dense signal when enabled and installed);
    returns the sync that keeps it in step with commits of other processes."""
    from kb.search.dense import serve_with_one_blas_thread
    from kb.service import IndexSync, new_index
    from tierzero.gcfreeze import freeze_long_lived_objects

    serve_with_one_blas_thread()
    index = new_index(state.settings)
    sync = IndexSync(index)
    with unit_of_work(state.session_factory, read_only=True) as session:
        count = sync.poll(session)
    freeze_long_lived_objects()
    state.kb = index
    actions.runtime.configure(
        actions.runtime.Runtime(state.session_factory, index, state.hub, state.policy)
    )
    if index.embedder is not None:
        state.flow.prefetch = warm_query(index.embedder)
        threading.Thread(
            target=load_person_model, args=(state, index), name="person-model", daemon=True
        ).start()
    state.kb_loaded = True
    log.info("knowledge base index loaded: %d translations", count)
    return sync


def warm_query(embedder: Embedder) -> Callable[[str], object]:
    """What a customer message will be embedded as — e5's query vector (the person-request
    model and the KB search), and MiniLM's for Latin-script text (an English KB query) — computed
    into the embedder's memory as the message arrives."""
    from handoff.language import LATIN, script_of

    def warm(text: str) -> object:
        english = "en" if script_of(text) == LATIN else None
        return embedder.embed_mixed([(text, english, "query")], persist=False)

    return warm


def load_person_model(state: AppState, index: KbIndex) -> None:
    """Fit the learned "asks for a person?" model on the live KB's questions (negatives) in the
    background: the rules alone decide until it is ready (the first start embeds ~2k texts)."""
    from handoff.person_model import PersonModel, small_talk_examples
    from kb.service import indexed_articles

    embedder = index.embedder
    if embedder is None:
        return
    try:
        with unit_of_work(state.session_factory, read_only=True) as session:
            questions = [q for article in indexed_articles(session) for q in article.questions]
        started = time.monotonic()
        model = PersonModel.load(embedder, extra_negatives=[*small_talk_examples(), *questions])
        runtime = actions.runtime.current()
        if runtime is not None and runtime.kb is index:  # not once this app has stopped
            actions.runtime.configure(replace(runtime, second_opinion=model.asks_for_person))
            state.flow.second_opinion = model.asks_for_person
        log.info(
            "person-request model ready in %.1f s (%d requests, %d other messages)",
            time.monotonic() - started, *model.trained_on,
        )  # fmt: skip
    except Exception:  # the rules keep working; the model is a second opinion
        log.exception("could not load the person-request model")


async def keep_kb_in_sync(state: AppState) -> None:
    """Edits through this api reach the index at commit; this picks up `tierzero kb import` and
    other workers' commits within about a second."""
    try:
        sync = await to_thread.run_sync(load_kb, state)
    except Exception:  # readiness stays failing and says why in the log
        log.exception("could not load the knowledge base index")
        raise

    def poll() -> None:
        with unit_of_work(state.session_factory, read_only=True) as session:
            sync.poll(session)

    while True:
        await asyncio.sleep(KB_SYNC_SECONDS)
        try:
            await to_thread.run_sync(poll)
        except Exception:  # a failed poll is retried next second; searches keep working
            log.exception("KB index sync failed")


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    clock.follow_file(settings.clock_file)
    policy = load_policy(settings.policy_path)  # a bad policy stops the start, naming the line
    engine = make_engine(settings.database_url)
    session_factory = make_session_factory(engine)
    cluster = Cluster.start(settings) if settings.redis_url else None
    hub = cluster.hub if cluster is not None else InMemoryHub()
    rasa = RasaClient(
        settings.rasa_urls, token=settings.internal_token, timeout=settings.rasa_timeout_seconds
    )
    state = AppState(
        settings=settings,
        engine=engine,
        session_factory=session_factory,
        hub=hub,
        rasa=rasa,
        flow=ConversationFlow(
            session_factory,
            hub,
            rasa,
            max_chars=settings.max_message_chars,
            sender_key=settings.secret_key,
        ),
        executor=internal.build_executor(),
        limits=Limits.from_settings(settings),
        timing=Timing(
            offer_seconds=settings.offer_timeout_seconds,
            offline_requeue_seconds=settings.offline_requeue_seconds,
        ),
        policy=policy,
    )
    if cluster is not None:
        cluster.share(state)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        state.hub.bind(asyncio.get_running_loop())
        await to_thread.run_sync(migrate.upgrade, settings.database_url)
        background = [
            asyncio.create_task(keep_kb_in_sync(state)),
            asyncio.create_task(keep_routing(state)),
            asyncio.create_task(keep_queue_announced(state)),
            asyncio.create_task(keep_timers(state)),
            asyncio.create_task(insight_jobs.keep_watch(state)),
            *await state.mail.start(),
        ]
        if cluster is not None:
            background += [asyncio.create_task(c) for c in cluster.background()]
        try:
            yield
        finally:
            for task in background:
                task.cancel()
            await state.mail.stop()
            if cluster is not None:
                await cluster.stop()
            from tierzero.gcfreeze import thaw_long_lived_objects

            thaw_long_lived_objects()
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
    state.flow.policy = policy  # a handoff without the bot (Rasa down) tells the same truth
    state.mail = MailService(state)
    state.metrics = Metrics(state)
    app.add_middleware(HttpTimer, metrics=state.metrics)
    from kb.importers import MAX_IMPORT_BYTES

    app.add_middleware(
        BodyLimit,
        default=settings.max_body_bytes,
        per_path={"/v1/kb/import": MAX_IMPORT_BYTES + 64 * 1024},  # the file and its form
    )
    # The widget runs on the company's own site: cross-origin calls carry bearer tokens, never
    # cookies, so credentials stay off and the allowed origins are configurable.
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_credentials=False,
        allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
        allow_headers=["Authorization", "Content-Type"],
    )
    install_error_handlers(app)
    app.include_router(health.router)
    app.include_router(widget.router)
    app.include_router(agent.router)
    app.include_router(agent_ws.router)
    app.include_router(internal.router)
    app.include_router(help.router)
    app.include_router(reports.router)
    app.include_router(reports.flags_router)
    app.include_router(content.router)
    app.include_router(mail.router)
    app.include_router(mail.aside_router)
    try:
        from api.routes import kb as kb_routes  # type: ignore[attr-defined,unused-ignore]

        app.include_router(kb_routes.router)
        app.include_router(kb_routes.page_router)
    except ImportError as exc:  # pragma: no cover - while the editor API is being built
        log.warning("kb editor routes unavailable: %s", exc)

    app.mount("/static", StaticFiles(directory=WEB_DIR), name="static")

    @app.get("/console", include_in_schema=False)
    def console_page() -> FileResponse:
        """Anyone: the console's page; everything it shows needs an agent's token."""
        return FileResponse(
            WEB_DIR / "console" / "index.html",
            headers={
                "Content-Security-Policy": "default-src 'self'; script-src 'self'; "
                "connect-src 'self' ws: wss:; base-uri 'none'; frame-ancestors 'none'",
                "X-Content-Type-Options": "nosniff",
            },
        )

    @app.get("/vendor/{name}", include_in_schema=False)
    def vendor_script(name: str) -> FileResponse:
        """Anyone: a front-end library from the committed npm lock file (see ``VENDOR``)."""
        path = VENDOR.get(name)
        file = PROJECT_ROOT / "node_modules" / path if path else None
        if file is None or not file.is_file():
            raise HTTPException(404, "no such library (the Makefile installs them: make setup)")
        return FileResponse(
            file,
            media_type="text/javascript; charset=utf-8",
            headers={"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"},
        )

    @app.get("/metrics", include_in_schema=False)
    def metrics(request: Request) -> Response:
        """A Prometheus scraper: with ``Authorization: Bearer <TIERZERO_METRICS_TOKEN>``, or from
        loopback (not proxied) when no metrics token is set."""
        if settings.metrics_token:
            if not internal.bearer_matches(request.headers, settings.metrics_token):
                raise Unauthorized("metrics need the metrics token")
        elif not internal.is_direct_loopback(
            request.client.host if request.client else None, request.headers
        ):
            raise Forbidden("metrics are loopback-only without TIERZERO_METRICS_TOKEN")
        body, content_type = state.metrics.render()
        return Response(body, media_type=content_type)

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> Response:
        """Anyone: no icon (browsers ask on every page; a 204 keeps their consoles clean)."""
        return Response(status_code=204, headers={"Cache-Control": "public, max-age=86400"})

    @app.get("/widget.js", include_in_schema=False)
    def widget_script() -> FileResponse:
        """Anyone: the widget's launcher, the one script a website embeds."""
        return FileResponse(
            WEB_DIR / "widget" / "widget.js",
            media_type="text/javascript; charset=utf-8",
            headers={"Cache-Control": "public, max-age=300"},
        )

    @app.get("/", include_in_schema=False)
    def demo_page() -> FileResponse:
        """Anyone: the demo host page of a fictional company, embedding the widget."""
        return FileResponse(WEB_DIR / "demo" / "index.html")

    return app
