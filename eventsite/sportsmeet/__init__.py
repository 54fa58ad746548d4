"""Fun sports meets: items, entries, referees' results, points, live standings."""
