"""Events: Event, Registration, the registration engine, rosters, check-in, .ics."""
