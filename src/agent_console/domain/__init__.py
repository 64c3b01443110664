"""agent_console.domain"""
