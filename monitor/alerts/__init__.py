"""Alerts: the outbox, message rendering and the channels that deliver them."""
