"""agent-console: a terminal console for contact-center messaging sessions."""

__version__ = "0.1.0"
