"""LangGraph operator console: workflows and the run machinery (no UI here)."""
