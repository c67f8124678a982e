"""Small external LangGraph apps, one per interrupt convention the console understands.

None of them imports ``core``: they are what an application team already has.
Register them with ``LGOPS_WORKFLOWS`` or a ``workflows.toml`` (see README.md).
"""
