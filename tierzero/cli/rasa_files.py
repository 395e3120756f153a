"""Rasa's runtime files under var/ and model training only when its inputs changed."""

from __future__ import annotations

import hashlib
import os
import subprocess
import time
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from tierzero.errors import TierZeroError
from tierzero.settings import PROJECT_ROOT, Settings

MODEL_NAME = "tierzero"
TRAINING_INPUTS = ("config.yml", "domain.yml", "bot/data", "requirements-rasa.txt")


class RasaSetupError(TierZeroError):
    pass


def rasa_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "RASA_TELEMETRY_ENABLED": "false",
            "TF_CPP_MIN_LOG_LEVEL": "3",
            "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
            "PYTHONWARNINGS": "ignore",
            "MPLCONFIGDIR": str(PROJECT_ROOT / "var" / "cache" / "matplotlib"),
        }
    )
    return env


def rasa_executable(settings: Settings) -> Path:
    python = Path(settings.rasa_python)
    rasa = python.parent / "rasa"
    if not rasa.exists():
        raise RasaSetupError(f"Rasa is not installed at {rasa}; run `make run` (it installs it)")
    return rasa


def model_path(settings: Settings) -> Path:
    return settings.rasa_model_dir / f"{MODEL_NAME}.tar.gz"


def training_fingerprint() -> str:
    digest = hashlib.sha256()
    for name in TRAINING_INPUTS:
        path = PROJECT_ROOT / name
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            if file.exists():
                digest.update(str(file.relative_to(PROJECT_ROOT)).encode())
                digest.update(file.read_bytes())
    return digest.hexdigest()


def needs_training(settings: Settings) -> bool:
    stamp = settings.rasa_model_dir / f"{MODEL_NAME}.fingerprint"
    if not model_path(settings).exists() or not stamp.exists():
        return True
    return stamp.read_text().strip() != training_fingerprint()


def train(settings: Settings, *, force: bool = False) -> float | None:
    """Train the bot when config, domain or data changed; returns seconds, or None if skipped."""
    if not force and not needs_training(settings):
        return None
    settings.rasa_model_dir.mkdir(parents=True, exist_ok=True)
    fingerprint = training_fingerprint()
    started = time.monotonic()
    command = [
        str(rasa_executable(settings)),
        "train",
        "--config", "config.yml",
        "--domain", "domain.yml",
        "--data", "bot/data",
        "--out", str(settings.rasa_model_dir),
        "--fixed-model-name", MODEL_NAME,
        "--quiet",
    ]  # fmt: skip
    log_path = settings.var_dir / "logs" / "rasa-train.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("w") as log:
        result = subprocess.run(
            command, cwd=PROJECT_ROOT, env=rasa_env(), stdout=log, stderr=subprocess.STDOUT
        )
    if result.returncode != 0:
        raise RasaSetupError(f"Rasa training failed; see {log_path}")
    (settings.rasa_model_dir / f"{MODEL_NAME}.fingerprint").write_text(fingerprint)
    return time.monotonic() - started


def tracker_store(settings: Settings) -> dict[str, object]:
    """Rasa's trackers live in SQL so a Rasa restart forgets no conversation (and several Rasa
    servers share them)."""
    url = settings.rasa_tracker_url
    if url.startswith("sqlite:///"):
        return {"type": "SQL", "dialect": "sqlite", "db": url.removeprefix("sqlite:///")}
    parts = urlsplit(url)
    store: dict[str, object] = {
        "type": "SQL",
        "dialect": "postgresql",
        "url": parts.hostname or "127.0.0.1",
        "port": parts.port or 5432,
        "db": parts.path.lstrip("/") or "rasa",
    }
    if parts.username:
        store["username"] = parts.username
    if parts.password:
        store["password"] = parts.password
    return store


def lock_store(settings: Settings) -> dict[str, object]:
    """Several Rasa servers take a conversation's turns one at a time through Redis (Rasa's own
    ``RedisLockStore``; without it each server locks only its own turns)."""
    parts = urlsplit(settings.redis_url)
    store: dict[str, object] = {
        "type": "redis",
        "url": parts.hostname or "127.0.0.1",
        "port": parts.port or 6379,
        "db": int(parts.path.lstrip("/") or 0),
        # Rasa takes an alphanumeric prefix only
        "key_prefix": "".join(c for c in settings.redis_namespace if c.isalnum()) + "rasa",
    }
    if parts.password:
        store["password"] = parts.password
    return store


def write_runtime_files(settings: Settings) -> tuple[Path, Path]:
    """endpoints.yml carries the internal token, so it is written to var/ (0600), never to git."""
    directory = settings.var_dir / "rasa"
    directory.mkdir(parents=True, exist_ok=True)
    endpoints = {
        "action_endpoint": {
            "url": f"http://127.0.0.1:{settings.api_port}/internal/rasa/actions",
            "headers": {"Authorization": f"Bearer {settings.internal_token}"},
        },
        "tracker_store": tracker_store(settings),
    }
    if settings.redis_url:
        endpoints["lock_store"] = lock_store(settings)
    # the only input channel: Rasa's REST protocol behind the internal token (bot/channel.py)
    credentials = {"bot.channel.TierZeroInput": {"token": settings.internal_token}}
    endpoints_path = directory / "endpoints.yml"
    credentials_path = directory / "credentials.yml"
    for path, content in ((endpoints_path, endpoints), (credentials_path, credentials)):
        path.touch(mode=0o600)
        path.chmod(0o600)  # before the token is written
        path.write_text(yaml.safe_dump(content, sort_keys=False))
    return endpoints_path, credentials_path


# Rasa takes its API token only as a command-line flag; this launcher adds it from the environment
# so the token never shows in the process list. One "--auth-token=…" argument, because a random
# token may start with "-", which argparse would read as the next option. It also installs
# bot/speedups.py (the same Rasa, without re-checking a JSON schema on every action call).
LAUNCHER = (
    "import os, sys; "
    "sys.argv = ['rasa', *sys.argv[1:], '--auth-token=' + os.environ.pop('TIERZERO_RASA_TOKEN')]; "
    "import bot.speedups; bot.speedups.install(); "
    "from rasa.__main__ import main; main()"
)


def server_env(settings: Settings) -> dict[str, str]:
    return {**rasa_env(), "TIERZERO_RASA_TOKEN": settings.internal_token}


def server_command(settings: Settings, port: int | None = None) -> list[str]:
    endpoints, credentials = write_runtime_files(settings)
    rasa_executable(settings)  # clear error when Rasa is not installed
    return [
        settings.rasa_python,
        "-c",
        LAUNCHER,
        "run",
        "--model", str(model_path(settings)),
        "--endpoints", str(endpoints),
        "--credentials", str(credentials),
        "--interface", "127.0.0.1",
        "--port", str(port or settings.rasa_port),
        "--enable-api",
        "--quiet",
    ]  # fmt: skip
