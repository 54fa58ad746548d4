"""The outbox hold: outgoing mail and SMS held after a restore until an operator releases them."""
