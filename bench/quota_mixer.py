"""The event row's lock on a mixer with gender quotas once one gender's places are gone: the
other gender keeps arriving while the first waits. In-process, on PostgreSQL.

    .venv/bin/python bench/quota_mixer.py                    # 260 women after 100 men seated
    .venv/bin/python bench/quota_mixer.py --waiting 1000     # more men on the waitlist

A mixer of 2,000 places with quotas of 100 men and 1,900 women: the men's 100 places are taken
and `--waiting` men wait; then `--arrivals` women register one after another through
`events.service.register`, each committed as the view commits it. Reported: the median time
the event row stays locked per registration (from its `FOR NO KEY UPDATE` to the moment the
COMMIT is sent, as `bench/profile_pages.py` measures it: the commit's own round trip is not
counted; wall and this process's CPU) and the statements run meanwhile, over the arrivals after
the first 60 (warm-up). Every woman must be confirmed and every man still waiting: the run fails
otherwise.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from bench.run import DEFAULT_SERVER, analyze, fresh_database  # noqa: E402

WARM_UP = 60


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_SERVER))
    parser.add_argument("--waiting", type=int, default=300, help="men on the waitlist")
    parser.add_argument("--arrivals", type=int, default=260, help="women registering")
    args = parser.parse_args(argv)
    if not WARM_UP < args.arrivals <= 1900:
        parser.error(
            f"--arrivals must be over {WARM_UP} (the warm-up) and at most 1,900 (the quota)"
        )

    with fresh_database(args.server, keep=False) as (_name, url):
        from flask_migrate import upgrade
        from werkzeug.security import generate_password_hash

        from bench.dataset import ACCEPTED_NOTICE, _event, _insert
        from eventsite import create_app
        from eventsite.accounts.models import User
        from eventsite.core.process import settle_after_loading
        from eventsite.core.time import utcnow
        from eventsite.events import service
        from eventsite.events.models import Event, EventKind, Registration, RegistrationStatus
        from eventsite.extensions import db

        S = RegistrationStatus
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SCHEDULER_IN_PROCESS": False})
        with app.test_request_context():
            upgrade()
            now = utcnow()
            hashed = generate_password_hash("bench-password-1")
            men, women = args.waiting + 100, args.arrivals
            people = _insert(
                User,
                [
                    {
                        "name": f"会员{i:05d}",
                        "mobile": f"138{i:08d}",
                        "password_hash": hashed,
                        "work_unit": "芜湖市总工会",
                        "gender": "male" if i < men else "female",
                        "birth_year": 1990 + i % 10,
                        "active": True,
                        "created_at": now,
                        **ACCEPTED_NOTICE,
                    }
                    for i in range(men + women + 1)
                ],
            )
            organizer, men_ids, women_ids = people[0], people[1 : men + 1], people[men + 1 :]
            (event_id,) = _insert(
                Event,
                [
                    _event(
                        "秋遇隅里 一叶知卿（名额）",
                        EventKind.MIXER,
                        now + timedelta(days=10),
                        now,
                        organizer,
                        capacity=2000,
                        quota_male=100,
                        quota_female=1900,
                    )
                ],
            )
            db.session.execute(
                sa.insert(Registration),
                [
                    {
                        "event_id": event_id,
                        "user_id": uid,
                        "status": str(S.CONFIRMED if n < 100 else S.WAITLISTED),
                        "gender": "male",
                        "registered_at": now - timedelta(minutes=1, seconds=-n),
                        "status_changed_at": now,
                        "waitlisted_at": None if n < 100 else now,
                        "status_reason": "",
                    }
                    for n, uid in enumerate(men_ids)
                ],
            )
            db.session.commit()
            analyze(url)
            settle_after_loading()  # as wsgi.py does once the app is loaded

            holds: list[tuple[float, float, int]] = []
            locked: dict[str, list] = {}

            def before(_conn, _cursor, statement, *_rest):
                if "FOR NO KEY UPDATE" in statement:
                    locked["at"] = [time.perf_counter(), time.process_time(), 0]
                if "at" in locked:
                    locked["at"][2] += 1

            def on_commit(_conn):
                started = locked.pop("at", None)
                if started is not None:
                    wall, cpu, statements = started
                    holds.append(
                        (time.perf_counter() - wall, time.process_time() - cpu, statements)
                    )

            sa.event.listen(db.engine, "before_cursor_execute", before)
            sa.event.listen(db.engine, "commit", on_commit)
            try:
                for uid in women_ids:
                    db.session.remove()  # a request's fresh session
                    event = db.session.get(Event, event_id)
                    service.register(event, db.session.get(User, uid), single_declared=True)
                    db.session.commit()
            finally:
                sa.event.remove(db.engine, "before_cursor_execute", before)
                sa.event.remove(db.engine, "commit", on_commit)
            counts = dict(
                db.session.execute(
                    sa.select(Registration.gender, sa.func.count())
                    .where(Registration.event_id == event_id, Registration.status == S.CONFIRMED)
                    .group_by(Registration.gender)
                ).all()
            )
            waiting = db.session.scalar(
                sa.select(sa.func.count()).where(
                    Registration.event_id == event_id, Registration.status == S.WAITLISTED
                )
            )
            db.session.remove()
            db.engine.dispose()
    expected = {"male": 100, "female": args.arrivals}
    if counts != expected or waiting != args.waiting:
        print(f"WRONG: confirmed {counts}, waiting {waiting}; expected {expected}, {args.waiting}")
        return 1
    measured = holds[WARM_UP:]
    print(
        f"quota mixer, men's places gone, {args.waiting} men waiting: {len(measured)} women "
        f"registered; event row locked {statistics.median(h[0] for h in measured) * 1000:.2f} ms "
        f"per registration (CPU {statistics.median(h[1] for h in measured) * 1000:.2f}), "
        f"{statistics.median(h[2] for h in measured):.0f} statements; every woman confirmed, "
        f"every man still waiting"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
