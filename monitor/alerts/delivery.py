"""What every channel implements."""

from __future__ import annotations

from typing import Protocol

from monitor.alerts.message import AlertMessage


class DeliveryError(Exception):
    """A send failed; ``retryable`` says whether trying again later can help."""

    def __init__(self, detail: str, retryable: bool = True) -> None:
        super().__init__(detail)
        self.retryable = retryable


class Sender(Protocol):
    def send(self, message: AlertMessage) -> str:
        """Deliver the message or raise DeliveryError; return a short detail for the record."""
        ...
