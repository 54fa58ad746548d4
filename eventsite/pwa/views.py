"""The manifest, the service worker and the offline page: the same for every visitor."""

from __future__ import annotations

import os

from flask import Blueprint, Response, current_app, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _

from eventsite.core.permissions import public
from eventsite.pwa import rules
from eventsite.pwa.icons import FOLDER, ICONS

bp = Blueprint("pwa", __name__)

#: static/css/site.css's --red: the phone's status bar and the splash screen.
THEME_COLOUR = "#c62828"
BACKGROUND_COLOUR = "#f6f7f9"


def _static_files() -> list[str]:
    folder = current_app.static_folder
    names = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = [name for name in dirs if not name.startswith(".")]
        relative = os.path.relpath(root, folder)
        for name in files:
            names.append(name if relative == "." else f"{relative}/{name}".replace(os.sep, "/"))
    return names


def precache_urls() -> list[str]:
    """What the worker precaches: every precached static file by its versioned URL, and the
    offline page."""
    files = rules.precached(_static_files())
    return [url_for("static", filename=name) for name in files] + [url_for("pwa.offline")]


@bp.get("/manifest.webmanifest")
@public
def manifest():
    """The web app manifest: name, start page, standalone display, colours and icons."""
    icons = [
        {
            "src": url_for("static", filename=f"{FOLDER}/{icon.filename}"),
            "sizes": f"{icon.size}x{icon.size}",
            "type": "image/png",
            "purpose": "maskable" if icon.purpose == "maskable" else "any",
        }
        for icon in ICONS
        if icon.purpose != "square"
    ]
    body = {
        "name": _("Union Member Events"),
        "short_name": _("Union Events"),
        "description": _("The union's events: register, check in, results and standings."),
        "lang": "zh-CN" if str(get_locale()) == "zh_Hans_CN" else "en",
        "start_url": f"{request.script_root}/",
        "scope": f"{request.script_root}/",
        "display": "standalone",
        "orientation": "portrait",
        "theme_color": THEME_COLOUR,
        "background_color": BACKGROUND_COLOUR,
        "icons": icons,
    }
    response = current_app.json.response(body)
    response.mimetype = "application/manifest+json"
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/sw.js")
@public
def service_worker():
    """The service worker, from the site's root so that it serves the whole site."""
    urls = precache_urls()
    # Straight from the template, without the pages' context (no account, no unread count).
    body = current_app.jinja_env.get_template("pwa/sw.js").render(
        cache_name=rules.cache_name(urls),
        cache_prefix=rules.CACHE_PREFIX,
        precache=urls,
        offline_url=url_for("pwa.offline"),
        static_path=current_app.static_url_path + "/",
    )
    return Response(
        body,
        mimetype="text/javascript",
        headers={"Cache-Control": "no-cache", "Service-Worker-Allowed": "/"},
    )


@bp.get("/offline")
@public
def offline():
    """What the worker shows when a page cannot be loaded: no account, no personal detail."""
    response = Response(render_template("pwa/offline.html"))
    response.headers["Cache-Control"] = "no-cache"
    return response
