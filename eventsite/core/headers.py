"""Security headers on every response, set by Flask-Talisman.

- Content-Security-Policy: scripts, styles, images, fonts and fetches from this site only; no
  inline script, event handler attribute, style="" attribute or <style> element (page scripts
  live in static/js/, styles in static/css/site.css); no plugins; no <base>; forms post here
  only; no page may be framed (`frame-ancestors 'none'`, and X-Frame-Options: DENY for older
  browsers).
- X-Content-Type-Options: nosniff; Referrer-Policy: same-origin (a check-in token or a mixer
  page's address never leaves the site in a Referer).
- Strict-Transport-Security in production, on HTTPS requests (behind the proxy, TRUSTED_PROXIES
  makes them HTTPS). TLS and the redirect from plain HTTP are the proxy's (docs/deployment.md),
  so the app never redirects by itself: development, tests and health checks run over HTTP.
"""

from __future__ import annotations

from flask import Flask
from flask_talisman import Talisman

CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self'",
    "font-src": "'self'",
    "connect-src": "'self'",
    # The service worker (/sw.js) and the web app manifest (eventsite/pwa).
    "worker-src": "'self'",
    "manifest-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def init_app(app: Flask) -> None:
    """Set the headers on every response of `app`.

    One Talisman per app, not an unbound one in extensions.py: Talisman keeps its settings on
    the instance its hooks belong to, so a second app (a test's production app) would change
    the first one's headers.
    """
    production = app.config.get("ENV_NAME") == "production"
    app.extensions["talisman"] = Talisman(
        app,
        force_https=False,
        strict_transport_security=production,
        content_security_policy=CONTENT_SECURITY_POLICY,
        frame_options="DENY",
        referrer_policy="same-origin",
        # Talisman would otherwise force these cookie settings; the app's config decides them.
        session_cookie_secure=app.config["SESSION_COOKIE_SECURE"],
        session_cookie_samesite=app.config["SESSION_COOKIE_SAMESITE"],
    )
