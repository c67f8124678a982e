"""The dashboard's only door into ``core``: cached readers and operator actions.

Pages import this module and never ``core`` directly, so every database read
goes through one place with a deliberate cache lifetime, and every action
clears the caches it makes stale. Everything here returns plain values or
core's frozen dataclasses; core errors (:class:`~core.errors.LgopsError`)
pass through untouched so pages can show ``str(exc)`` as one line.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

import streamlit as st

from core import auth, checkpoints, db, health, interrupts, messages, registry, retention, routing, runs
from core.config import load_settings
from core.errors import BadInput, Conflict, DatabaseUnavailable, Forbidden, LgopsError, NotFound
from core.jsonable import parse_json, to_jsonable
from core.outcomes import OUTCOMES
from core.redact import redact
from core.runs import STATUSES, RunStatus
from dashboard import process

__all__ = [
    "OUTCOMES",
    "STATUSES",
    "BadInput",
    "Conflict",
    "DatabaseUnavailable",
    "Forbidden",
    "LgopsError",
    "NotFound",
    "RunStatus",
    "parse_json",
]

DEFAULT_ACTOR = "local:operator"
ANONYMOUS = "anonymous"
PRIORITIES = ("LOW", "MEDIUM", "HIGH", "CRITICAL")


# ------------------------------------------------------------------ process setup


def ensure_database() -> None:
    """Open (and migrate) the pool; raises DatabaseUnavailable with one readable line."""
    try:
        db.get_pool()
        db.ping()  # a server that went away since: one line now, not a broken page
    except LgopsError:
        raise
    except Exception as exc:  # noqa: BLE001 - any driver failure becomes one line for the operator
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise DatabaseUnavailable(redact(f"cannot open the database: {first}")) from None


def unavailable_line(exc: BaseException) -> str | None:
    """One line when ``exc`` means the database went away mid-page (None for any other error)."""
    if isinstance(exc, DatabaseUnavailable):
        return str(exc)
    if db.is_unavailable(exc):
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        return redact(f"lost the connection to PostgreSQL: {first}")
    return None


def start_embedded_worker() -> bool:
    """The embedded worker of this process (started once; see dashboard.process)."""
    return process.start_embedded_worker()


def is_embedded() -> bool:
    """True when no DATABASE_URL is configured (embedded PostgreSQL + worker thread)."""
    return load_settings().embedded


def auth_configured() -> bool:
    """True when sign-in (st.login) is configured in secrets."""
    return process.auth_configured()


def logged_in() -> bool:
    """True when a visitor is signed in."""
    try:
        return bool(st.user.is_logged_in)
    except Exception:  # noqa: BLE001 - auth not configured
        return False


def actor() -> str:
    """Who is acting: the signed-in user, else (sign-in not configured) ``local:operator``.

    Never taken from the environment or secrets, which whoever starts the app
    may set. When sign-in is configured but nobody is signed in, the visitor is
    ``anonymous`` (a viewer for core's role check), never the local operator,
    so an exposed console does not grant admin.
    """
    try:
        if st.user.is_logged_in:
            return signed_in_identity(st.user.to_dict())
    except Exception:  # noqa: BLE001 - auth not configured at all
        pass
    return ANONYMOUS if auth_configured() else DEFAULT_ACTOR


def sign_in_required() -> bool:
    """True when sign-in is configured and this visitor has not signed in (the sign-in screen)."""
    return auth_configured() and not logged_in()


def signed_in_identity(claims: Mapping[str, Any]) -> str:
    """The identity of a signed-in user: ``oidc:<email>``, else ``oidc:<issuer>|<sub>``.

    Only claims the identity provider vouches for: never ``name`` or another
    value the user chose. A token with neither email nor subject is anonymous.
    """
    email = str(claims.get("email") or "").strip()
    if email:
        return f"oidc:{email}"
    sub = str(claims.get("sub") or "").strip()
    if sub:
        return f"oidc:{str(claims.get('iss') or '').strip()}|{sub}"
    return ANONYMOUS


# ------------------------------------------------------------------ who may do what


ROLES = tuple(r.name.lower() for r in auth.Role)


def read_only() -> bool:
    """True when the console refuses every mutation (LGOPS_READ_ONLY / secrets ``read_only``)."""
    return auth.read_only()


@st.cache_data(ttl=5, show_spinner=False)
def _role_name(identity: str) -> str:
    return auth.role_of(identity).name.lower()


def role() -> str:
    """The acting identity's role name (viewer, operator, approver, admin)."""
    return _role_name(actor())


def why_not(action: str) -> str | None:
    """Why the acting identity may not ``action`` now (None when it may).

    Only for greying out buttons: core checks again on every action, so a
    stale answer here can at worst show a Forbidden line.
    """
    if read_only():
        return f"The console is in read-only mode; {action.replace('_', ' ')} is disabled."
    needed = auth.ACTION_ROLES[action]
    has = auth.Role.parse(role())
    if has < needed:
        return f"You are {has.name.lower()}; {action.replace('_', ' ')} needs {needed.name.lower()}."
    return None


def list_roles() -> list[dict[str, Any]]:
    """Granted roles (identity, role, when, by whom)."""
    return auth.list_roles()


def set_role(identity: str, role_name: str) -> str:
    """Grant a role (admins only; audited as ``role_change``); returns the role granted."""
    try:
        return auth.set_role(identity, role_name, actor=actor()).name.lower()
    finally:
        clear_caches()


def prune(older_than_days: float, *, dry_run: bool) -> retention.PruneReport:
    """Thin out old finished runs' checkpoints (a dry run writes nothing and anyone may ask)."""
    try:
        return retention.prune(older_than_days, dry_run, actor())
    finally:
        if not dry_run:
            clear_caches()


# ------------------------------------------------------------------ health


@st.cache_data(ttl=3, show_spinner=False)
def queue_health() -> health.QueueHealth:
    """Live workers, waiting and running jobs, stalled runs."""
    return health.queue_health()


def clear_caches() -> None:
    """Forget cached reads after an action (the next render sees the change)."""
    st.cache_data.clear()


# ------------------------------------------------------------------ workflows


def workflows() -> list[registry.WorkflowSpec]:
    """Every launchable workflow."""
    return registry.all_workflows()


def broken_workflows() -> list[registry.BrokenEntry]:
    """Configured workflows that failed to import (listed, never launched)."""
    return registry.broken_workflows()


def workflow(workflow_id: str) -> registry.WorkflowSpec:
    """One workflow by id (NotFound otherwise)."""
    return registry.get_workflow(workflow_id)


def workflow_or_none(workflow_id: str) -> registry.WorkflowSpec | None:
    """The workflow, or None for a run whose workflow is no longer registered (its run view still opens)."""
    try:
        return registry.get_workflow(workflow_id)
    except NotFound:
        return None


def value_at(values: Any, path: tuple[str, ...]) -> Any:
    """The value the keys of ``path`` lead to in a state, or None where one is missing."""
    for key in path:
        if not isinstance(values, Mapping):
            return None
        values = values.get(key)
    return values


@st.cache_data(ttl=3600, show_spinner=False)
def graph_shape(workflow_id: str) -> dict[str, Any]:
    """Nodes and edges of the compiled graph: ``{"nodes": [...], "edges": [(a, b, conditional)]}``."""
    graph = (
        registry.get_workflow(workflow_id).build_graph().compile().get_graph()
    )  # no checkpointer: shape only
    nodes = [str(n) for n in graph.nodes]
    edges = [(str(e.source), str(e.target), bool(e.conditional)) for e in graph.edges]
    return {"nodes": nodes, "edges": edges}


def sample_input(workflow_id: str, sample: str | None) -> dict[str, Any]:
    """A sample launch input (the default one when ``sample`` is None)."""
    return registry.get_workflow(workflow_id).load_sample(sample)


def validate_input(workflow_id: str, raw: Any) -> dict[str, Any]:
    """The validated graph input, or BadInput with one line naming the field."""
    return registry.get_workflow(workflow_id).validate_input(raw)


def validate_context(workflow_id: str, raw: Any) -> dict[str, Any] | None:
    """The validated run context (against the graph's context_schema), or BadInput in one line."""
    return registry.get_workflow(workflow_id).validate_context(raw)


def jsonable(value: Any) -> Any:
    """The JSON form core stores and prints (messages as LangChain dicts, models as JSON)."""
    return to_jsonable(value)


def transcript(values: Any) -> dict[str, list[messages.Line]]:
    """The state's message lists as chat transcripts (role, text, tool calls, tool results), by key."""
    return messages.transcript(values)


# ------------------------------------------------------------------ actions


def launch(
    workflow_id: str,
    raw: dict[str, Any] | None,
    *,
    sample: str | None,
    priority: str | None,
    context: dict[str, Any] | None = None,
    config: dict[str, Any] | None = None,
) -> runs.Run:
    """Launch a run as the current operator (with a run context and configurable values)."""
    run = runs.launch(
        workflow_id, raw, actor=actor(), sample=sample, priority=priority, context=context, config=config
    )
    clear_caches()
    return run


def decide(
    run_id: str, action: str, *, interrupt_id: str, payload: Any = None, comment: str | None = None
) -> runs.PendingInterrupt:
    """Decide one interrupt; Conflict when someone else decided first."""
    try:
        return runs.decide(
            run_id, action, actor=actor(), payload=payload, comment=comment or None, interrupt_id=interrupt_id
        )
    finally:
        clear_caches()


def decision_callback(
    run_id: str, interrupt_id: str, node: str | None, *, flash_key: str, where: str = ""
) -> Callable[[str, Any, str | None], None]:
    """A form callback deciding one interrupt; leaves a one-line outcome in ``flash_key``.

    Deciding in a callback means the click counts even when the item is gone
    by the next render (someone else decided it, or the run moved on).
    """

    def on_decide(action: str, payload: Any, comment: str | None) -> None:
        try:
            decide(run_id, action, interrupt_id=interrupt_id, payload=payload, comment=comment)
            st.session_state[flash_key] = ("ok", f"{action} recorded{where} at {node or '?'}.")
        except Conflict as exc:
            st.session_state[flash_key] = ("err", f"Someone else decided this first: {exc}")
        except LgopsError as exc:
            st.session_state[flash_key] = ("err", str(exc))

    return on_decide


def message_key(workflow_id: str) -> str | None:
    """The state key a chat message box writes to (the graph's first message key), if any."""
    try:
        keys = registry.get_workflow(workflow_id).message_keys
    except LgopsError:
        return None
    return keys[0] if keys else None


def send_message(run_id: str, workflow_id: str, text: str) -> runs.Run:
    """The operator's next chat message to a finished thread: the run goes again (``runs.send``)."""
    key = message_key(workflow_id)
    if key is None:
        raise BadInput(f"workflow {workflow_id!r} has no messages to send to")
    if not text.strip():
        raise BadInput("the message is empty")
    try:
        return runs.send(run_id, {key: [{"role": "user", "content": text}]}, actor=actor())
    finally:
        clear_caches()


def cancel(run_id: str, reason: str | None) -> runs.Run:
    """Cancel a run that has not finished."""
    try:
        return runs.cancel(run_id, actor=actor(), reason=reason or None)
    finally:
        clear_caches()


def attach(thread_id: str, workflow_id: str, reason: str | None) -> runs.Run:
    """Make an application's thread a run of a registered workflow."""
    try:
        return runs.attach(thread_id, workflow_id, actor=actor(), reason=reason or None)
    finally:
        clear_caches()


def detach(run_id: str, reason: str | None) -> str:
    """Forget an attached run (the thread stays); returns the thread id."""
    try:
        return runs.detach(run_id, actor=actor(), reason=reason or None)
    finally:
        clear_caches()


def rollback(run_id: str, checkpoint_id: str, reason: str | None, edit: dict[str, Any] | None = None) -> str:
    """Fork the run from an earlier checkpoint (with the operator's state edit); returns the fork id."""
    try:
        return runs.rollback(run_id, checkpoint_id, actor=actor(), reason=reason or None, edit=edit)
    finally:
        clear_caches()


def parse_edit(text: str, values: Mapping[str, Any]) -> dict[str, Any] | None:
    """The keys the operator changed in the JSON editor (None: nothing changed), or BadInput in one line.

    Only changed keys are sent, so the audit diff names what the operator
    actually edited; a key removed in the editor is left as it was.
    """
    try:
        edited = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadInput(
            f"the state edit is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    except RecursionError:
        raise BadInput("the state edit is nested too deeply") from None
    if not isinstance(edited, dict):
        raise BadInput("the state edit must be a JSON object of channel → new value")
    old = to_jsonable(dict(values))
    changed = {k: v for k, v in edited.items() if k not in old or old[k] != v}
    return changed or None


def rollback_edits(run_id: str) -> dict[str, dict[str, Any]]:
    """Fork checkpoint id → the state edit its rollback wrote (old → new per key), from the audit log."""
    return {
        e.details["fork_checkpoint_id"]: e.details["edit"]
        for e in runs.audit_log(run_id=run_id, action="rollback", limit=1000)
        if e.details.get("edit") and e.details.get("fork_checkpoint_id")
    }


# ------------------------------------------------------------------ reads (cached briefly)


@st.cache_data(ttl=3, show_spinner=False)
def list_runs(
    *,
    status: tuple[str, ...] = (),
    workflow_id: str | None = None,
    search: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    outcome: tuple[str, ...] = (),
    sort: str = "created_at",
    descending: bool = True,
    limit: int = 25,
    offset: int = 0,
) -> tuple[list[runs.Run], int]:
    """One page of runs and the total matching the filters (server-side)."""
    filters: dict[str, Any] = {
        "status": list(status) or None,
        "outcome": list(outcome) or None,
        "workflow_id": workflow_id or None,
        "search": search or None,
        "since": since,
        "until": until,
    }
    page = runs.list_runs(**filters, sort=sort, descending=descending, limit=limit, offset=offset)
    return page, runs.count_runs(**filters)


@st.cache_data(ttl=3, show_spinner=False)
def counts_by_status() -> dict[str, int]:
    """Number of runs per status."""
    return runs.counts_by_status()


def get_run(run_id: str) -> runs.Run:
    """One run (uncached: the live view polls it)."""
    return runs.get_run(run_id)


def events(run_id: str, after_id: int = 0) -> list[dict[str, Any]]:
    """A run's events as plain dicts (uncached: the live view polls them)."""
    return [e.as_dict() for e in runs.events(run_id, after_id=after_id)]


@st.cache_data(ttl=3, show_spinner=False)
def store_items(run_id: str) -> list[runs.StoreItem]:
    """The store items a run wrote (read-only), by namespace and key."""
    return runs.store_items(run_id)


def pending_interrupts(run_id: str) -> list[runs.PendingInterrupt]:
    """Interrupts of this run waiting for an operator."""
    return runs.interrupts(run_id, pending_only=True)


INBOX_VIEWS = runs.INBOX_VIEWS


def inbox(
    workflow_id: str | None = None, limit: int = 100, view: str = "waiting", offset: int = 0
) -> tuple[list[runs.PendingInterrupt], int]:
    """One page of an inbox view and how many the view holds.

    Uncached: the inbox polls it, and both are indexed reads (a few ms at 500 waiting).
    """
    items = runs.inbox(workflow_id=workflow_id, limit=limit, offset=offset, view=view)
    if offset == 0 and len(items) < limit:
        return items, len(items)
    return items, runs.count_inbox(workflow_id=workflow_id, view=view)


@st.cache_data(ttl=5, show_spinner=False)
def routing_decisions(run_id: str) -> list[dict[str, Any]]:
    """Routing decisions made inside a run."""
    return runs.routing_decisions(run_id)


@st.cache_data(ttl=3, show_spinner=False)
def audit_log(
    *,
    run_id: str | None = None,
    actor_name: str | None = None,
    action: str | None = None,
    limit: int = 200,
    offset: int = 0,
) -> list[runs.AuditEntry]:
    """Audit entries, newest first."""
    return runs.audit_log(
        run_id=run_id or None, actor=actor_name or None, action=action or None, limit=limit, offset=offset
    )


def current_state(run_id: str) -> checkpoints.RunState:
    """The run's latest values (uncached: the live view polls it)."""
    return checkpoints.current_state(run_id)


@st.cache_data(ttl=5, show_spinner=False)
def history(run_id: str, limit: int = 50, before: str | None = None) -> list[checkpoints.CheckpointInfo]:
    """One page of the run's checkpoints, newest first."""
    return checkpoints.history(run_id, limit=limit, before=before)


@st.cache_data(ttl=60, show_spinner=False)
def state_at(run_id: str, checkpoint_id: str) -> dict[str, Any]:
    """Values at one checkpoint (immutable, so cached longer)."""
    return checkpoints.state_at(run_id, checkpoint_id)


# ------------------------------------------------------------------ threads an application wrote


@st.cache_data(ttl=5, show_spinner=False)
def list_threads(limit: int = 25, offset: int = 0) -> tuple[list[checkpoints.ThreadInfo], int]:
    """One page of threads that are not console runs, newest first, and how many there are."""
    return checkpoints.list_threads(limit=limit, offset=offset), checkpoints.count_threads()


@st.cache_data(ttl=5, show_spinner=False)
def thread_state(thread_id: str) -> checkpoints.ThreadState:
    """A thread's values, next nodes and pending interrupts, read without its graph."""
    return checkpoints.thread_state(thread_id)


@st.cache_data(ttl=5, show_spinner=False)
def thread_history(thread_id: str, limit: int = 50) -> list[checkpoints.CheckpointInfo]:
    """A thread's checkpoints, newest first."""
    return checkpoints.thread_history(thread_id, limit=limit)


# ------------------------------------------------------------------ interrupts


CONVENTIONS = {
    interrupts.AGENT_INBOX: "Agent Inbox request",
    interrupts.HITL: "tool-call review (HITL middleware)",
    interrupts.TOOL_APPROVAL: "tool-call review (HITL middleware, per call)",
    interrupts.PLAIN: "plain interrupt",
}


def allowed_actions(payload: Any) -> list[str]:
    """The operator actions an interrupt payload allows."""
    return interrupts.allowed_actions(payload)


def interrupt_summary(payload: Any) -> dict[str, Any]:
    """Convention, title, description, args and actions of an interrupt payload.

    For a tool-call review (``hitl``) also ``requests``: each requested call
    with the decisions it allows, and ``edit_template``: the ``{"decisions":
    [...]}`` body an edit sends (edit where allowed, approve elsewhere), since
    core applies one decision per request.
    """
    summary = dict(interrupts.describe(payload))
    if summary["convention"] == interrupts.HITL:
        configs = [c for c in payload.get("review_configs") or [] if isinstance(c, dict)]
        by_name = {c.get("action_name"): c for c in configs}
        requests = []
        for i, r in enumerate(payload["action_requests"]):
            r = r if isinstance(r, dict) else {}
            config = by_name.get(r.get("name")) or (configs[i] if i < len(configs) else {})
            requests.append(
                {
                    "name": r.get("name"),
                    "description": r.get("description"),
                    "args": r.get("args"),
                    "allowed": list(config.get("allowed_decisions") or []),
                }
            )
        summary["requests"] = requests
        summary["edit_template"] = {
            "decisions": [
                {"type": "edit", "edited_action": {"name": r["name"], "args": r["args"] or {}}}
                if "edit" in r["allowed"]
                else {"type": "approve"}
                for r in requests
            ]
        }
        if not summary.get("description"):
            summary["description"] = f"{len(requests)} tool call(s) to review"
    elif summary["convention"] == interrupts.PLAIN and isinstance(payload, dict):
        question = payload.get("question") or payload.get("description") or payload.get("message")
        if isinstance(question, str):
            summary["description"] = question
    summary["convention_label"] = CONVENTIONS.get(summary["convention"], summary["convention"])
    return summary


# ------------------------------------------------------------------ workflow-specific pure helpers


def sync_progress(workflow_id: str, event_rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Live sync-point progress rebuilt from events by the workflow's declared function.

    Workflows that declare none fall back to the latest ``sync_point`` event per name.
    """
    spec = workflow_or_none(workflow_id)
    rebuild = spec.sync_progress if spec is not None else None
    if rebuild is not None:
        return rebuild(event_rows)
    latest: dict[str, dict[str, Any]] = {}
    for event in event_rows:
        data = event.get("data") or {}
        if event.get("kind") == "sync_point" and data.get("name"):
            latest[data["name"]] = {**data, "updated_at": event.get("at")}
    return list(latest.values())


# ------------------------------------------------------------------ routing engine (pure)


DECISIONS = tuple(d.value for d in routing.DECISIONS)


def default_routing_context() -> dict[str, Any]:
    """A plausible starting context for a free what-if."""
    return routing.RoutingContext(
        data_quality_score=0.85,
        processing_performance_score=0.75,
        error_rate=0.1,
        cluster_utilization=0.5,
        business_priority="standard",
        processing_deadline=None,
        cost_constraints={"max_cost": 100.0},
    ).to_dict()


def is_engine_decision(decision: dict[str, Any]) -> bool:
    """True when a stored decision came from core.routing (six scored decisions)."""
    explanation = decision.get("explanation")
    context = decision.get("context")
    return (
        isinstance(explanation, dict)
        and isinstance(explanation.get("raw_scores"), dict)
        and isinstance(context, dict)
        and "data_quality_score" in context
    )


def in_decision_order(explanation: dict[str, Any]) -> dict[str, Any]:
    """Score dicts in the engine's declaration order (JSONB storage reorders keys)."""

    def ordered(scores: Any) -> Any:
        if not isinstance(scores, dict):
            return scores
        return {d: scores[d] for d in (*DECISIONS, *scores) if d in scores}

    return {
        **explanation,
        "raw_scores": ordered(explanation.get("raw_scores")),
        "constrained_scores": ordered(explanation.get("constrained_scores")),
    }


def routing_config(run_input: dict[str, Any] | None) -> routing.RoutingConfig:
    """The routing configuration a run used (its ``routing`` overrides), else the defaults."""
    overrides = (run_input or {}).get("routing") if isinstance(run_input, dict) else None
    try:
        return routing.load_config(overrides if isinstance(overrides, dict) else None)
    except Exception:  # noqa: BLE001 - a bad override file must not break the inspector
        return routing.DEFAULT


def explain(context: dict[str, Any], config: routing.RoutingConfig | None = None) -> dict[str, Any]:
    """Run the routing engine on a context dict; returns the explanation as a dict."""
    ctx = routing.RoutingContext.from_dict(context)
    return routing.explain(ctx, config or routing.DEFAULT).to_dict()


# ------------------------------------------------------------------ pure helpers for pages


def diff_states(old: Any, new: Any, *, path: str = "", depth: int = 3) -> list[dict[str, Any]]:
    """Added / removed / changed keys between two states, nested dicts flattened to dotted paths.

    Lists and values deeper than ``depth`` compare as a whole, so a diff stays
    readable instead of listing every element.
    """
    out: list[dict[str, Any]] = []
    if isinstance(old, dict) and isinstance(new, dict) and depth > 0:
        for key in sorted(set(old) | set(new), key=str):
            where = f"{path}.{key}" if path else str(key)
            if key not in old:
                out.append({"change": "added", "key": where, "before": None, "after": new[key]})
            elif key not in new:
                out.append({"change": "removed", "key": where, "before": old[key], "after": None})
            elif old[key] != new[key]:
                out.extend(diff_states(old[key], new[key], path=where, depth=depth - 1))
        return out
    if old != new:
        out.append({"change": "changed", "key": path or "(state)", "before": old, "after": new})
    return out


def short(value: Any, limit: int = 120) -> str:
    """One line, at most ``limit`` characters, for tables."""
    text = value if isinstance(value, str) else repr(value)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def exposure_problem() -> str | None:
    """One line when the console is served beyond loopback without sign-in (dashboard.process)."""
    return process.exposure_problem()
