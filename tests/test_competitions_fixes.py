"""New-user test findings on competitions: numbers in exports, display rounding, missing sheets
on the explanation, a publish that names flagged criteria, messages beside the score boxes."""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal

import sqlalchemy as sa
from openpyxl import load_workbook

from eventsite.competitions.models import AwardTier, ScoreSheet
from eventsite.extensions import db
from tests.competition_factories import fill_all, make_contest, make_sheet


def base(contest):
    return f"/competitions/{contest.event.id}/rounds/{contest.round.id}"


def thirds(j, c):
    """Judges give 9, 9.5, 9.5 (mean 9.333…) on the first criterion, 20 - 2c on the second."""
    return [["9", "9.5", "9.5"][j], str(20 - 2 * c)]


def test_exports_write_scores_as_numbers_with_two_decimals(app, client, auth):
    contest = make_contest()
    fill_all(contest, thirds)
    db.session.add(AwardTier(round_id=contest.round.id, name="一等奖", size=Decimal(1)))
    db.session.commit()
    auth.become(contest.organizer)
    book = load_workbook(io.BytesIO(client.get(base(contest) + "/results.xlsx").data))
    ranking = book.worksheets[0]
    header = [c.value for c in ranking[1]]
    first = [c for c in ranking[2]]
    criterion = first[header.index("专业知识")]
    assert isinstance(criterion.value, float) and criterion.number_format == "0.00"
    assert round(criterion.value, 2) == 9.33
    total = first[-4]
    assert isinstance(total.value, float) and total.number_format == "0.00"
    exact = first[-3]
    assert isinstance(exact.value, float) and abs(exact.value - (28 / 3 + 40)) < 1e-9
    sheets = book.worksheets[1]
    assert all(isinstance(row[3].value, (int, float)) for row in sheets.iter_rows(min_row=2))

    awards = load_workbook(io.BytesIO(client.get(base(contest) + "/awards.xlsx").data))
    award_total = awards.worksheets[0].cell(2, 7)
    assert isinstance(award_total.value, float) and award_total.number_format == "0.00"


def test_a_provisional_export_says_so_and_names_the_missing_sheets(app, client, auth):
    contest = make_contest()
    people = contest.everyone()
    for judge in contest.judges[:2]:
        for c, registration in enumerate(people):
            make_sheet(contest, judge, registration, thirds(0, c))
    db.session.commit()
    auth.become(contest.organizer)
    book = load_workbook(io.BytesIO(client.get(base(contest) + "/results.xlsx").data))
    note = book.worksheets[0].cell(1, 1).value
    assert "3" in note and "评委3" in note and people[0].user.name in note
    assert book.worksheets[0].cell(3, 1).value == 1  # header on row 2, ranking from row 3
    assert book.worksheets[2].max_row == 1 + 3  # the missing-sheets list


def test_totals_read_by_people_have_two_decimals_and_four_on_the_explanation(app, client, auth):
    contest = make_contest()
    fill_all(contest, thirds)
    db.session.commit()
    auth.become(contest.organizer)
    ranking = client.get(base(contest) + "/ranking").text
    assert "49.33" in ranking and "49.333" not in ranking
    person = contest.everyone()[0]
    page = client.get(f"{base(contest)}/contestants/{person.id}").text
    # 28/3 + 2 × 20 = 49.3333…: shown 49.33, and 49.3333 to four decimals, never 34 digits.
    assert "49.33" in page and "49.3333" in page and "49.33333" not in page
    assert "9.33" in page and "9.333" not in page.replace("49.3333", "")


def test_the_explanation_names_missing_sheets_and_calls_the_total_provisional(app, client, auth):
    contest = make_contest()
    people = contest.everyone()
    for c, registration in enumerate(people):
        make_sheet(contest, contest.judges[0], registration, thirds(0, c))
    make_sheet(contest, contest.judges[1], people[0], thirds(1, 0), submitted=False)
    db.session.commit()
    auth.become(contest.organizer)
    page = client.get(f"{base(contest)}/contestants/{people[0].id}").text
    assert 'data-state="provisional"' in page
    warning = page[page.index('data-state="provisional"') :].split("</div>")[0]
    assert "评委2" in warning and "评委3" in warning and "评委1" not in warning

    for judge in contest.judges[1:]:
        make_sheet(contest, judge, people[1], thirds(1, 1))
    db.session.commit()
    assert (
        'data-state="provisional"'
        not in client.get(f"{base(contest)}/contestants/{people[1].id}").text
    )


def test_publishing_with_flagged_criteria_needs_the_tick(app, client, auth):
    contest = make_contest()
    contest.criteria[0].tolerance = Decimal("0.5")
    # The first contestant's judges give 5, 7, 9 on the first criterion: spread 4 > 0.5.
    fill_all(contest, lambda j, c: [str(5 + 2 * j) if c == 0 else "8", "10"])
    db.session.commit()
    auth.become(contest.organizer)
    page = client.get(base(contest) + "/ranking").text
    assert 'data-flagged="1"' in page and 'name="flags_checked"' in page

    refused = client.post(base(contest) + "/publish")
    assert refused.status_code == 400
    assert "has-error" in refused.text and 'aria-invalid="true"' in refused.text
    db.session.rollback()
    assert db.session.get(type(contest.round), contest.round.id).published_at is None

    assert client.post(base(contest) + "/publish", data={"flags_checked": "y"}).status_code == 303
    db.session.rollback()
    assert db.session.get(type(contest.round), contest.round.id).published_at is not None


def test_no_publish_button_while_sheets_are_missing(app, client, auth):
    contest = make_contest()
    make_sheet(contest, contest.judges[0], contest.everyone()[0], ["8", "10"])
    db.session.commit()
    auth.become(contest.organizer)
    page = client.get(base(contest) + "/ranking").text
    assert 'data-state="blocked"' in page
    assert f"{base(contest)}/publish" not in page


def test_a_negative_score_is_told_at_least_0_beside_its_box(app, client, auth):
    contest = make_contest()
    judge, contestant = contest.judges[0], contest.everyone()[0]
    db.session.commit()
    auth.become(judge)
    url = f"{base(contest)}/score/{contestant.id}"
    first = contest.criteria[0].id
    for typed in ("-1", "−1", "－1"):
        data = {"version": "0", "action": "save", "comment": "", f"score_{first}": typed}
        response = client.post(url, data=data)
        assert response.status_code == 400
        beside = response.text.split(f'id="score_{first}-errors"')[1].split("</ul>")[0]
        assert "不能低于 0" in beside and "请填写数字" not in beside, typed


def test_public_results_show_the_overall_ranking_when_awards_are_overall(app, client, auth, clock):
    contest = make_contest(tracks=("商务英语", "商务日语"))
    # Japanese contestants score higher: the overall first place is in the second track.
    fill_all(contest, lambda j, c: ["8", "20"] if c == 3 else ["5", "10"])
    db.session.add(AwardTier(round_id=contest.round.id, name="一等奖", size=Decimal(1)))
    contest.round.award_scope = "overall"
    contest.round.published_at = clock.now - timedelta(hours=1)
    db.session.commit()
    winner = contest.everyone()[3]
    english = contest.contestants["商务英语"]
    page = client.get(f"/competitions/{contest.event.id}/results").text
    table = page.split('class="comp-ranking"')[1]
    assert "总排名" in page  # the overall tab
    assert winner.user.name in table and all(r.user.name in table for r in english)
    assert "商务日语" in table and "一等奖" in table  # the track column and the award

    track = contest.event.tracks[0].id
    per_track = client.get(f"/competitions/{contest.event.id}/results?track={track}").text
    assert winner.user.name not in per_track.split('class="comp-ranking"')[1]

    contest.round.award_scope = "track"
    db.session.commit()
    page = client.get(f"/competitions/{contest.event.id}/results").text
    assert winner.user.name not in page.split('class="comp-ranking"')[1]


def test_the_objection_forms_contestant_label_is_not_another_pages_about(app, client, auth, clock):
    contest = make_contest()
    fill_all(contest, thirds)
    contest.round.published_at = clock.now - timedelta(hours=1)
    db.session.commit()
    person = contest.everyone()[0]
    auth.become(person.user)
    page = client.get(f"{base(contest)}/object")
    assert page.status_code == 200
    label = page.text.split('for="registration_id"')[1].split("</label>")[0]
    assert "活动介绍" not in label
    assert "Objection concerns" in label or "异议涉及选手" in label


def test_a_submit_with_a_bad_value_never_locks_and_shows_the_messages(app, client, auth):
    contest = make_contest()
    judge, contestant = contest.judges[0], contest.everyone()[0]
    db.session.commit()
    auth.become(judge)
    url = f"{base(contest)}/score/{contestant.id}"
    first, second = (c.id for c in contest.criteria)
    data = {"version": "0", "action": "submit", "comment": ""}
    response = client.post(url, data={**data, f"score_{first}": "-1", f"score_{second}": "12"})
    assert response.status_code == 400
    assert "不能低于 0" in response.text.split(f'id="score_{first}-errors"')[1].split("</ul>")[0]
    assert db.session.scalar(sa.select(sa.func.count(ScoreSheet.id))) == 0
    # The page offers the client-side check's messages, so the lock question waits for valid boxes.
    page = client.get(url).text
    assert 'data-msg-negative="分数不能低于 0。"' in page and "data-msg-step=" in page


def test_a_typographic_minus_in_setup_numbers_reaches_the_range_check():
    from eventsite.competitions.forms import _decimal

    # "−1" (U+2212) and "－1" (full width) are read as -1, so the range message is shown, not
    # "enter a number".
    assert _decimal("−1") == _decimal("－1") == Decimal(-1)
