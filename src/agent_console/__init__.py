"""agent-console: a terminal console for contact-center messaging sessions."""

__version__ = "0.1.0"

import logging as _logging

# A library's loggers stay silent until the CLI or the console sets up the log file
# (agent_console.logs): never Python's last-resort handler printing on stderr, under a console.
_logging.getLogger(__name__).addHandler(_logging.NullHandler())
