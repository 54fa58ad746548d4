"""Sports meet pages: standings, big screen and item results for everyone; set-up and exports for
organizers; entries for captains; result sheets for referees."""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from eventsite.core.exports import XLSX_MIMETYPE, attachment, xlsx_bytes
from eventsite.core.inputs import storable_int
from eventsite.core.permissions import login_required
from eventsite.core.time import format_local, utcnow
from eventsite.events import message_pages, roster_messages
from eventsite.events.models import Event
from eventsite.events.permissions import can_manage
from eventsite.extensions import db
from eventsite.sportsmeet import exports, live, rules, service
from eventsite.sportsmeet.forms import (
    SEEDING_MESSAGES,
    EntriesForm,
    FinalDrawForm,
    HeatDrawForm,
    HeatSheetForm,
    ItemForm,
    MatchDrawForm,
    MatchForm,
    MobileForm,
    SettingsForm,
    add_error,
)
from eventsite.sportsmeet.models import MatchFormat, Outcome
from eventsite.sportsmeet.permissions import captain_required, meet_permission, referee_required

bp = Blueprint("sportsmeet", __name__)

#: How often the standings page and the big screen fetch new data, and the screen rotates.
REFRESH_SECONDS = 10
ROTATE_SECONDS = 15


@bp.app_template_filter("meet_number")
def meet_number(value) -> str:
    """Points or a multiplier without trailing zeros: 5.00 → 5, 2.50 → 2.5."""
    return "" if value is None else service.plain_number(Decimal(value))


@bp.app_template_filter("meet_points")
def meet_points(value) -> str:
    """Exact points as shown: rounded half up to hundredths only here (10/3 → 3.33)."""
    return "" if value is None else service.shown_points(value)


@bp.app_template_filter("meet_value")
def meet_value(value, item) -> str:
    """A raw result as shown for its item: mm:ss.ss for times."""
    return service.format_value(item, value)


@bp.app_template_filter("meet_outcome")
def meet_outcome(value) -> str:
    return Outcome(value).title


def _fresh(event: Event) -> Event:
    """The event again after a rollback (its attributes were expired)."""
    return db.session.get(Event, event.id)


# --- Public: standings, big screen, item results -------------------------------------------------


def _fragments(board) -> dict[str, Markup]:
    """The live parts of the standings page, rendered once for the page and for its refresh."""
    return {
        name: Markup(render_template(f"sportsmeet/_{name}.html", board=board))
        for name in ("standings", "medals", "latest", "item_list", "honours")
    }


@dataclass(frozen=True)
class LiveBoard:
    """What every viewer of a meet's live board gets, whoever they are."""

    fragments: dict[str, Markup]
    #: The refresh's body, serialized without its closing brace (the time of the request is
    #: added per request): the fragments alone, or with every item's placings as data.
    json_head: str
    has_individual_items: bool


#: How many latest results the standings page and the full JSON refresh show.
FULL_LATEST = 8


def _live_board(event: Event, latest: int = FULL_LATEST, *, data: bool = False) -> LiveBoard:
    """The board as shown to everyone, built once per change of the meet (see `live`); with
    `data`, the JSON also carries the standings, medals and placings as data."""

    def build() -> LiveBoard:
        board = service.load_board(event, latest=latest)
        fragments = _fragments(board)
        body = exports.board_data(board) if data else {}
        body["html"] = fragments
        text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
        return LiveBoard(fragments, text[:-1], board.has_individual_items)

    key = (event.id, latest, data, str(get_locale()))
    return live.board_cache().get(
        key, lambda: service.board_version(event), live.kept_seconds(), build
    )


@bp.get("/events/<int:event_id>/meet")
@meet_permission("view")
def standings(event: Event):
    """Team standings, medal table, latest results and every item's status; refreshes itself."""
    board = _live_board(event)
    duties = service.duties_in(event, current_user)
    return render_template(
        "sportsmeet/standings.html",
        event=event,
        board=board,
        fragments=board.fragments,
        duties=duties,
        manager=can_manage(current_user, event),
        refresh=REFRESH_SECONDS,
    )


#: What a page's refresh asks for (`?fragments=`): the fragments alone, with as many latest
#: results as that page shows. The big screen shows as many one-line rows as fit under its
#: heading at 16:9 (site.css sizes them by the screen's height), none cut off at the bottom.
FRAGMENTS_LATEST = {"page": FULL_LATEST, "screen": 8}

#: The refresh time each page shows: the page's "updated" note to the second; the big screen's
#: clock in the same hours and minutes it is first drawn with.
UPDATED_FORMAT = {None: "%H:%M:%S", "page": "%H:%M:%S", "screen": "%H:%M"}


@bp.get("/events/<int:event_id>/meet/standings.json")
@meet_permission("view")
def standings_json(event: Event):
    """The standings as data and as ready-made table fragments; with `?fragments=page` or
    `screen`, the fragments alone, which is all the page's refresh uses (a tenth of the size)."""
    wanted = request.args.get("fragments")
    if wanted is not None and wanted not in FRAGMENTS_LATEST:
        abort(400)
    if wanted is None:
        board = _live_board(event, data=True)
    else:
        board = _live_board(event, latest=FRAGMENTS_LATEST[wanted])
    head = board.json_head
    updated = json.dumps(format_local(utcnow(), UPDATED_FORMAT[wanted]))
    response = current_app.response_class(
        f'{head},"updated":{updated}}}', mimetype="application/json"
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/events/<int:event_id>/meet/screen")
@meet_permission("view")
def screen(event: Event):
    """Big-screen mode for the venue's projector: standings and latest results in turn."""
    board = _live_board(event, latest=FRAGMENTS_LATEST["screen"])
    return render_template(
        "sportsmeet/screen.html",
        event=event,
        fragments=board.fragments,
        refresh=REFRESH_SECONDS,
        rotate=ROTATE_SECONDS,
    )


@bp.get("/events/<int:event_id>/meet/items/<int:item_id>")
@meet_permission("view")
def item(event: Event, item):
    """One item's results: placings, points, heats or matches, and its status."""
    board = service.load_board(event, item_id=item.id)
    return render_template(
        "sportsmeet/item.html",
        event=event,
        item=item,
        board=board,
        placed=board.items[0],
        manager=can_manage(current_user, event),
        referee=service.is_referee(current_user, item),
    )


@bp.get("/my/meet-duties")
@login_required
def duties():
    """The items the member referees and the teams they captain, across meets."""
    return render_template(
        "sportsmeet/duties.html",
        items=service.refereed_items(current_user),
        teams=service.captained_teams(current_user),
    )


# --- Organizers: settings, items, referees, captains, draws, final ------------------------------


def _render_setup(event, form=None, status=200):
    form = form or SettingsForm.for_settings(service.settings_of(event))
    board = service.load_board(event)
    return render_template(
        "sportsmeet/setup.html",
        event=event,
        form=form,
        board=board,
        settings=service.settings_of(event),
        captains=service.captains_by_team(event),
    ), status


@bp.route("/events/<int:event_id>/meet/setup", methods=["GET", "POST"])
@meet_permission("manage")
def setup(event: Event):
    """The meet's settings (points table, items per person, entries lock) and its items."""
    if request.method == "GET":
        return _render_setup(event)
    form = SettingsForm()
    if not form.validate():
        return _render_setup(event, form, 400)
    try:
        service.save_settings(event, current_user, **form.values())
    except service.MeetError as exc:
        db.session.rollback()
        add_error(form, exc.message, exc.field)
        return _render_setup(_fresh(event), form, 400)
    db.session.commit()
    flash(_("Meet settings saved."), "success")
    return redirect(url_for("sportsmeet.setup", event_id=event.id), 303)


@bp.route("/events/<int:event_id>/meet/items/new", methods=["GET", "POST"])
@meet_permission("manage")
def new_item(event: Event):
    """Add an item."""
    form = ItemForm()
    if request.method == "POST":
        if form.validate():
            try:
                created = service.create_item(event, current_user, **form.values())
            except service.MeetError as exc:
                db.session.rollback()
                add_error(form, exc.message, exc.field)
                event = _fresh(event)
            else:
                db.session.commit()
                flash(_("Item added."), "success")
                return redirect(
                    url_for("sportsmeet.edit_item", event_id=event.id, item_id=created.id), 303
                )
        return render_template("sportsmeet/item_form.html", event=event, form=form), 400
    return render_template("sportsmeet/item_form.html", event=event, form=form)


def _render_edit(event, item, *, form=None, referee_form=None, status=200, **forms):
    board = service.load_board(event, item_id=item.id)
    drawn = service.current_draw(item)
    match_draw_form = forms.get("match_draw_form")
    if match_draw_form is None and item.is_head_to_head:
        match_draw_form = MatchDrawForm.for_draw(drawn).fill(service.draw_entries(item))
    return render_template(
        "sportsmeet/item_edit.html",
        event=event,
        item=item,
        placed=board.items[0],
        drawn=drawn,
        form=form or ItemForm.for_item(item, formdata=None),
        referee_form=referee_form or MobileForm(formdata=None),
        heat_form=forms.get("heat_form") or HeatDrawForm.for_draw(drawn),
        match_draw_form=match_draw_form and match_draw_form.label_rows(board.labels),
        final_form=forms.get("final_form") or FinalDrawForm(formdata=None),
    ), status


@bp.route("/events/<int:event_id>/meet/items/<int:item_id>/edit", methods=["GET", "POST"])
@meet_permission("manage")
def edit_item(event: Event, item):
    """Change an item; assign its referees, draw heats or matches, mark it final."""
    if request.method == "GET":
        return _render_edit(event, item)
    form = ItemForm()
    if not form.validate():
        return _render_edit(event, item, form=form, status=400)
    try:
        service.update_item(item, current_user, **form.values())
    except service.MeetError as exc:
        db.session.rollback()
        add_error(form, exc.message, exc.field)
        event = _fresh(event)
        return _render_edit(event, service.item_of(event, item.id), form=form, status=400)
    db.session.commit()
    flash(_("Item saved."), "success")
    return redirect(url_for("sportsmeet.edit_item", event_id=event.id, item_id=item.id), 303)


def _back_to_item(event, item):
    return redirect(url_for("sportsmeet.edit_item", event_id=event.id, item_id=item.id), 303)


def _refused(event, item, exc):
    """Show a refused organizer action on the item's page (nothing was changed)."""
    db.session.rollback()
    event = _fresh(event)
    flash(exc.message, "error")
    return _render_edit(event, service.item_of(event, item.id), status=409)


@bp.post("/events/<int:event_id>/meet/items/<int:item_id>/delete")
@meet_permission("manage")
def delete_item(event: Event, item):
    """Remove an item that has no results."""
    try:
        service.delete_item(item, current_user)
    except service.MeetError as exc:
        return _refused(event, item, exc)
    db.session.commit()
    flash(_("Item removed."), "success")
    return redirect(url_for("sportsmeet.setup", event_id=event.id), 303)


@bp.post("/events/<int:event_id>/meet/items/<int:item_id>/referees")
@meet_permission("manage")
def add_referee(event: Event, item):
    """Assign a judge, found by mobile number, to the item."""
    form = MobileForm()
    if not form.validate():
        return _render_edit(event, item, referee_form=form, status=400)
    try:
        service.add_referee(item, form.mobile.data, current_user)
    except service.MeetError as exc:
        db.session.rollback()
        add_error(form, exc.message, exc.field)
        event = _fresh(event)
        return _render_edit(event, service.item_of(event, item.id), referee_form=form, status=400)
    db.session.commit()
    flash(_("Referee assigned."), "success")
    return _back_to_item(event, item)


@bp.post("/events/<int:event_id>/meet/items/<int:item_id>/referees/remove")
@meet_permission("manage")
def remove_referee(event: Event, item):
    """Take a referee off the item."""
    try:
        service.remove_referee(item, request.form.get("user_id", type=storable_int), current_user)
    except service.MeetError as exc:
        return _refused(event, item, exc)
    db.session.commit()
    flash(_("Referee removed."), "success")
    return _back_to_item(event, item)


@bp.post("/events/<int:event_id>/meet/items/<int:item_id>/draw")
@meet_permission("manage")
def draw(event: Event, item):
    """Draw heats of N lanes, or the knockout bracket / round-robin schedule: in team order, by
    a drawing of lots (a seed typed or drawn), or by the organizer's seeding."""
    form, form_name = (
        (MatchDrawForm(), "match_draw_form")
        if item.is_head_to_head
        else (HeatDrawForm(), "heat_form")
    )
    if not form.validate():
        return _render_edit(event, item, status=400, **{form_name: form})
    method = form.draw_method
    seed = None
    if method == rules.DrawMethod.LOTS:
        seed = form.lots_seed if form.lots_seed is not None else service.new_draw_seed()
    try:
        if item.is_head_to_head:
            service.draw_matches(item, current_user, method, seed=seed, seeds=form.seeding())
        else:
            service.draw_heats(item, current_user, form.lanes.data, method, seed=seed)
    except service.SeedingRefused as exc:
        db.session.rollback()
        for entry_id, problem in exc.problems.items():
            message = SEEDING_MESSAGES[problem]
            add_error(form.row_for(entry_id), str(message) % {"n": len(form.seeds)}, "seed")
        event = _fresh(event)
        return _render_edit(event, service.item_of(event, item.id), status=400, **{form_name: form})
    except service.MeetError as exc:
        return _refused(event, item, exc)
    db.session.commit()
    if seed is not None:
        flash(_("Drawn by lot with seed %(seed)s; the audit log keeps it.", seed=seed), "success")
    else:
        flash(_("Draw made."), "success")
    return _back_to_item(event, item)


@bp.post("/events/<int:event_id>/meet/items/<int:item_id>/final-heat")
@meet_permission("manage")
def draw_final(event: Event, item):
    """Add a final heat with the best entries of the heats."""
    form = FinalDrawForm()
    if not form.validate():
        return _render_edit(event, item, final_form=form, status=400)
    try:
        service.draw_final(item, current_user, form.size.data)
    except service.MeetError as exc:
        return _refused(event, item, exc)
    db.session.commit()
    flash(_("Final drawn."), "success")
    return _back_to_item(event, item)


@bp.post("/events/<int:event_id>/meet/items/<int:item_id>/finalize")
@meet_permission("manage")
def finalize(event: Event, item):
    """Declare the item's results final, or reopen them for corrections."""
    final = request.form.get("final") == "1"
    service.set_final(item, current_user, final)
    db.session.commit()
    flash(_("Results declared final.") if final else _("Results reopened."), "success")
    if request.form.get("back") == "results":
        # Sent from the item's results page, where the organizer sees what they confirm.
        return redirect(url_for("sportsmeet.item", event_id=event.id, item_id=item.id), 303)
    return _back_to_item(event, item)


@bp.route("/events/<int:event_id>/meet/captains", methods=["GET", "POST"])
@meet_permission("manage")
def captains(event: Event):
    """Each team's captains: add one by mobile number, or remove one."""
    forms = {team.id: MobileForm(prefix=f"team{team.id}", formdata=None) for team in event.teams}
    status = 200
    if request.method == "POST":
        team = service.team_of(event, request.form.get("team_id", type=storable_int) or 0)
        if team is None:
            abort(404)
        removing = "remove_user_id" in request.form
        form = forms[team.id] = forms[team.id] if removing else MobileForm(prefix=f"team{team.id}")
        if removing or form.validate():
            try:
                if removing:
                    user_id = request.form.get("remove_user_id", type=storable_int)
                    service.remove_captain(event, team, user_id, current_user)
                else:
                    service.add_captain(event, team, form.mobile.data, current_user)
            except service.MeetError as exc:
                db.session.rollback()
                add_error(form, exc.message, exc.field)
                event = _fresh(event)
            else:
                db.session.commit()
                flash(_("Captain removed.") if removing else _("Captain added."), "success")
                return redirect(url_for("sportsmeet.captains", event_id=event.id), 303)
        status = 400
    return render_template(
        "sportsmeet/captains.html",
        event=event,
        forms=forms,
        captains=service.captains_by_team(event),
    ), status


# --- Exports --------------------------------------------------------------------------------------


@bp.get(
    "/events/<int:event_id>/meet/export/<any(entries,results,standings,certificates):sheet>.xlsx"
)
@meet_permission("manage")
def export(event: Event, sheet: str):
    """Entries, results, standings or the certificates list as an XLSX file."""
    header, rows, title = exports.sheet(event, sheet)
    return attachment(
        xlsx_bytes(header, rows, sheet_title=title),
        filename=f"meet-{event.id}-{sheet}.xlsx",
        mimetype=XLSX_MIMETYPE,
    )


@bp.get("/events/<int:event_id>/meet/items/<int:item_id>/print")
@meet_permission("manage")
def print_sheet(event: Event, item):
    """A printable results sheet for one item, with lines for signatures."""
    board = service.load_board(event, item_id=item.id)
    return render_template(
        "sportsmeet/print.html", event=event, item=item, placed=board.items[0], board=board
    )


# --- Captains ------------------------------------------------------------------------------------


def _render_entries(event, team, sheet=None, refused=(), status=200, confirm_withdrawal=False):
    sheet = sheet or service.team_sheet(event, team)
    return render_template(
        "sportsmeet/entries.html",
        event=event,
        team=team,
        sheet=sheet,
        form=EntriesForm(formdata=None),
        refused=refused,
        confirm_withdrawal=confirm_withdrawal,
        messages=service.problem_messages(sheet),
    ), status


@bp.route("/events/<int:event_id>/meet/teams/<int:team_id>/entries", methods=["GET", "POST"])
@captain_required
def team_entries(event: Event, team):
    """The captain puts the team's members into items; every broken rule is shown."""
    if request.method == "GET":
        return _render_entries(event, team)
    form = EntriesForm()
    if not form.validate():
        abort(400)
    items = service.items_of(event)
    selection = form.selection(request.form, [i.id for i in items])
    withdraw_all = request.form.get("withdraw_all") == "y"
    try:
        service.save_team_entries(event, team, current_user, selection, withdraw_all=withdraw_all)
    except service.WithdrawalUnconfirmed:
        db.session.rollback()
        event = _fresh(event)
        team = service.team_of(event, team.id)
        sheet = service.team_sheet(event, team, selection)
        return _render_entries(event, team, sheet, status=400, confirm_withdrawal=True)
    except service.EntriesRefused:
        db.session.rollback()
        event = _fresh(event)
        team = service.team_of(event, team.id)
        return _render_entries(event, team, service.team_sheet(event, team, selection), True, 400)
    except service.MeetError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        event = _fresh(event)
        return _render_entries(event, service.team_of(event, team.id), status=409)
    db.session.commit()
    flash(_("Entries saved."), "success")
    return redirect(url_for("sportsmeet.team_entries", event_id=event.id, team_id=team.id), 303)


def _team_message_steps(event: Event, team) -> message_pages.Steps:
    write = url_for("sportsmeet.team_message", event_id=event.id, team_id=team.id)
    return message_pages.Steps(
        write=write,
        send=url_for("sportsmeet.send_team_message", event_id=event.id, team_id=team.id),
        done=write,
        back=url_for("sportsmeet.team_entries", event_id=event.id, team_id=team.id),
        back_label=_("Back to the team's entries"),
    )


@bp.route("/events/<int:event_id>/meet/teams/<int:team_id>/message", methods=["GET", "POST"])
@captain_required
def team_message(event: Event, team):
    """A captain writes to the team's confirmed members, and previews the message."""
    audience = roster_messages.Audience(event, team=team)
    return message_pages.write(audience, _team_message_steps(event, team))


@bp.post("/events/<int:event_id>/meet/teams/<int:team_id>/message/send")
@captain_required
def send_team_message(event: Event, team):
    """Send the previewed message to the team's confirmed members."""
    audience = roster_messages.Audience(event, team=team)
    return message_pages.send(audience, _team_message_steps(event, team))


# --- Referees ------------------------------------------------------------------------------------


def _render_referee(event, item, *, heat_forms=None, match_forms=None, status=200):
    board = service.load_board(event, item_id=item.id)
    placed = board.items[0]
    heat_forms = dict(heat_forms or {})
    for heat in placed.heats:
        if heat.id not in heat_forms:
            saved = {e: r for (h, e), r in placed.results.items() if h == heat.id}
            heat_forms[heat.id] = HeatSheetForm(
                item=item, prefix=f"h{heat.id}", formdata=None
            ).fill(placed.lanes[heat.id], saved)
    match_forms = dict(match_forms or {})
    for match in placed.matches:
        if match.id not in match_forms and match.home_entry_id and match.away_entry_id:
            current = (
                "draw"
                if match.drawn
                else "home"
                if match.winner_entry_id == match.home_entry_id
                else "away"
                if match.winner_entry_id == match.away_entry_id
                else None
            )
            match_forms[match.id] = _match_form(
                item, match, board.labels, formdata=None, data={"winner": current}
            )
    return render_template(
        "sportsmeet/referee.html",
        event=event,
        item=item,
        board=board,
        placed=placed,
        heat_forms=heat_forms,
        match_forms=match_forms,
    ), status


def _match_form(item, match, labels, **kwargs) -> MatchForm:
    return MatchForm(
        prefix=f"m{match.id}",
        drawable=item.match_format == MatchFormat.ROUND_ROBIN,
        home=labels.get(match.home_entry_id, ""),
        away=labels.get(match.away_entry_id, ""),
        **kwargs,
    )


@bp.get("/events/<int:event_id>/meet/items/<int:item_id>/referee")
@referee_required
def referee(event: Event, item):
    """The referee's phone page: one sheet per heat, or the matches to decide."""
    return _render_referee(event, item)


@bp.post("/events/<int:event_id>/meet/items/<int:item_id>/heats/<int:heat_id>")
@referee_required
def save_heat(event: Event, item, heat_id: int):
    """Save a heat's results; placings and standings follow at once."""
    heat = service.heat_of(item, heat_id)
    if heat is None:
        abort(404)
    form = HeatSheetForm(item=item, prefix=f"h{heat.id}")
    if not form.validate():
        return _render_referee(event, item, heat_forms={heat.id: form}, status=400)
    labels = service.entry_labels(item, (lane.entry_id for lane in heat.lanes))
    try:
        saved = service.save_heat_results(item, heat, current_user, form.parsed, labels)
    except service.SheetError as exc:
        db.session.rollback()
        for (entry_id, field), message in exc.errors.items():
            row = form.row_for(entry_id)
            if row is not None:
                add_error(row, message, field)
        event = _fresh(event)
        item = service.item_of(event, item.id)
        return _render_referee(event, item, heat_forms={heat_id: form}, status=400)
    except service.MeetError as exc:
        db.session.rollback()
        add_error(form, exc.message, None)
        event = _fresh(event)
        item = service.item_of(event, item.id)
        return _render_referee(event, item, heat_forms={heat_id: form}, status=409)
    # What the messages and the redirect name, read before the commit expires them.
    number, back = heat.number, {"event_id": event.id, "item_id": item.id}
    db.session.commit()
    flash(
        _("Heat %(n)s saved (%(count)s results).", n=number, count=saved.changed)
        if saved.changed
        else _("Nothing changed in heat %(n)s.", n=number),
        "success",
    )
    if saved.missing:
        # Saved all the same: results come in as teams finish, and a refusal would make the
        # referee invent a result to keep the others. The item stays "in progress" meanwhile.
        flash(
            _(
                "Heat %(n)s still has no result for %(who)s. Enter it when it is in, or mark "
                "did not finish.",
                n=number,
                who="、".join(labels.get(entry_id, str(entry_id)) for entry_id in saved.missing),
            ),
            "warning",
        )
    return redirect(url_for("sportsmeet.referee", **back, _anchor=f"heat-{heat_id}"), 303)


@bp.post("/events/<int:event_id>/meet/items/<int:item_id>/matches/<int:match_id>")
@referee_required
def save_match(event: Event, item, match_id: int):
    """Record who won a match; a knockout bracket advances at once."""
    match = service.match_of(item, match_id)
    if match is None:
        abort(404)
    sides = (match.home_entry_id, match.away_entry_id)
    labels = service.entry_labels(item, (entry_id for entry_id in sides if entry_id))
    form = _match_form(item, match, labels)
    if not form.validate():
        return _render_referee(event, item, match_forms={match.id: form}, status=400)
    try:
        service.save_match_result(
            item, match, current_user, form.winner.data, (form.reason.data or "").strip(), labels
        )
    except service.MeetError as exc:
        db.session.rollback()
        add_error(form, exc.message, exc.field)
        event = _fresh(event)
        item = service.item_of(event, item.id)
        return _render_referee(event, item, match_forms={match_id: form}, status=400)
    back = {"event_id": event.id, "item_id": item.id}  # read before the commit expires them
    db.session.commit()
    flash(_("Match result saved."), "success")
    return redirect(url_for("sportsmeet.referee", **back, _anchor=f"match-{match_id}"), 303)
