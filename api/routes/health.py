"""Liveness and readiness. Who may call: anyone (no data beyond up/down is shown)."""

from __future__ import annotations

from anyio import to_thread
from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from api.deps import StateDep

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/readyz",
    responses={
        503: {
            "description": "Not ready: the same body, naming the failing check.",
            "content": {"application/json": {}},
        }
    },
)
async def readyz(state: StateDep) -> JSONResponse:
    def _db() -> bool:
        try:
            with state.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            return True
        except Exception:
            return False

    checks = {
        "database": await to_thread.run_sync(_db),
        "rasa": await state.rasa.healthy(),
        "kb_index": bool(state.kb_loaded),
    }
    ready = all(checks.values())
    body = {
        "status": "ready" if ready else "not_ready",
        "checks": {k: "ok" if v else "failing" for k, v in checks.items()},
        "kb_articles": len(state.kb) if state.kb_loaded and state.kb is not None else 0,
        # the learned "asks for a person?" second opinion (the rules work without it)
        "person_model": "ready" if state.flow.second_opinion is not None else "loading_or_off",
    }
    if state.cluster is not None:
        # Redis down degrades (frames and limits per worker) but does not stop serving: a
        # balancer that took every worker out over it would turn a degradation into an outage
        body["redis"] = "ok" if await to_thread.run_sync(state.cluster.redis_ok) else "degraded"
    return JSONResponse(body, status_code=200 if ready else 503)
