"""The escalation ticketing application: create_app() builds it."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from config import CONFIGS, ROOT, Config, ProductionConfig
from ticketing.params import MAX_DB_INT


def create_app(
    config: type[Config] | str | None = None, *, instance_path: str | None = None, **overrides: Any
) -> Flask:
    """Build the application: configuration, extensions, blueprints, error handlers, CLI."""
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        instance_path=instance_path or os.environ.get("INSTANCE_PATH") or str(ROOT / "instance"),
    )
    if config is None:
        config = os.environ.get("APP_ENV", "development")
    config_class = CONFIGS[config] if isinstance(config, str) else config
    if issubclass(config_class, ProductionConfig):
        config_class.check()
    app.config.from_object(config_class)
    app.config.update(overrides)

    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///" + str(
            Path(app.instance_path) / "ticketing.sqlite"
        )
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        _without_jit(app)
    if not app.config.get("MAX_CONTENT_LENGTH"):
        from ticketing.services.attachments import REQUEST_LIMIT

        app.config["MAX_CONTENT_LENGTH"] = REQUEST_LIMIT
    if not app.config.get("UPLOAD_FOLDER"):
        app.config["UPLOAD_FOLDER"] = str(Path(app.instance_path) / "uploads")

    proxies = int(app.config.get("PROXY_FIX_X_FOR") or 0)
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]

    _init_extensions(app)
    _bounded_int_urls(app)
    app.before_request(_refuse_nul_bytes)
    _register_blueprints(app)

    from ticketing import cli, errors_web, stash

    # After the sign-in check: the restored text goes into the signed-in user's form.
    app.before_request(stash.restore)

    errors_web.register(app)
    cli.register(app)
    from ticketing import security

    security.init_app(app)
    return app


def _without_jit(app: Flask) -> None:
    """PostgreSQL sessions without JIT compilation, unless the configuration names options.

    A page's queries take milliseconds; JIT compiled one of them for 440 ms at 1M tickets
    because its estimated cost crossed ``jit_above_cost`` (docs/performance.md).
    """
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    connect_args = dict(options.get("connect_args") or {})
    connect_args.setdefault("options", "-c jit=off")
    options["connect_args"] = connect_args
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options


def _init_extensions(app: Flask) -> None:
    from ticketing import i18n, models  # noqa: F401 - models register their tables
    from ticketing.extensions import babel, compress, csrf, db, limiter, login_manager, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    compress.init_app(app)
    limiter.init_app(app)
    babel.init_app(
        app,
        locale_selector=i18n.select_locale,
        timezone_selector=i18n.select_timezone,
        default_translation_directories=str(Path(__file__).parent / "translations"),
    )
    i18n.install_gettext(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message_category = "info"
    app.jinja_env.globals.update(i18n.template_globals())
    # Templates ask the same permission functions the services enforce (to show buttons).
    from ticketing import permissions

    app.jinja_env.globals["permissions"] = permissions
    app.jinja_env.filters.update(i18n.template_filters())
    from ticketing import notifications, sla

    sla.init_app(app)
    notifications.init_app(app)

    from sqlalchemy import event as sa_event
    from sqlalchemy.engine import Engine

    @sa_event.listens_for(Engine, "connect")
    def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
        # SQLite enforces foreign keys only when asked, per connection.
        if type(dbapi_connection).__module__.startswith("sqlite3"):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=5000")
            cursor.close()


def _bounded_int_urls(app: Flask) -> None:
    """<int:...> in URLs stops at the database's INTEGER: a larger id is a 404, not a 500."""
    from werkzeug.routing import IntegerConverter

    class BoundedIntegerConverter(IntegerConverter):
        """IntegerConverter with max=MAX_DB_INT unless the rule says otherwise."""

        def __init__(self, url_map: Any, *args: Any, **kwargs: Any) -> None:
            kwargs.setdefault("max", MAX_DB_INT)
            super().__init__(url_map, *args, **kwargs)

    app.url_map.converters["int"] = BoundedIntegerConverter


def _refuse_nul_bytes() -> None:
    """400 for a NUL character in the path, query or form: PostgreSQL text cannot hold one."""
    from flask import abort, request

    fields = [request.path, *request.args.keys(), *request.form.keys()]
    fields += [v for _k, v in request.args.items(multi=True)]
    fields += [v for _k, v in request.form.items(multi=True)]
    if any("\x00" in value for value in fields):
        abort(400)


def _register_blueprints(app: Flask) -> None:
    from ticketing.auth import bp as auth_bp
    from ticketing.help import bp as help_bp
    from ticketing.tickets import bp as tickets_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(tickets_bp)
    from ticketing.notify import bp as notify_bp

    app.register_blueprint(notify_bp)
    app.register_blueprint(help_bp)
    from ticketing.account import bp as account_bp
    from ticketing.admin import bp as admin_bp

    app.register_blueprint(account_bp)
    app.register_blueprint(admin_bp)
    from ticketing.dashboard import bp as dashboard_bp

    app.register_blueprint(dashboard_bp)
    from ticketing.pwa import bp as pwa_bp

    app.register_blueprint(pwa_bp)
    from ticketing import api

    api.init_app(app)
