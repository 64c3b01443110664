"""agent_console.services"""
