"""agent_console.tui"""
