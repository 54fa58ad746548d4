"""The refusal every feature raises when a person's action cannot be done."""

from __future__ import annotations


class Refused(Exception):
    """An action was refused: `message` is for the person, `field` the form field it belongs
    beside (None: the form as a whole). Each feature subclasses it (`RegistrationError`,
    `MixerError`, `CompetitionError`, `MeetError`, `AccountError`), so a view catches its own
    feature's refusals and the services of another feature's answer stay apart."""

    def __init__(self, message, field: str | None = None):
        super().__init__(str(message))
        self.message = message
        self.field = field
