"""What every feature shares: column types, time helpers, audit log, notifications, exports."""
