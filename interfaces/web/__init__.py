"""The web chat: a Chainlit app (app.py) over the one agent, rendered by pure helpers (render.py)."""
