"""agent_console.cli"""
