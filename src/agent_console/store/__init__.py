"""agent_console.store"""
