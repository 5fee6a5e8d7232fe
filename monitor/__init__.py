"""frontier-monitor: a self-hosted news monitoring daemon."""

__version__ = "0.1.0"
