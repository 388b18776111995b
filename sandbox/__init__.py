"""comms-sandbox: a local, stateful sandbox of messaging APIs built around suppression."""

__version__ = "0.1.0"
