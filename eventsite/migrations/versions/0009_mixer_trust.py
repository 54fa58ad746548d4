"""mutual matches are derived from the marks: drop the rows that only repeated two marks

A tap now writes only the member's own mark (so its work says nothing about the other side),
and a mutual match is derived from the two marks when read. A row stays for a mutual match only
when one side hid it or the retention purge deleted its marks; the rows the old taps wrote for
pairs whose marks are still there are deleted here (they would outlive a mark taken back).
Downgrading writes them again, as the old taps kept them. No schema change.

Revision ID: 0009_mixer_trust
Revises: 0008_signed_in_devices
"""

from alembic import op

revision = "0009_mixer_trust"
down_revision = "0008_signed_in_devices"
branch_labels = None
depends_on = None

BOTH_MARKS = """
    EXISTS (SELECT 1 FROM mixer_mark AS a
            WHERE a.event_id = mixer_match.event_id
              AND a.marker_id = mixer_match.user_low_id
              AND a.marked_id = mixer_match.user_high_id)
    AND EXISTS (SELECT 1 FROM mixer_mark AS b
                WHERE b.event_id = mixer_match.event_id
                  AND b.marker_id = mixer_match.user_high_id
                  AND b.marked_id = mixer_match.user_low_id)
"""


def upgrade():
    op.execute(
        "DELETE FROM mixer_match WHERE source = 'mutual' AND hidden_at IS NULL AND" + BOTH_MARKS
    )


def downgrade():
    op.execute(
        """
        INSERT INTO mixer_match (event_id, user_low_id, user_high_id, source, matched_at)
        SELECT a.event_id, a.marker_id, a.marked_id, 'mutual',
               CASE WHEN a.created_at > b.created_at THEN a.created_at ELSE b.created_at END
        FROM mixer_mark AS a
        JOIN mixer_mark AS b
          ON b.event_id = a.event_id AND b.marker_id = a.marked_id AND b.marked_id = a.marker_id
        WHERE a.marker_id < a.marked_id
          AND NOT EXISTS (SELECT 1 FROM mixer_match AS m
                          WHERE m.event_id = a.event_id
                            AND m.user_low_id = a.marker_id
                            AND m.user_high_id = a.marked_id)
        """
    )
