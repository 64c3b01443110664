"""How much a console shows: tabs and last lines (the services and the first read share
these)."""

#: The most live sessions (oldest first) and ended tabs (newest first) a console shows.
LIVE_WINDOW = 500
ENDED_TABS_WINDOW = 200
#: Characters of the newest customer message a needs read loads (a list entry shows less).
LAST_LINE_CHARS = 200
