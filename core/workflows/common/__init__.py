"""What several built-in workflows share, so that no workflow imports another.

``datasets`` and ``work`` (the real table work a branch or an agent does),
``measures`` (its quality and speed figures), ``agents`` (capability templates,
scoring, the resource pool) and ``agent_outcomes`` (their success rates learned
in PostgreSQL), ``reducers`` (state reducers), ``routed`` (a routing engine
decision made in a node and reported). Not a workflow: the registry
never lists it.
"""
