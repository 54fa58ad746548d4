"""eventsite: a trade union's member events (mixers, skills competitions, fun sports meets)."""

from __future__ import annotations

import logging
from pathlib import Path

import sqlalchemy as sa
from flask import Flask, g, render_template, request, session
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from limits.errors import StorageError

from eventsite import config as settings
from eventsite.core.db import transient_fault
from eventsite.core.inputs import IdConverter
from eventsite.extensions import babel, csrf, db, limiter, login_manager, migrate
from eventsite.sms.gateway import check_configuration as check_sms_configuration

PACKAGE_DIR = Path(__file__).resolve().parent

#: What the "busy, please try again" page (503) asks the browser to wait, in seconds.
BUSY_RETRY_AFTER_SECONDS = 5


def create_app(test_config: dict | None = None) -> Flask:
    """Build the application: settings, extensions, blueprints, CLI, error pages."""
    config = settings.from_environment()
    app = Flask(
        __name__,
        instance_path=config["INSTANCE_PATH"],
        template_folder=str(settings.PROJECT_ROOT / "templates"),
        static_folder=str(settings.PROJECT_ROOT / "static"),
    )
    app.config.from_mapping(config)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(PACKAGE_DIR / "translations")
    if test_config:
        app.config.from_mapping(test_config)
    if not app.config.get("TESTING"):
        # A wrong SMS backend, a missing key or template stops the start, not the first text.
        check_sms_configuration(app.config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if app.config.get("TRUSTED_PROXIES"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    register_extensions(app)
    # Before any route is added: ids beyond the INTEGER range match no route (a 404).
    app.url_map.converters["int"] = IdConverter
    register_blueprints(app)
    register_cli(app)
    register_error_handlers(app)
    register_template_helpers(app)
    register_request_hooks(app)
    return app


def select_locale() -> str:
    """?lang= on any page, then the member's saved choice, then the site default."""
    from flask import current_app, has_request_context

    if not has_request_context():  # a job or CLI command: services still translate messages
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    languages = current_app.config["LANGUAGES"]
    chosen = session.get("locale")
    if chosen in languages:
        return chosen
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone() -> str:
    from flask import current_app

    return current_app.config["TIMEZONE"]


def register_extensions(app: Flask) -> None:
    from eventsite.core import cache, headers
    from eventsite.core.db import prepare_engine

    register_models()

    db.init_app(app)
    from eventsite.scheduler import include_name  # APScheduler's table is not ours to migrate

    migrate.init_app(
        app,
        db,
        directory=str(PACKAGE_DIR / "migrations"),
        render_as_batch=True,
        include_name=include_name,
    )
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    limiter.init_app(app)
    headers.init_app(app)
    cache.init_app(
        app, [PACKAGE_DIR, settings.PROJECT_ROOT / "templates", settings.PROJECT_ROOT / "static"]
    )
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = None
    login_manager.session_protection = "basic"
    with app.app_context():
        prepare_engine(db.engine)

    from eventsite import scheduler

    scheduler.init_app(app)


def register_models() -> None:
    """Import every feature's models so the metadata (and Alembic) sees all tables."""
    import eventsite.accounts.models  # noqa: F401
    import eventsite.competitions.models  # noqa: F401
    import eventsite.core.models  # noqa: F401
    import eventsite.events.models  # noqa: F401
    import eventsite.feedback.models  # noqa: F401
    import eventsite.health.models  # noqa: F401
    import eventsite.mixers.models  # noqa: F401
    import eventsite.organizations.models  # noqa: F401
    import eventsite.outbox.models  # noqa: F401
    import eventsite.questions.models  # noqa: F401
    import eventsite.sms.models  # noqa: F401
    import eventsite.sportsmeet.models  # noqa: F401


def register_blueprints(app: Flask) -> None:
    from eventsite.accounts.views import bp as accounts_bp
    from eventsite.competitions.views import bp as competitions_bp
    from eventsite.core.views import bp as core_bp
    from eventsite.events.roster_views import bp as roster_bp
    from eventsite.events.session_views import bp as sessions_bp
    from eventsite.events.views import bp as events_bp
    from eventsite.feedback.views import bp as feedback_bp
    from eventsite.health.views import bp as health_bp
    from eventsite.membership.views import bp as membership_bp
    from eventsite.mixers.views import bp as mixers_bp
    from eventsite.organizations.views import bp as organizations_bp
    from eventsite.outbox.views import bp as outbox_bp
    from eventsite.posters.views import bp as posters_bp
    from eventsite.printing.views import bp as printing_bp
    from eventsite.privacy.views import bp as privacy_bp
    from eventsite.pwa.views import bp as pwa_bp
    from eventsite.questions.answer_views import bp as answers_bp
    from eventsite.questions.answers import install as install_registration_questions
    from eventsite.questions.views import bp as questions_bp
    from eventsite.sharing.views import bp as sharing_bp
    from eventsite.sms.views import bp as sms_bp
    from eventsite.sportsmeet.views import bp as sportsmeet_bp
    from eventsite.statistics.views import bp as statistics_bp

    app.register_blueprint(core_bp)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(events_bp)
    app.register_blueprint(roster_bp)
    app.register_blueprint(sessions_bp)
    app.register_blueprint(sportsmeet_bp)
    app.register_blueprint(competitions_bp)
    app.register_blueprint(mixers_bp)
    app.register_blueprint(sms_bp)
    app.register_blueprint(outbox_bp)
    app.register_blueprint(privacy_bp)
    app.register_blueprint(health_bp)
    app.register_blueprint(membership_bp)
    app.register_blueprint(organizations_bp)
    app.register_blueprint(statistics_bp)
    app.register_blueprint(answers_bp)
    install_registration_questions(app)
    app.register_blueprint(questions_bp)
    app.register_blueprint(printing_bp)
    app.register_blueprint(feedback_bp)
    app.register_blueprint(posters_bp)
    app.register_blueprint(sharing_bp)
    app.register_blueprint(pwa_bp)


def register_cli(app: Flask) -> None:
    from eventsite import demo, scheduler
    from eventsite.accounts import cli as accounts_cli
    from eventsite.backups.cli import backup_command
    from eventsite.outbox.cli import outbox_cli
    from eventsite.pwa.cli import pwa_cli

    app.cli.add_command(accounts_cli.users_cli)
    app.cli.add_command(demo.demo_cli)
    app.cli.add_command(scheduler.scheduler_cli)
    app.cli.add_command(outbox_cli)
    app.cli.add_command(backup_command)
    app.cli.add_command(pwa_cli)


def register_error_handlers(app: Flask) -> None:
    def render_error(code: int, title: str, message: str):
        return render_template("errors/error.html", code=code, title=title, message=message), code

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return render_error(
            400,
            _("Form expired"),
            _(
                "The form was open too long or came from elsewhere. Please go back, reload the page and try again."
            ),
        )

    @app.errorhandler(400)
    def bad_request(error):
        return render_error(400, _("Bad request"), _("The request could not be understood."))

    @app.errorhandler(403)
    def forbidden(error):
        return render_error(
            403, _("Not allowed"), _("You do not have permission to open this page.")
        )

    @app.errorhandler(404)
    def not_found(error):
        return render_error(404, _("Page not found"), _("The page you asked for does not exist."))

    @app.errorhandler(405)
    def method_not_allowed(error):
        return render_error(405, _("Not allowed"), _("This page cannot be used that way."))

    @app.errorhandler(413)
    def too_large(error):
        return render_error(413, _("File too large"), _("The uploaded file is larger than 5 MB."))

    @app.errorhandler(429)
    def too_many(error):
        return render_error(
            429, _("Too many attempts"), _("Too many attempts. Please wait a while and try again.")
        )

    @app.errorhandler(sa.exc.DataError)
    def refused_by_database(error):
        # The last net under core.inputs: a value the database could not store or compare
        # (a NUL byte, a number beyond its column) that no check caught. Nothing was written.
        db.session.rollback()
        app.logger.warning(
            "the database refused a value from %s %s: %s",
            request.method,
            request.path,
            type(getattr(error, "orig", error)).__name__,
        )
        return render_error(
            400,
            _("Value not accepted"),
            _(
                "A value you entered is too long, too large or contains a character that cannot be saved. Nothing was saved; please correct it and try again."
            ),
        )

    @app.errorhandler(sa.exc.OperationalError)
    @app.errorhandler(sa.exc.TimeoutError)
    def busy(error):
        # A lock or statement timeout, a serialization failure or a deadlock: nothing was
        # committed, and the same request a little later will very likely go through.
        if not transient_fault(error):
            raise error
        db.session.rollback()
        app.logger.warning(
            "database busy on %s %s: %s",
            request.method,
            request.path,
            type(getattr(error, "orig", error)).__name__,
        )
        response, code = render_error(
            503,
            _("Busy, please try again"),
            _(
                "Many members are doing this at the same moment. Nothing was saved; please try again in a few seconds."
            ),
        )
        return response, code, {"Retry-After": str(BUSY_RETRY_AFTER_SECONDS)}

    @app.errorhandler(StorageError)
    def counters_unavailable(error):
        # The login counters' store (Redis) is unreachable: refuse rather than count nothing.
        db.session.rollback()
        app.logger.error("rate limit storage unreachable on %s %s", request.method, request.path)
        response, code = render_error(
            503,
            _("Busy, please try again"),
            _(
                "Logging in is briefly unavailable. Nothing was changed; please try again in a minute."
            ),
        )
        return response, code, {"Retry-After": str(BUSY_RETRY_AFTER_SECONDS)}

    @app.errorhandler(500)
    def server_error(error):
        db.session.rollback()
        return render_error(
            500,
            _("Something went wrong"),
            _("An error occurred on our side. Nothing was saved; please try again later."),
        )


def register_template_helpers(app: Flask) -> None:
    from jinja2 import pass_context

    from eventsite.core import static_files
    from eventsite.core.forms import errors_among
    from eventsite.core.time import format_local, utcnow

    static_files.init_app(app)
    install_template_gettext(app)
    app.jinja_env.filters["localtime"] = format_local
    app.jinja_env.globals["utcnow"] = utcnow
    from eventsite.posters.views import cover_url

    app.jinja_env.globals["cover_url"] = cover_url
    from eventsite.sharing.views import share_card

    app.jinja_env.globals["share_card"] = share_card

    @pass_context
    def fields_in_error(context) -> list:
        """What is wrong on the forms this page was given, for the summary at its top."""
        return errors_among(context.get_all().values())

    app.jinja_env.globals["fields_in_error"] = fields_in_error

    @app.context_processor
    def inject_layout():
        """The layout's facts about the signed-in member, in one statement: unread messages
        (the tab bar's badge) and whether they captain a sports meet team ("My duties")."""
        unread, captains = 0, False
        if current_user.is_authenticated and request.endpoint != "static":
            unread, captains = db.session.execute(layout_facts(current_user.id)).one()

        def has_meet_duties() -> bool:
            return current_user.is_authenticated and (current_user.has_role("judge") or captains)

        return {
            "unread_count": unread,
            "has_meet_duties": has_meet_duties,
            "current_locale": select_locale(),
        }


def layout_facts(user_id: int) -> sa.Select:
    """SELECT the member's unread messages and whether they captain any meet's team."""
    from eventsite.core.models import Notification
    from eventsite.sportsmeet.models import Captain

    unread = (
        sa.select(sa.func.count(Notification.id))
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        .scalar_subquery()
    )
    return sa.select(unread, sa.exists().where(Captain.user_id == user_id))


def install_template_gettext(app: Flask) -> None:
    """`_()`, `gettext()` and `ngettext()` in templates (and `{% trans %}`), as Flask-Babel's
    newstyle callables translate them, with the request's catalog looked up once per request
    instead of once per string (a page translates 30 to 200 strings)."""
    from flask_babel import get_locale, get_translations
    from jinja2 import pass_context
    from markupsafe import Markup

    def translations():
        # The catalog of the locale in force now (force_locale may change it mid-request).
        locale = get_locale()
        kept = g.get("_eventsite_catalog")
        if kept is not None and kept[0] is locale:
            return kept[1]
        catalog = get_translations()
        if locale is not None:
            g._eventsite_catalog = (locale, catalog)
        return catalog

    @pass_context
    def gettext(context, string: str, **variables) -> str:
        translated = translations().ugettext(string)
        if context.eval_ctx.autoescape:
            translated = Markup(translated)
        return translated % variables  # always a format string, as Jinja's newstyle gettext

    @pass_context
    def ngettext(context, singular: str, plural: str, num: int, **variables) -> str:
        variables.setdefault("num", num)
        translated = translations().ungettext(singular, plural, num)
        if context.eval_ctx.autoescape:
            translated = Markup(translated)
        return translated % variables

    app.jinja_env.globals.update(_=gettext, gettext=gettext, ngettext=ngettext)


def register_request_hooks(app: Flask) -> None:
    from eventsite.core.db import write_intent

    @app.before_request
    def mark_read_only():
        g.write_intent_token = write_intent.set(request.method not in ("GET", "HEAD", "OPTIONS"))

    @app.teardown_request
    def clear_read_only(_exc):
        token = g.pop("write_intent_token", None)
        if token is not None:
            write_intent.reset(token)

    from eventsite.accounts.notice import gate

    # On every blueprint (every route is on one; static files are not), so it runs after the
    # app's own hooks: the read-only marker first, for the transaction the member is read in.
    for name in app.blueprints:
        app.before_request_funcs.setdefault(name, []).append(gate)

    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    from eventsite.core.privacy import guard_logs

    guard_logs()
