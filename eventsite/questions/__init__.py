"""Questions an organizer asks per event: at registration (answers kept with the registration)
and after the event (the feedback survey)."""
