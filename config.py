"""Configuration classes, read from the environment."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent


def _database_url(default: str | None) -> str | None:
    """Return DATABASE_URL normalised to the psycopg 3 driver."""
    url = os.environ.get("DATABASE_URL", default)
    if url and url.startswith("postgres://"):
        url = "postgresql://" + url.removeprefix("postgres://")
    if url and url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


class Config:
    """Settings shared by every environment."""

    SECRET_KEY: str | None = os.environ.get("SECRET_KEY")
    # None means "SQLite in the instance folder", filled in by create_app.
    SQLALCHEMY_DATABASE_URI: str | None = _database_url(None)
    SQLALCHEMY_ENGINE_OPTIONS: dict[str, Any] = {"pool_pre_ping": True}
    SQLALCHEMY_TRACK_MODIFICATIONS = False

    BABEL_DEFAULT_LOCALE = "id"
    BABEL_DEFAULT_TIMEZONE = "Asia/Jakarta"
    LANGUAGES = ("id", "en")

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    # "Remember me" lasts 30 days at most and is not sent on cross-site requests.
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_DURATION = timedelta(days=30)
    WTF_CSRF_TIME_LIMIT: int | None = None

    # Evidence files live outside the static folder. The request limit defaults to every file
    # the forms allow plus their text (services.attachments.REQUEST_LIMIT, set by create_app).
    MAX_CONTENT_LENGTH: int | None = (
        int(os.environ["MAX_CONTENT_LENGTH"]) if os.environ.get("MAX_CONTENT_LENGTH") else None
    )
    UPLOAD_FOLDER: str | None = os.environ.get("UPLOAD_FOLDER")

    # Shared counters (rate limits) must live outside the process in production.
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = True
    RATELIMIT_KEY_PREFIX = os.environ.get("RATELIMIT_KEY_PREFIX", "eskalasi")
    # Behind a reverse proxy: how many proxies set X-Forwarded-For/-Proto (0 = none). Without
    # it every client shares the proxy's address, and so its sign-in rate limit.
    PROXY_FIX_X_FOR = int(os.environ.get("PROXY_FIX_X_FOR", "0"))

    # E-mail (outbox sender). No server configured means links are shown to administrators.
    MAIL_SERVER = os.environ.get("MAIL_SERVER")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_USE_TLS = _bool("MAIL_USE_TLS")
    MAIL_SENDER = os.environ.get("MAIL_SENDER", "no-reply@eskalasi.local")
    # Absolute base URL for links in e-mails and CLI output.
    BASE_URL = os.environ.get("BASE_URL", "http://127.0.0.1:5000")

    # Brotli quality for responses (Flask-Compress; its default is 4). 5 makes the province
    # dashboard's HTML 13 % smaller (13.1 -> 11.4 KB, under the 14.6 KB first congestion
    # window of a new connection) for about 0.5 ms more CPU on its 157 KB.
    COMPRESS_BR_LEVEL = 5

    PAGE_SIZE = 25
    # National setting: when a province misses its deadline on an escalated ticket, the sweep
    # refers it to the central PMO. Off by default: the province is reminded instead.
    SLA_AUTO_REFER_TO_CENTRAL = _bool("SLA_AUTO_REFER_TO_CENTRAL")
    # Strict-Transport-Security only in production (ProductionConfig), where HTTPS is certain.
    HSTS_SECONDS = 0


class DevelopmentConfig(Config):
    """Local development: SQLite in the instance folder, a throwaway secret."""

    DEBUG = False
    SECRET_KEY = os.environ.get("SECRET_KEY") or "dev-only-not-secret"


class TestingConfig(Config):
    """Tests: CSRF off by default (dedicated tests switch it on)."""

    TESTING = True
    SECRET_KEY = "test-only-not-secret"  # noqa: S105 - tests only
    WTF_CSRF_ENABLED = False
    RATELIMIT_ENABLED = False
    SERVER_NAME = "localhost"


class ProductionConfig(Config):
    """Production: PostgreSQL, secure cookies, a real secret required."""

    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", True)
    REMEMBER_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", True)
    # Strict-Transport-Security: browsers come back over HTTPS only (0 switches it off).
    HSTS_SECONDS = int(os.environ.get("HSTS_SECONDS", str(365 * 24 * 3600)))

    @classmethod
    def check(cls) -> None:
        """Refuse to start without the settings production cannot guess."""
        if not os.environ.get("SECRET_KEY"):
            raise RuntimeError("SECRET_KEY must be set in production")
        if not os.environ.get("DATABASE_URL"):
            raise RuntimeError("DATABASE_URL must be set in production")
        if not os.environ.get("RATELIMIT_STORAGE_URI"):
            # Counters in each worker's memory would multiply every limit by the workers.
            raise RuntimeError("RATELIMIT_STORAGE_URI must be set in production (redis://...)")


CONFIGS: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}
