"""Leadpilot: a chat-driven AI sales agent."""
__version__ = "0.1.0"
