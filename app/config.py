"""Typed settings, read from the environment with the prefix ``KT_``."""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from app.settlements.regions import DEFAULT_REGION_BOUNDS, Bounds

PROJECT_ROOT = Path(__file__).resolve().parent.parent
VAR_DIR = PROJECT_ROOT / "var"


def _default_database_url() -> str:
    return f"sqlite:///{VAR_DIR / 'kursk-tracker.db'}"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KT_", env_file=None, extra="ignore")

    database_url: str = Field(default_factory=_default_database_url)
    # Signs session cookies. Empty means: use (or create once) var/secret_key, so that
    # `make run` works out of the box and sessions survive a restart.
    secret_key: str = ""
    contest_window_days: int = Field(default=14, ge=1, le=365)
    # The rule's staleness horizon H: a control status older than this is shown as stale.
    stale_days: int = Field(default=30, ge=1, le=3650)
    tile_url: str = ""
    tile_attribution: str = ""
    data_dir: Path = PROJECT_ROOT / "data"
    # Served over https (directly or behind a proxy): session cookies get `Secure`.
    https: bool = False
    sql_echo: bool = False
    # Keep rendered pages for readers without a session, per content revision (app.page_cache).
    page_cache: bool = True
    # Threads per process for the synchronous routes and dependencies (anyio's default is
    # 40). Python runs one thread at a time and SQLite hands the interpreter over at every
    # step of a query: with 16 requests in flight, 40 threads spent a third more CPU per
    # page than 2 do (bench/RESULTS.md). Two keep a page answering while one request is slow
    # (a large import); more help only when the database is far away (raise it for a
    # PostgreSQL server over a network).
    threads: int = Field(default=2, ge=1, le=256)
    # Largest CSV file accepted by the web import, in megabytes (the CLI has no limit).
    max_upload_mb: int = Field(default=20, ge=1, le=1024)
    # Where the site is published, e.g. https://tracker.example.org: absolute links (feeds,
    # the API's next links) are built from it, never from the Host header a client sends.
    base_url: str = ""
    # Host names the site answers to, comma-separated (e.g. tracker.example.org,localhost);
    # other Host headers get 400. Empty: any host (development).
    allowed_hosts: str = ""
    # Seconds a client may take to send each part of a request body before it gets 408.
    body_timeout_seconds: float = Field(default=30, gt=0, le=3600)
    # Where each region's settlements may lie, as JSON: {"Kursk": [lat_min, lat_max, lon_min,
    # lon_max]}. Settlements outside their region's box are refused (lat/lon swapped, typos).
    region_bounds: dict[str, Bounds] = Field(default_factory=lambda: dict(DEFAULT_REGION_BOUNDS))

    @field_validator("database_url")
    @classmethod
    def _normalise_postgres_driver(cls, value: str) -> str:
        # Plain postgres URLs would pick psycopg2, which we do not install.
        for prefix in ("postgres://", "postgresql://"):
            if value.startswith(prefix):
                value = "postgresql+psycopg://" + value[len(prefix) :]
        # Anything else would fail later with a driver's traceback (mysql://, "not a url").
        if not value.startswith(("sqlite://", "postgresql+psycopg://")):
            raise ValueError(
                "must be a SQLite or PostgreSQL address: sqlite:///path/to/file.db or "
                "postgresql://user:password@host/database"
            )
        return value

    @field_validator("base_url")
    @classmethod
    def _check_base_url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if not value:
            return ""
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(
                "KT_BASE_URL must be an http(s) URL, as in https://tracker.example.org"
            )
        if parts.query or parts.fragment:
            raise ValueError("KT_BASE_URL must not have a query or a fragment")
        return value

    @property
    def allowed_host_list(self) -> list[str]:
        return [host.strip() for host in self.allowed_hosts.split(",") if host.strip()]

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def resolved_secret_key(self) -> str:
        if self.secret_key:
            return self.secret_key
        key_file = VAR_DIR / "secret_key"
        if not key_file.exists():
            VAR_DIR.mkdir(parents=True, exist_ok=True)
            key_file.write_text(secrets.token_urlsafe(48))
            key_file.chmod(0o600)
        return key_file.read_text().strip()


@lru_cache
def get_settings() -> Settings:
    return Settings()
