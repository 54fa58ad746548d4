"""Skills competitions: tracks, rounds, criteria, judges, score sheets, rankings, awards."""
