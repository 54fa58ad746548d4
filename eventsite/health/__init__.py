"""Health that monitoring reads: the scheduler's heartbeat, the named checks of `/status` and
`flask scheduler status` (see docs/operations.md, "Monitoring")."""
