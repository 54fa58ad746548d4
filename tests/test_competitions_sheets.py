"""Score sheets through the app: drafts, autosave, submit and lock, reopening, validation beside
each box, stale forms refused with the current values, and the audit trail."""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa

from eventsite.competitions.models import ScoreSheet, SheetChange
from eventsite.core.models import AuditEntry, Notification
from eventsite.extensions import db
from tests.competition_factories import affiliate, fill_all, make_contest, make_sheet


def url(contest, registration):
    return f"/competitions/{contest.event.id}/rounds/{contest.round.id}/score/{registration.id}"


def boxes(contest, *values, version=0, action="save", comment=""):
    data = {"version": str(version), "action": action, "comment": comment}
    for criterion, value in zip(contest.criteria, values, strict=True):
        data[f"score_{criterion.id}"] = value
    return data


def the_sheet(contest, judge, registration):
    db.session.rollback()
    return db.session.scalar(
        sa.select(ScoreSheet).where(
            ScoreSheet.judge_id == judge.id, ScoreSheet.registration_id == registration.id
        )
    )


def test_judge_saves_a_draft_then_submits_and_the_sheet_locks(app, client, auth):
    contest = make_contest()
    judge, contestant = contest.judges[0], contest.everyone()[0]
    db.session.commit()
    auth.become(judge)

    page = client.get(url(contest, contestant))
    assert page.status_code == 200
    assert "专业知识" in page.text and 'name="version" type="hidden" value="0"' in page.text

    response = client.post(url(contest, contestant), data=boxes(contest, "8.5", ""))
    assert response.status_code == 303
    sheet = the_sheet(contest, judge, contestant)
    assert sheet.values == {contest.criteria[0].id: Decimal("8.5")}  # empty is not 0
    assert sheet.version == 1 and sheet.submitted_at is None

    response = client.post(
        url(contest, contestant), data=boxes(contest, "8.5", "17", version=1, action="submit")
    )
    assert response.status_code == 303
    sheet = the_sheet(contest, judge, contestant)
    assert sheet.submitted_at is not None and sheet.version == 2
    assert sheet.values[contest.criteria[1].id] == Decimal("17")

    # Locked: another save is refused and changes nothing.
    response = client.post(url(contest, contestant), data=boxes(contest, "1", "1", version=2))
    assert response.status_code == 409
    assert "只有总裁判长可以重新打开" in response.text or "locked" in response.text
    assert the_sheet(contest, judge, contestant).values[contest.criteria[0].id] == Decimal("8.5")


def test_a_first_save_writes_its_scores_without_reading_the_new_sheets(
    app, client, auth, count_queries
):
    """A sheet just created has no scores: its first save, a draft or submitted at once,
    writes them without asking the database for the scores of the sheet it has just
    inserted, and every score is there afterwards."""
    contest = make_contest()
    judge = contest.judges[0]
    first, second = contest.everyone()[:2]
    db.session.commit()
    auth.become(judge)
    client.get(url(contest, first))
    for contestant, data in (
        (first, boxes(contest, "8.5", "")),
        (second, boxes(contest, "7", "16.5", action="submit")),
    ):
        with count_queries() as counter:
            response = client.post(url(contest, contestant), data=data)
        assert response.status_code == 303
        reads = [s for s in counter.statements if s.lstrip().upper().startswith("SELECT")]
        assert not [s for s in reads if "FROM comp_score" in s], reads
    assert the_sheet(contest, judge, first).values == {contest.criteria[0].id: Decimal("8.5")}
    assert the_sheet(contest, judge, second).values == {
        contest.criteria[0].id: Decimal("7"),
        contest.criteria[1].id: Decimal("16.5"),
    }
    assert the_sheet(contest, judge, second).submitted_at is not None


def test_submit_needs_every_criterion(app, client, auth):
    contest = make_contest()
    judge, contestant = contest.judges[0], contest.everyone()[0]
    db.session.commit()
    auth.become(judge)
    response = client.post(url(contest, contestant), data=boxes(contest, "8", "", action="submit"))
    assert response.status_code == 400
    assert f'id="score_{contest.criteria[1].id}-errors"' in response.text
    assert the_sheet(contest, judge, contestant) is None


def test_bad_values_are_refused_beside_their_box_and_nothing_changes(app, client, auth):
    contest = make_contest()
    judge, contestant = contest.judges[0], contest.everyone()[0]
    make_sheet(contest, judge, contestant, ["5", None], submitted=False)
    db.session.commit()
    auth.become(judge)
    for bad, expected in (
        ("10.5", "10"),  # above the maximum: the message names it
        ("8.3", "0.5"),  # off the step
        ("-1", ""),
        ("八", ""),
    ):
        response = client.post(url(contest, contestant), data=boxes(contest, bad, "", version=1))
        assert response.status_code == 400, bad
        first = contest.criteria[0].id
        error_list = response.text.split(f'id="score_{first}-errors"')[1].split("</ul>")[0]
        assert "<li>" in error_list and expected in error_list, bad
        assert f'value="{bad}"' in response.text  # what the judge typed stays in the box
        sheet = the_sheet(contest, judge, contestant)
        assert sheet.values == {first: Decimal("5")} and sheet.version == 1
    assert db.session.scalar(sa.select(sa.func.count(SheetChange.id))) == 0


def test_full_width_digits_from_a_chinese_keyboard_are_accepted(app, client, auth):
    contest = make_contest()
    judge, contestant = contest.judges[0], contest.everyone()[0]
    db.session.commit()
    auth.become(judge)
    response = client.post(url(contest, contestant), data=boxes(contest, "８．５", "１２"))
    assert response.status_code == 303
    assert the_sheet(contest, judge, contestant).values == {
        contest.criteria[0].id: Decimal("8.5"),
        contest.criteria[1].id: Decimal("12"),
    }


def test_a_stale_form_is_refused_with_the_current_values(app, client, auth):
    """Two tabs load version 1; the first saves; the second is refused and shown the current
    values, and what it typed is not written."""
    contest = make_contest()
    judge, contestant = contest.judges[0], contest.everyone()[0]
    make_sheet(contest, judge, contestant, ["5", "10"], submitted=False)
    db.session.commit()
    auth.become(judge)

    first = client.post(url(contest, contestant), data=boxes(contest, "6", "10", version=1))
    assert first.status_code == 303
    second = client.post(url(contest, contestant), data=boxes(contest, "9", "19", version=1))
    assert second.status_code == 409
    assert "另一个标签页或设备" in second.text or "another tab" in second.text
    first_box = contest.criteria[0].id
    assert f'id="score_{first_box}" name="score_{first_box}" value="6"' in second.text
    assert 'name="version" type="hidden" value="2"' in second.text  # save again from here
    sheet = the_sheet(contest, judge, contestant)
    assert sheet.values[first_box] == Decimal("6") and sheet.version == 2
    changes = db.session.scalars(sa.select(SheetChange)).all()
    assert [(c.old_value, c.new_value) for c in changes] == [("5", "6")]


def test_autosave_answers_json_and_refuses_a_stale_version(app, client, auth):
    contest = make_contest()
    judge, contestant = contest.judges[0], contest.everyone()[0]
    db.session.commit()
    auth.become(judge)
    headers = {"X-Autosave": "1"}
    saved = client.post(url(contest, contestant), data=boxes(contest, "7", ""), headers=headers)
    assert saved.status_code == 200
    assert saved.json["ok"] is True and saved.json["version"] == 1
    assert saved.json["scores"] == {f"score_{contest.criteria[0].id}": "7"}

    again = client.post(
        url(contest, contestant), data=boxes(contest, "7.5", "", version=1), headers=headers
    )
    assert again.json["version"] == 2

    stale = client.post(
        url(contest, contestant), data=boxes(contest, "3", "", version=1), headers=headers
    )
    assert stale.status_code == 409
    assert stale.json["stale"] is True
    assert stale.json["current"]["scores"] == {f"score_{contest.criteria[0].id}": "7.5"}

    bad = client.post(
        url(contest, contestant), data=boxes(contest, "99", "", version=2), headers=headers
    )
    assert bad.status_code == 400
    assert f"score_{contest.criteria[0].id}" in bad.json["errors"]
    assert the_sheet(contest, judge, contestant).values[contest.criteria[0].id] == Decimal("7.5")


def test_a_save_without_changes_writes_nothing(app, client, auth):
    contest = make_contest()
    judge, contestant = contest.judges[0], contest.everyone()[0]
    make_sheet(contest, judge, contestant, ["5", "10"], submitted=False)
    db.session.commit()
    auth.become(judge)
    response = client.post(url(contest, contestant), data=boxes(contest, "5", "10", version=1))
    assert response.status_code == 303
    assert the_sheet(contest, judge, contestant).version == 2
    assert db.session.scalar(sa.select(sa.func.count(SheetChange.id))) == 0
    assert (
        db.session.scalar(
            sa.select(sa.func.count(AuditEntry.id)).where(AuditEntry.action.like("sheet.%"))
        )
        == 0
    )


def test_every_change_is_in_the_audit_log_with_old_and_new(app, client, auth):
    contest = make_contest()
    judge, contestant = contest.judges[0], contest.everyone()[0]
    db.session.commit()
    auth.become(judge)
    client.post(url(contest, contestant), data=boxes(contest, "8", "", comment="表达流利"))
    client.post(
        url(contest, contestant), data=boxes(contest, "8.5", "15", version=1, comment="表达流利")
    )
    db.session.rollback()
    entries = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "sheet.save").order_by(AuditEntry.id)
    ).all()
    assert len(entries) == 2
    assert all(e.actor_id == judge.id and e.created_at is not None for e in entries)
    assert "专业知识 — → 8" in entries[0].detail
    assert "专业知识 8 → 8.5" in entries[1].detail and "实务操作 — → 15" in entries[1].detail
    kinds = [c.kind for c in db.session.scalars(sa.select(SheetChange).order_by(SheetChange.id))]
    assert kinds == ["score", "comment", "score", "score"]


def test_chief_judge_reopens_with_a_reason_and_the_judge_is_told(app, client, auth):
    contest = make_contest()
    judge, contestant = contest.judges[0], contest.everyone()[0]
    sheet = make_sheet(contest, judge, contestant, ["5", "10"])
    db.session.commit()
    reopen = f"/competitions/{contest.event.id}/sheets/{sheet.id}/reopen"

    auth.become(judge)  # a judge is no chief judge
    assert client.post(reopen, data={"reason": "x"}).status_code == 403

    auth.become(contest.organizer)
    assert client.post(reopen, data={"reason": ""}).status_code == 303
    assert the_sheet(contest, judge, contestant).submitted_at is not None  # no reason, no reopen
    response = client.post(reopen, data={"reason": "评委误填第二项"})
    assert response.status_code == 303
    sheet = the_sheet(contest, judge, contestant)
    assert sheet.submitted_at is None and sheet.version == 2
    change = db.session.scalar(sa.select(SheetChange).where(SheetChange.kind == "reopen"))
    assert change.reason == "评委误填第二项" and change.actor_id == contest.organizer.id
    note = db.session.scalar(sa.select(Notification).where(Notification.user_id == judge.id))
    assert "评委误填第二项" in note.body

    auth.become(judge)
    response = client.post(url(contest, contestant), data=boxes(contest, "5", "12", version=2))
    assert response.status_code == 303
    assert the_sheet(contest, judge, contestant).values[contest.criteria[1].id] == Decimal("12")


def test_recused_judge_cannot_open_or_save_their_own_teams_contestant(app, client, auth):
    contest = make_contest()
    judge = contest.judges[0]
    own, other = contest.everyone()[0], contest.everyone()[1]
    affiliate(judge, contest.event.teams[0])
    db.session.commit()
    auth.become(judge)
    assert client.get(url(contest, own)).status_code == 403
    assert client.post(url(contest, own), data=boxes(contest, "5", "5")).status_code == 403
    assert the_sheet(contest, judge, own) is None
    assert client.get(url(contest, other)).status_code == 200
    listing = client.get(f"/competitions/{contest.event.id}/rounds/{contest.round.id}/score")
    assert own.user.name not in listing.text and other.user.name in listing.text


def test_a_judge_declares_a_conflict_and_loses_the_sheet(app, client, auth):
    from eventsite.competitions.models import JudgeConflict

    contest = make_contest()
    judge, contestant = contest.judges[0], contest.everyone()[0]
    db.session.commit()
    auth.become(judge)
    recuse = url(contest, contestant) + "/recuse"
    assert client.post(recuse, data={"reason": ""}).status_code == 303
    assert db.session.scalar(sa.select(sa.func.count(JudgeConflict.user_id))) == 0
    assert client.post(recuse, data={"reason": "同一单位同事"}).status_code == 303
    db.session.rollback()
    conflict = db.session.get(JudgeConflict, (contestant.id, judge.id))
    assert conflict.reason == "同一单位同事"
    assert client.get(url(contest, contestant)).status_code == 403
    assert (
        db.session.scalar(
            sa.select(sa.func.count(AuditEntry.id)).where(
                AuditEntry.action == "competition.conflict"
            )
        )
        == 1
    )


def test_published_results_change_only_after_the_publication_is_withdrawn(app, client, auth, clock):
    """Once published, nothing the results are computed from changes under them: a reopening, a
    judge's late recusal, new criteria weights or another judge are refused until the organizer
    withdraws the publication; the public ranking stays as published."""
    from eventsite.competitions.models import JudgeAffiliation, JudgeConflict, Round

    contest = make_contest()
    fill_all(contest, lambda j, c: [str(10 - c), str(20 - 2 * c)])
    db.session.commit()
    judge, first = contest.judges[0], contest.everyone()[0]
    sheet = the_sheet(contest, judge, first)
    base = f"/competitions/{contest.event.id}/rounds/{contest.round.id}"
    auth.become(contest.organizer)
    assert client.post(base + "/publish").status_code == 303
    assert db.session.get(Round, contest.round.id).published_at is not None
    auth.logout()
    public_before = client.get(f"/competitions/{contest.event.id}/results").text
    auth.become(contest.organizer)

    reopen = f"/competitions/{contest.event.id}/sheets/{sheet.id}/reopen"
    refused = client.post(reopen, data={"reason": "复核"}, follow_redirects=True)
    assert "withdraw the publication" in refused.text or "撤回" in refused.text
    assert the_sheet(contest, judge, first).submitted_at is not None
    weights = {
        f"criteria-{i}-{k}": v
        for i, c in enumerate(contest.criteria)
        for k, v in (
            ("id", c.id),
            ("name", c.name),
            ("max_score", c.max_score),
            ("weight", "5"),
            ("step", c.step),
        )
    }
    assert client.post(base + "/criteria", data=weights).status_code == 409
    assert [c.weight for c in db.session.get(Round, contest.round.id).criteria] == [1, 2]
    client.post(
        f"/competitions/{contest.event.id}/judges/{judge.id}/teams",
        data={"judge_id": str(judge.id), "teams": [str(first.team_id)]},
    )
    assert db.session.get(JudgeAffiliation, (first.team_id, judge.id)) is None

    auth.become(judge)
    client.post(f"{base}/score/{first.id}/recuse", data={"reason": "迟报的亲属关系"})
    assert db.session.get(JudgeConflict, (first.id, judge.id)) is None

    auth.logout()
    assert client.get(f"/competitions/{contest.event.id}/results").text == public_before

    auth.become(contest.organizer)
    client.post(base + "/unpublish", data={"reason": "复核第二项"})
    assert client.post(reopen, data={"reason": "复核"}).status_code == 303
    assert the_sheet(contest, judge, first).submitted_at is None
