"""The HTTP capture API (`leadpilot serve`): signed lead webhooks in, processing status out."""
