"""Widgets of the console: they render what they are given and post messages up."""
