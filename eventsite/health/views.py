"""`/status`: the named health checks, in JSON, for monitoring and for admins."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify

from eventsite.core.permissions import admin_or_bearer_token
from eventsite.core.time import utcnow
from eventsite.health import rules, service

bp = Blueprint("health", __name__)


@bp.get("/status")
@admin_or_bearer_token("STATUS_TOKEN")
def status():
    """Every check ok or failing with its reason: 200 when all are ok, else 503."""
    facts, results = service.check_health(utcnow(), current_app.config)
    response = jsonify(service.report(facts, results))
    response.status_code = 200 if rules.all_ok(results) else 503
    response.headers["Cache-Control"] = "no-store"
    return response
