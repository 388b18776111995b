"""Typed settings, from CLI flags and the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from sandbox import resources


def _default_openapi_dir() -> Path:
    override = os.environ.get("SANDBOX_OPENAPI_DIR")
    return Path(override) if override else resources.openapi_dir()


def _default_fixtures_dir() -> Path:
    override = os.environ.get("SANDBOX_FIXTURES_DIR")
    return Path(override) if override else resources.fixtures_dir()


@dataclass(frozen=True)
class Settings:
    """Everything the app factory needs; nothing reads the environment after this."""

    data_dir: Path | None = None  # None: in memory only (tests, respx)
    # postgresql://...: the tenants kept in PostgreSQL (sandbox/store/postgres.py), not data_dir
    database_url: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    openapi_dir: Path = field(default_factory=_default_openapi_dir)
    fixtures_dir: Path = field(default_factory=_default_fixtures_dir)
    # fsync after every acknowledged write. Off by default: a write() that returned is
    # already in the kernel and survives kill -9 of this process; fsync adds power-loss safety.
    fsync: bool = False
    outbox_retention: int = 10_000
    # journal bytes after which a tenant's state is compacted into a new TinyDB snapshot
    compact_bytes: int = 64 * 1024 * 1024
    max_body_bytes: int = 1024 * 1024  # vendor APIs
    max_fixture_bytes: int = 64 * 1024 * 1024  # control plane: fixtures can be large
    request_log_size: int = 1000
    demo_tenant: str = "demo"
    # HTTP limits the server sets on purpose (sandbox/guarded_http.py)
    max_head_bytes: int = 64 * 1024  # request line and headers
    head_timeout: float = 10.0  # seconds for a request's head to arrive
    body_timeout: float = 30.0  # seconds for its body to arrive after the head
    keep_alive_timeout: float = 5.0  # seconds an idle keep-alive connection stays open
    # who may use the control plane (sandbox/control/guard.py)
    allowed_hosts: tuple[str, ...] = ()
    control_token: str | None = None

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        env = os.environ
        values: dict[str, object] = {}
        if env.get("DATA_DIR"):
            values["data_dir"] = Path(env["DATA_DIR"])
        if env.get("SANDBOX_DATABASE_URL"):
            values["database_url"] = env["SANDBOX_DATABASE_URL"]
        if env.get("HOST"):
            values["host"] = env["HOST"]
        if env.get("PORT"):
            values["port"] = int(env["PORT"])
        if env.get("SANDBOX_FSYNC"):
            values["fsync"] = env["SANDBOX_FSYNC"].lower() in {"1", "true", "yes", "always"}
        if env.get("SANDBOX_OUTBOX_RETENTION"):
            values["outbox_retention"] = int(env["SANDBOX_OUTBOX_RETENTION"])
        for name, kind in (
            ("max_head_bytes", int),
            ("head_timeout", float),
            ("body_timeout", float),
            ("keep_alive_timeout", float),
        ):
            if env.get(f"SANDBOX_{name.upper()}"):
                values[name] = kind(env[f"SANDBOX_{name.upper()}"])
        if env.get("SANDBOX_ALLOWED_HOSTS"):
            values["allowed_hosts"] = tuple(env["SANDBOX_ALLOWED_HOSTS"].split(","))
        if env.get("SANDBOX_CONTROL_TOKEN"):
            values["control_token"] = env["SANDBOX_CONTROL_TOKEN"]
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]
