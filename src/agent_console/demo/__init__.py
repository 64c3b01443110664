"""The demo: seeded data, the living world around the demo agent, and the guided tour.

Not part of the product: only the CLI (the composition root: ``demo``, ``seed``, the console
started with a living world or the tour) imports it; an import-linter contract in
``pyproject.toml`` keeps the domain, store, services, TUI and gateway from doing so.
"""
