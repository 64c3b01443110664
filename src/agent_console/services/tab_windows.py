"""How many tabs a console shows (``services.tabs`` and the first read share them)."""

#: The most live sessions (oldest first) and ended tabs (newest first) a console shows.
LIVE_WINDOW = 500
ENDED_TABS_WINDOW = 200
