"""After-event feedback: a short anonymous survey for checked-in attendees, and its results."""
