"""The run service: the one module that owns the run lifecycle and its tables.

Lifecycle::

    queued → running → interrupted → (decision) queued → running → ...
                     → succeeded | failed | cancelled
    succeeded → (send: the thread's next input) queued → running → ...

Every operator action (launch, decide, send, roll back, cancel) runs in one
transaction that locks the run row, checks the state allows it, writes the
change and its audit-log row, and enqueues the worker job, so an action either
happens completely or not at all, and of two simultaneous actions on the same
run exactly one wins (the other gets :class:`~core.errors.Conflict`).
The worker reports progress back through the ``record_*`` / ``mark_*``
functions below; the dashboard and CLI only read and call this module.
"""

from __future__ import annotations

import dataclasses
import json
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from langgraph.channels.binop import BinaryOperatorAggregate
from langgraph.types import Overwrite
from psycopg import Connection
from psycopg.types.json import Jsonb

from core import auth, graphs, queue, run_writes
from core.db import get_pool
from core.enums import EventKind, Priority
from core.errors import BadInput, Conflict, NotFound
from core.interrupts import canonical_action, pending_from_state, resume_value
from core.jsonable import to_jsonable
from core.lease import Lease, LeaseLost, fenced
from core.lease import check as check_lease
from core.outcomes import Outcome
from core.registry import WorkflowSpec, get_workflow
from core.run_queries import (  # noqa: F401 - re-exported: callers use core.runs
    _INBOX_WHERE,
    INBOX_VIEWS,
    MAX_INPUT_BYTES,
    SORTABLE,
    STATUSES,
    AuditEntry,
    Event,
    PendingInterrupt,
    Run,
    RunStatus,
    StoreItem,
    _clean_text,
    _outcomes,
    _run_filters,
    audit_log,
    count_inbox,
    count_runs,
    counts_by_status,
    events,
    get_run,
    inbox,
    interrupts,
    list_runs,
    parse_run_id,
    parse_thread_id,
    routing_decisions,
    run_for_thread,
    store_items,
)


@contextmanager
def _transaction() -> Iterator[Connection]:
    with get_pool().connection() as conn, conn.transaction():
        yield conn


_LOCK_RUN_SQL = "SELECT * FROM runs WHERE id = %s FOR UPDATE"


def _lock_run(conn: Connection, run_id: str) -> Run:
    row = conn.execute(_LOCK_RUN_SQL, (run_id,)).fetchone()
    if row is None:
        raise NotFound(f"no run {run_id}")
    return Run.from_row(row)


_SUPERSEDE_PENDING_SQL = (
    "UPDATE interrupts SET status = 'superseded'"
    " WHERE run_id = %(run_id)s AND status = 'pending' AND NOT (interrupt_id = ANY(%(keep)s))"
)


def _supersede_pending(conn: Connection, run_id: str, keep: Sequence[str] = ()) -> None:
    """The run's pending interrupts, but ``keep``, stop waiting: the run will not ask them again.

    Called when the run finishes or is cancelled or rolled back, and when a
    step ends at other interrupts than those pending.
    """
    conn.execute(_SUPERSEDE_PENDING_SQL, {"run_id": run_id, "keep": list(keep)})


def _check_actor(actor: str) -> str:
    actor = (_clean_text(actor, "actor", 200) or "").strip()
    if not actor:
        raise BadInput("an action needs an actor (who is doing it)")
    return actor


def _json_size_ok(value: Any, what: str) -> None:
    try:
        text = json.dumps(value)
    except (TypeError, ValueError) as exc:
        raise BadInput(f"{what} is not JSON-serialisable: {exc}") from None
    if len(text) > MAX_INPUT_BYTES:
        raise BadInput(f"{what} is {len(text)} bytes; the limit is {MAX_INPUT_BYTES}")
    if "\\u0000" in text:
        raise BadInput(f"{what} contains a NUL character, which PostgreSQL cannot store")


# ---------------------------------------------------------------- actions


RESERVED_CONFIGURABLE = ("thread_id", "checkpoint_id", "checkpoint_ns", "checkpoint_map")


def _configurable(raw: Any) -> dict[str, Any]:
    """Check the ``configurable`` values a launch passes to the graph (none of the console's own)."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise BadInput(f"config must be a JSON object of configurable values, got {type(raw).__name__}")
    for key in raw:
        if key in RESERVED_CONFIGURABLE or str(key).startswith("__"):
            raise BadInput(f"config may not set {key!r}: the console owns the thread and its checkpoints")
    _json_size_ok(raw, "config")
    return raw


_INSERT_RUN_SQL = (
    "INSERT INTO runs (id, thread_id, workflow_id, status, input, priority, created_by, context, config)"
    " VALUES (%s, %s, %s, 'queued', %s, %s, %s, %s, %s) RETURNING *"
)


def launch(
    workflow_id: str,
    raw_input: dict[str, Any] | None = None,
    *,
    actor: str,
    sample: str | None = None,
    priority: str | None = None,
    context: dict[str, Any] | None = None,
    config: dict[str, Any] | None = None,
) -> Run:
    """Validate an input (and context and config) and enqueue a new run; nothing is written if invalid.

    ``context`` is the graph's run context (validated against its
    ``context_schema`` when it declares one); ``config`` holds ``configurable``
    values. Both are stored on the run and passed again on every step (start,
    resume, retry, rollback); ``thread_id`` stays the console's.
    """
    actor = _check_actor(actor)
    auth.require(actor, "launch")
    spec = get_workflow(workflow_id)
    if raw_input is None:
        raw_input = spec.load_sample(sample)
    _json_size_ok(raw_input, "input")
    graph_input = spec.validate_input(raw_input)
    _json_size_ok(context, "context")
    run_context = spec.validate_context(context)
    configurable = _configurable(config)
    requested = Priority.parse(priority or spec.priority)
    priority = spec.retained_as(graph_input, at_least=requested).value
    run_id = str(uuid.uuid4())
    with _transaction() as conn:
        row = conn.execute(
            _INSERT_RUN_SQL,
            (
                run_id,
                run_id,
                spec.id,
                Jsonb(graph_input),
                priority,
                actor,
                None if run_context is None else Jsonb(run_context),
                Jsonb(configurable),
            ),
        ).fetchone()
        details = {"workflow_id": spec.id, "sample": sample, "priority": priority}
        if priority != requested:
            details["priority_requested"] = requested.value
        if run_context is not None:
            details["context_keys"] = sorted(run_context)
        if configurable:
            details["config_keys"] = sorted(configurable)  # keys only: values may be secrets
        run_writes.audit(conn, actor, "launch", run_id, details=details)
        queue.enqueue(run_id, {"kind": "start"}, connection=conn)
    return Run.from_row(row)


_PENDING_INTERRUPTS_SQL = "SELECT * FROM interrupts WHERE run_id = %s AND status = 'pending' ORDER BY id"
_DECIDED_BY_SQL = (
    "SELECT decided_by FROM interrupts WHERE run_id = %s AND interrupt_id = %s"
    " AND status = 'decided' ORDER BY id DESC LIMIT 1"
)
_DECIDE_INTERRUPT_SQL = (
    "UPDATE interrupts SET status = 'decided', decided_by = %s, decided_at = now(),"
    " response = %s WHERE run_id = %s AND interrupt_id = %s AND status = 'pending'"
)
_QUEUE_INTERRUPTED_SQL = (
    "UPDATE runs SET status = 'queued', updated_at = now() WHERE id = %s AND status = 'interrupted'"
)


def decide(
    run_id: str,
    action: str,
    *,
    actor: str,
    payload: Any = None,
    comment: str | None = None,
    interrupt_id: str | None = None,
) -> PendingInterrupt:
    """Decide a pending interrupt and resume the run in the background.

    The resume value is built by :func:`core.interrupts.resume_value` from the
    interrupt's payload (Agent Inbox, HITL middleware or plain). When several
    interrupts are pending (parallel branches), name one with ``interrupt_id``;
    each is decided on its own, also while the run is still applying an
    earlier decision (the worker resumes every decided interrupt it finds).
    Raises Conflict when the run is not waiting for an operator or the
    interrupt was already decided, so of two simultaneous decisions one wins.
    """
    actor = _check_actor(actor)
    run_id = parse_run_id(run_id)
    verb, action = action, canonical_action(action)
    comment = _clean_text(comment, "comment")
    _json_size_ok(payload, "payload")
    with _transaction() as conn:
        auth.require(actor, "decide", conn)
        run = _lock_run(conn, run_id)
        pending = [PendingInterrupt.from_row(r) for r in conn.execute(_PENDING_INTERRUPTS_SQL, (run_id,))]
        decided_by = None
        if interrupt_id is not None and not any(p.interrupt_id == interrupt_id for p in pending):
            decided = conn.execute(_DECIDED_BY_SQL, (run_id, interrupt_id)).fetchone()
            decided_by = decided["decided_by"] if decided else None
        target = pick_interrupt(run, pending, interrupt_id, decided_by)
        response = resume_value(target.payload, action, payload, comment)
        conn.execute(_DECIDE_INTERRUPT_SQL, (actor, Jsonb(response), run_id, target.interrupt_id))
        conn.execute(_QUEUE_INTERRUPTED_SQL, (run_id,))
        run_writes.audit(
            conn,
            actor,
            f"decide:{action}",
            run_id,
            interrupt_id=target.interrupt_id,
            reason=comment,
            details={"node": target.node, "payload": payload, "thread_id": run.thread_id}
            | ({"verb": verb} if verb != action else {}),
        )
        queue.enqueue(
            run_id,
            {"kind": "resume", "interrupt_id": target.interrupt_id, "response": response},
            connection=conn,
        )
    return target


def pick_interrupt(
    run: Run, pending: list[PendingInterrupt], interrupt_id: str | None, decided_by: str | None
) -> PendingInterrupt:
    """The pending interrupt a decision answers, or why there is none (pure).

    Args:
        run: the run, locked by the caller.
        pending: its pending interrupts, oldest first.
        interrupt_id: the one the operator named, if any.
        decided_by: who already decided ``interrupt_id`` when it is not pending.

    Raises:
        Conflict: the interrupt was already decided, or the run waits for no one.
        BadInput: several are pending and none was named.
        NotFound: the named interrupt is not pending on this run.
    """
    if decided_by is not None:
        raise Conflict(f"interrupt {interrupt_id} was already decided by {decided_by}")
    waiting = run.status in (RunStatus.INTERRUPTED, RunStatus.QUEUED, RunStatus.RUNNING)
    if not waiting or not pending:
        raise Conflict(f"run {run.id} is {run.status.value}, not waiting for an operator")
    if interrupt_id is None:
        if len(pending) > 1:
            ids = ", ".join(p.interrupt_id for p in pending)
            raise BadInput(f"run has {len(pending)} pending interrupts ({ids}); name one")
        return pending[0]
    matches = [p for p in pending if p.interrupt_id == interrupt_id]
    if not matches:
        raise NotFound(f"run {run.id} has no pending interrupt {interrupt_id}")
    return matches[0]


_LATEST_CHECKPOINT_SQL = (
    "SELECT checkpoint_id FROM checkpoints WHERE thread_id = %s AND checkpoint_ns = ''"
    " ORDER BY checkpoint_id DESC LIMIT 1"
)


def _latest_checkpoint(conn: Connection, thread_id: str) -> str | None:
    """The thread's newest root checkpoint id (the one LangGraph continues from)."""
    row = conn.execute(_LATEST_CHECKPOINT_SQL, (thread_id,)).fetchone()
    return row["checkpoint_id"] if row else None


def _check_sendable(run: Run) -> None:
    """Only a thread at rest takes its next input; anything else is a conflict, said why."""
    if run.status == RunStatus.SUCCEEDED:
        return
    why = {
        RunStatus.QUEUED: "is queued; send once it has finished",
        RunStatus.RUNNING: "is running; send once it has finished",
        RunStatus.INTERRUPTED: "is waiting for an operator; decide its interrupt first",
        RunStatus.FAILED: "failed; roll it back to a checkpoint to continue it",
        RunStatus.CANCELLED: "was cancelled; launch a new run",
    }[run.status]
    raise Conflict(f"run {run.id} {why}")


_SEND_RUN_SQL = (
    "UPDATE runs SET status = 'queued', finished_at = NULL, error = NULL, outcome = NULL,"
    " next_input = %s, next_input_after = %s, updated_at = now() WHERE id = %s RETURNING *"
)
_INSERT_INPUT_SENT_SQL = "INSERT INTO run_events (run_id, kind, data) VALUES (%s, 'input_sent', %s)"


def send(run_id: str, raw_input: Any, *, actor: str) -> Run:
    """Give a finished thread its next input and run it again: the next turn of a chat.

    The same run (and thread) goes back to queued; the graph gets the input
    on top of its latest state, as LangGraph's ``invoke(input, thread)`` on
    an idle thread does (``add_messages`` appends the new messages). The
    input is validated like a launch input, but only the keys given are
    passed on. The run change, the input (``next_input``, with the checkpoint
    it applies to), an ``input_sent`` event, the audit row and the job are one
    transaction; a step retried after a crash finds the thread past that
    checkpoint and does not apply the input again. Refused (Conflict) unless
    the run has succeeded.
    """
    actor = _check_actor(actor)
    run_id = parse_run_id(run_id)
    if raw_input is None:
        raise BadInput('send needs an input: a JSON object, e.g. {"messages": "hello"}')
    _json_size_ok(raw_input, "input")
    with _transaction() as conn:
        auth.require(actor, "send", conn)
        run = _lock_run(conn, run_id)
        spec = get_workflow(run.workflow_id)
        graph_input = spec.validate_input(raw_input, partial=True)
        _check_sendable(run)
        after = _latest_checkpoint(conn, run.thread_id)
        if after is None:
            raise Conflict(f"run {run_id} has no checkpoint to continue from")
        row = conn.execute(_SEND_RUN_SQL, (Jsonb(graph_input), after, run_id)).fetchone()
        conn.execute(
            _INSERT_INPUT_SENT_SQL,
            (run_id, Jsonb({"input": graph_input, "checkpoint_id": after, "by": actor})),
        )
        run_writes.audit(
            conn,
            actor,
            "send",
            run_id,
            checkpoint_id=after,
            details={"thread_id": run.thread_id, "workflow_id": spec.id, "input_keys": sorted(graph_input)},
        )
        queue.enqueue(run_id, {"kind": "send"}, connection=conn)
    return Run.from_row(row)


_CANCEL_RUN_SQL = (
    "UPDATE runs SET status = 'cancelled', outcome = 'cancelled', finished_at = now(), updated_at = now(),"
    " next_input = NULL, next_input_after = NULL WHERE id = %s RETURNING *"
)


def cancel(run_id: str, *, actor: str, reason: str | None = None) -> Run:
    """Cancel a run that has not finished: its queued jobs never start, a running step is aborted.

    One transaction: the status, the audit row and procrastinate's abort of
    the run's jobs (:func:`core.queue.abort`) land together or not at all.
    """
    actor = _check_actor(actor)
    run_id = parse_run_id(run_id)
    reason = _clean_text(reason, "reason")
    with _transaction() as conn:
        auth.require(actor, "cancel", conn)
        run = _lock_run(conn, run_id)
        if run.status.finished:
            raise Conflict(f"run {run_id} already {run.status.value}")
        row = conn.execute(_CANCEL_RUN_SQL, (run_id,)).fetchone()
        _supersede_pending(conn, run_id)
        run_writes.audit(conn, actor, "cancel", run_id, reason=reason, details={"from": run.status.value})
        queue.abort(run_id, connection=conn)
    return Run.from_row(row)


def _fork(
    graph: Any, target: dict[str, Any], run: Run, source: str | None, spec: WorkflowSpec
) -> dict[str, Any]:
    """Write a fork of ``target``; returns its config.

    LangGraph's ``as_node="__copy__"`` (``bulk_update_state``) stores a copy
    of the checkpoint beside it (same parent, same values and channel
    versions), so the next step schedules exactly the tasks ``target`` had
    pending: its ``Send`` packets, ``Command`` targets, pending subgraphs and
    interrupt gates. Nothing that finished before ``target`` runs again. A
    plain ``update_state(target, None)`` would start a new step instead.

    The very first checkpoint of a thread (source "input") holds no values:
    the input lives in its pending writes, which a copy does not carry. Forking
    there re-applies the run's input as the start node would, so the run
    starts over instead of continuing from an empty state.
    """
    if source != "input":
        return graph.update_state(target, None, as_node="__copy__")
    if run.input is None:
        raise BadInput("the first checkpoint of this thread holds only an input the console never saw")
    return graph.update_state(target, spec.graph_input(run.input), as_node="__start__")


def _last_writer(graph: Any, state: Any) -> str:
    """The node whose writes made the checkpoint ``state`` (one name), or BadInput.

    An edit is written as that node so that LangGraph schedules what it
    scheduled: the same edges fire again and the next tasks stay the same.
    """
    if state.parent_config is None:
        raise BadInput("this checkpoint was written by no node; edit the thread's first checkpoint instead")
    ran = {t.name for t in graph.get_state(state.parent_config).tasks}
    if len(ran) != 1:
        shown = ", ".join(sorted(ran)) or "none"
        raise BadInput(
            f"cannot edit here: nodes {shown} wrote this checkpoint together; edit one before or after"
        )
    return ran.pop()


def _apply_edit(graph: Any, fork: dict[str, Any], edit: dict[str, Any]) -> tuple[dict[str, Any], dict]:
    """Write ``edit`` over the fork, as the node that wrote last; returns the new config and the diff.

    Reducer channels (``Annotated[list, operator.add]``, messages) get the
    value as given (``Overwrite``), not appended. Refused (BadInput, nothing
    kept: the caller's transaction rolls back) when the edit would change
    which tasks run next.
    """
    state = graph.get_state(fork)
    as_node = _last_writer(graph, state)
    values = {
        key: Overwrite(value) if isinstance(graph.channels.get(key), BinaryOperatorAggregate) else value
        for key, value in edit.items()
    }
    edited = graph.update_state(fork, values, as_node=as_node)
    after = graph.get_state(edited).next
    if sorted(after) != sorted(state.next):
        raise BadInput(
            f"this edit changes what runs next ({', '.join(state.next) or 'nothing'} →"
            f" {', '.join(after) or 'nothing'}); nothing was written"
        )
    diff = {k: {"old": to_jsonable(state.values.get(k)), "new": v} for k, v in edit.items()}
    return edited, diff


def _at_breakpoint(graph: Any, fork: dict[str, Any]) -> bool:
    """True when the fork sits at a static breakpoint (``interrupt_before`` / ``interrupt_after``).

    Resuming with no input tells LangGraph the breakpoint was passed, so a
    fork that sits at one is paused here instead of being continued.
    """
    before = graph.interrupt_before_nodes or ()
    after = graph.interrupt_after_nodes or ()
    if not before and not after:
        return False
    state = graph.get_state(fork)
    if not state.next or any(t.interrupts for t in state.tasks):
        return False
    if before == "*" or set(state.next) & set(before):
        return True
    if not after or state.parent_config is None:
        return False
    ran = {t.name for t in graph.get_state(state.parent_config).tasks}
    return after == "*" or bool(ran & set(after))


_INSERT_INTERRUPT_SQL = (
    "INSERT INTO interrupts (run_id, interrupt_id, node, payload, checkpoint_id) VALUES (%s, %s, %s, %s, %s)"
)


def _insert_interrupts(
    conn: Connection, run_id: str, pending: list[dict[str, Any]], checkpoint_id: str | None
) -> None:
    """Record a run's pending interrupts, all asked at ``checkpoint_id`` (a rollback's or an attach's)."""
    for p in pending:
        conn.execute(
            _INSERT_INTERRUPT_SQL,
            (run_id, p["interrupt_id"], p.get("node"), Jsonb(to_jsonable(p["payload"])), checkpoint_id),
        )


_CHECKPOINT_SOURCE_SQL = (
    "SELECT metadata->>'source' AS source FROM checkpoints"
    " WHERE thread_id = %s AND checkpoint_ns = '' AND checkpoint_id = %s"
)
_ROLLBACK_RUN_SQL = (
    "UPDATE runs SET status = %s, finished_at = NULL, error = NULL, outcome = NULL,"
    " next_input = NULL, next_input_after = NULL, updated_at = now() WHERE id = %s"
)


def rollback(
    run_id: str,
    checkpoint_id: str,
    *,
    actor: str,
    reason: str | None = None,
    edit: dict[str, Any] | None = None,
) -> str:
    """Fork the run from an earlier checkpoint and continue it from there.

    ``edit`` (channel → new value) is merged over the checkpoint's values in
    the fork, validated against the graph's state schema first; the audit row
    keeps the diff (old → new per key). On the thread's first checkpoint it
    is merged over the run's input.

    The fork checkpoint, the status change, the audit row and the job are
    written in one transaction. A run that is queued or running is refused:
    a rollback is never interleaved with a step in progress.
    Returns the id of the new (fork) checkpoint.
    """
    actor = _check_actor(actor)
    run_id = parse_run_id(run_id)
    checkpoint_id = (_clean_text(str(checkpoint_id), "checkpoint id", 64) or "").strip()
    reason = _clean_text(reason, "reason")
    if not checkpoint_id:
        raise BadInput("checkpoint id is empty")
    with _transaction() as conn:
        auth.require(actor, "rollback", conn)
        run = _lock_run(conn, run_id)
        if run.status in (RunStatus.QUEUED, RunStatus.RUNNING):
            raise Conflict(f"run {run_id} is {run.status.value}; roll back once it has stopped")
        found = conn.execute(_CHECKPOINT_SOURCE_SQL, (run.thread_id, checkpoint_id)).fetchone()
        if not found:
            raise NotFound(f"run {run_id} has no checkpoint {checkpoint_id}")
        spec = get_workflow(run.workflow_id)
        graph = graphs.on_connection(spec, conn)
        target = {
            "configurable": {"thread_id": run.thread_id, "checkpoint_ns": "", "checkpoint_id": checkpoint_id}
        }
        diff: dict[str, Any] = {}
        if edit is not None:
            edit = spec.validate_edit(edit)
        if edit is not None and found["source"] == "input":
            if not isinstance(run.input, dict):
                raise BadInput(
                    "the first checkpoint of this thread holds only an input the console never saw"
                )
            diff = {k: {"old": run.input.get(k), "new": v} for k, v in edit.items()}
            run = dataclasses.replace(run, input={**run.input, **edit})
        copied = _fork(graph, target, run, found["source"], spec)
        paused = _at_breakpoint(graph, copied)
        fork = copied
        if edit is not None and found["source"] != "input":
            fork, diff = _apply_edit(graph, copied, edit)
        fork_id = fork["configurable"]["checkpoint_id"]
        _supersede_pending(conn, run_id)
        conn.execute(
            _ROLLBACK_RUN_SQL, ((RunStatus.INTERRUPTED if paused else RunStatus.QUEUED).value, run_id)
        )
        if paused:
            _insert_interrupts(
                conn, run_id, pending_from_state(graph.get_state(fork, subgraphs=True)), fork_id
            )
        run_writes.audit(
            conn,
            actor,
            "rollback",
            run_id,
            checkpoint_id=checkpoint_id,
            reason=reason,
            details={
                "fork_checkpoint_id": fork_id,
                "from_status": run.status.value,
                "thread_id": run.thread_id,
                "paused_at_breakpoint": paused,
                **({"edit": diff} if diff else {}),
            },
        )
        if not paused:
            queue.enqueue(run_id, {"kind": "continue"}, connection=conn)
    return fork_id


_ATTACH_LOCK_SQL = "SELECT pg_advisory_xact_lock(hashtext(%s))"
_RUN_OF_THREAD_SQL = "SELECT id FROM runs WHERE thread_id = %s"
_THREAD_EXISTS_SQL = "SELECT 1 FROM checkpoints WHERE thread_id = %s AND checkpoint_ns = '' LIMIT 1"
_INSERT_ATTACHED_RUN_SQL = (
    "INSERT INTO runs (id, thread_id, workflow_id, status, input, priority, created_by,"
    " started_at, finished_at, outcome)"
    " VALUES (%s, %s, %s, %s, '{}', %s, %s, now(), CASE WHEN %s THEN now() END, %s) RETURNING *"
)
_INSERT_ATTACHED_EVENT_SQL = "INSERT INTO run_events (run_id, kind, data) VALUES (%s, 'attached', %s)"


def attach(thread_id: str, workflow_id: str, *, actor: str, reason: str | None = None) -> Run:
    """Attach a thread an application wrote itself to a registered workflow.

    The thread becomes a run (with its own uuid; ``thread_id`` keeps the
    application's id) so an operator can decide its interrupts and roll it
    back like any run. Its pending interrupts are recorded now; a thread that
    stopped between steps without an interrupt gets a "paused" interrupt
    whose approval continues it. Nothing is executed until someone decides.
    Audited as ``attach``; needs the operator role.
    """
    actor = _check_actor(actor)
    thread_id = parse_thread_id(thread_id)
    reason = _clean_text(reason, "reason")
    spec = get_workflow(workflow_id)
    run_id = str(uuid.uuid4())
    with _transaction() as conn:
        auth.require(actor, "attach", conn)
        conn.execute(_ATTACH_LOCK_SQL, (f"attach:{thread_id}",))
        taken = conn.execute(_RUN_OF_THREAD_SQL, (thread_id,)).fetchone()
        if taken:
            raise Conflict(f"thread {thread_id} is already run {taken['id']}")
        exists = conn.execute(_THREAD_EXISTS_SQL, (thread_id,)).fetchone()
        if not exists:
            raise NotFound(f"no thread {thread_id!r} in the checkpoint tables")
        graph = graphs.on_connection(spec, conn)
        _check_thread_fits(conn, graph, thread_id, spec.id)
        state = graph.get_state({"configurable": {"thread_id": thread_id}}, subgraphs=True)
        pending = pending_from_state(state)
        status = RunStatus.INTERRUPTED if pending else RunStatus.SUCCEEDED
        checkpoint_id = state.config["configurable"].get("checkpoint_id")
        outcome = spec.outcome_of(state.values, status.value).value if status.finished else None
        row = conn.execute(
            _INSERT_ATTACHED_RUN_SQL,
            (run_id, thread_id, spec.id, status.value, spec.priority, actor, status.finished, outcome),
        ).fetchone()
        _insert_interrupts(conn, run_id, pending, checkpoint_id)
        conn.execute(
            _INSERT_ATTACHED_EVENT_SQL,
            (run_id, Jsonb({"thread_id": thread_id, "interrupts": [p["interrupt_id"] for p in pending]})),
        )
        run_writes.audit(
            conn,
            actor,
            "attach",
            run_id,
            checkpoint_id=checkpoint_id,
            reason=reason,
            details={"thread_id": thread_id, "workflow_id": spec.id, "status": status.value},
        )
    return Run.from_row(row)


_THREAD_NODES_SQL = """
SELECT k AS name FROM checkpoints, jsonb_object_keys(checkpoint->'versions_seen') AS k
 WHERE thread_id = %(t)s AND checkpoint_ns = ''
UNION
SELECT substr(k, 11) FROM checkpoints, jsonb_object_keys(checkpoint->'channel_versions') AS k
 WHERE thread_id = %(t)s AND checkpoint_ns = '' AND k LIKE 'branch:to:%%'
UNION
SELECT substr(channel, 11) FROM checkpoint_writes
 WHERE thread_id = %(t)s AND checkpoint_ns = '' AND channel LIKE 'branch:to:%%'
UNION
SELECT split_part(checkpoint_ns, ':', 1) FROM checkpoints WHERE thread_id = %(t)s AND checkpoint_ns <> ''
"""


def thread_node_names(conn: Connection, thread_id: str) -> set[str]:
    """The graph nodes a thread's checkpoints name (LangGraph's own bookkeeping, not values).

    Read from every root checkpoint: ``versions_seen`` (the nodes that ran),
    ``branch:to:<node>`` channels and pending writes (the nodes scheduled),
    and the namespaces of subgraph checkpoints (the parent node that ran
    them). Reserved names (``__start__``, ``__input__``, ``__interrupt__``)
    belong to every graph and are left out.
    """
    rows = conn.execute(_THREAD_NODES_SQL, {"t": thread_id}).fetchall()
    return {r["name"] for r in rows if r["name"] and not r["name"].startswith("__")}


def _check_thread_fits(conn: Connection, graph: Any, thread_id: str, workflow_id: str) -> None:
    """Refuse a thread whose checkpoints name nodes the workflow's graph does not have.

    Attaching it anyway would read its state through the wrong graph: no
    task would ever match, and the run would look "succeeded" with nothing done.
    """
    missing = sorted(thread_node_names(conn, thread_id) - set(graph.nodes))
    if missing:
        shown = ", ".join(missing[:8]) + (", ..." if len(missing) > 8 else "")
        raise BadInput(
            f"thread {thread_id!r} does not fit workflow {workflow_id}: its graph has no node {shown}"
        )


_DELETE_RUN_SQL = "DELETE FROM runs WHERE id = %s"


def detach(run_id: str, *, actor: str, reason: str | None = None) -> str:
    """Detach an attached thread: the console forgets the run, the thread stays as it is.

    The run row goes, and with it (ON DELETE CASCADE) its events, interrupts
    and decisions; the audit log keeps every row about it plus a ``detach``
    row; LangGraph's checkpoints are not touched, so the thread is listed on
    the Threads page again and can be attached again. Only attached runs
    (a launched run's thread is the console's own) and only while nothing
    runs. Needs the admin role, like rollback. Returns the thread id.
    """
    actor = _check_actor(actor)
    run_id = parse_run_id(run_id)
    reason = _clean_text(reason, "reason")
    with _transaction() as conn:
        auth.require(actor, "detach", conn)
        run = _lock_run(conn, run_id)
        if not run.attached:
            raise BadInput(
                f"run {run_id} was launched by the console, not attached; only attached runs detach"
            )
        if run.status in (RunStatus.QUEUED, RunStatus.RUNNING):
            raise Conflict(f"run {run_id} is {run.status.value}; detach it once it has stopped")
        conn.execute(_DELETE_RUN_SQL, (run_id,))
        run_writes.audit(
            conn,
            actor,
            "detach",
            run_id,
            reason=reason,
            details={"thread_id": run.thread_id, "workflow_id": run.workflow_id, "status": run.status.value},
        )
    return run.thread_id


# ------------------------------------------------------- worker reporting


_CLAIM_SQL = (
    "UPDATE runs SET status = 'running', started_at = coalesce(started_at, now()),"
    " attempts = attempts + 1, worker = %s, updated_at = now(), lease_epoch = lease_epoch + 1"
    " WHERE id = %s AND status IN ('queued', 'running') RETURNING *"
)


def mark_running(run_id: str, worker: str) -> Run | None:
    """Claim a run for a worker step; None when it was cancelled or finished meanwhile.

    Every claim takes the run's lease over (``lease_epoch`` + 1, see
    :mod:`core.lease`): a step of an earlier claim still going, e.g. on a
    worker that was paused past stalled-after, can no longer write for the run.
    The claiming step's lease is ``Lease.claimed(run.id, run.lease_epoch)``.
    """
    with get_pool().connection() as conn:
        row = conn.execute(_CLAIM_SQL, (worker, run_id)).fetchone()
    return Run.from_row(row) if row else None


_HAND_BACK_SQL = "UPDATE runs SET status = 'queued', worker = NULL, updated_at = now() WHERE id = %s AND status = 'running'"
_INSERT_HANDED_BACK_SQL = "INSERT INTO run_events (run_id, kind, data) VALUES (%s, %s, %s)"


def hand_back(run_id: str, worker: str, lease: Lease) -> None:
    """A stopping worker gives its step's run up: queued again, so no page shows it running.

    Its job is queued again by the worker (core.worker); the next worker's claim
    (:func:`mark_running`) takes the run from ``queued`` and continues it from its
    checkpoint. Refused (:class:`~core.lease.LeaseLost`) once another worker claimed it.
    """
    with _transaction() as conn:
        check_lease(conn, lease, lock="update")
        conn.execute(_HAND_BACK_SQL, (run_id,))
        conn.execute(
            _INSERT_HANDED_BACK_SQL, (run_id, EventKind.HANDED_BACK.value, Jsonb({"worker": worker}))
        )


_STATUS_SQL = "SELECT status, lease_epoch FROM runs WHERE id = %s"


def status_of(run_id: str, lease: Lease | None = None) -> RunStatus:
    """The current status (cheap).

    With ``lease``, raises :class:`~core.lease.LeaseLost` once another claim
    took the run over (a step after a lost connection asks, see core.runner).
    """
    with get_pool().connection() as conn:
        row = conn.execute(_STATUS_SQL, (run_id,)).fetchone()
    if row is None:
        raise NotFound(f"no run {run_id}")
    if lease is not None and row["lease_epoch"] != lease.epoch:
        raise LeaseLost(f"run {run_id}: lease {lease.epoch} was taken over (now {row['lease_epoch']})")
    return RunStatus(row["status"])


def record_event(
    run_id: str,
    kind: str,
    *,
    node: str | None = None,
    task_id: str | None = None,
    duration_ms: float | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    """Store one event now, so it is visible while the run goes on."""
    record_events(
        run_id, [{"kind": kind, "node": node, "task_id": task_id, "duration_ms": duration_ms, "data": data}]
    )


_EVENTS_ASYNC_COMMIT_SQL = "SET LOCAL synchronous_commit = off"
_INSERT_EVENTS_SQL = (
    "INSERT INTO run_events (run_id, kind, node, task_id, duration_ms, data) VALUES (%s, %s, %s, %s, %s, %s)"
)
_INSERT_DECISIONS_SQL = (
    "INSERT INTO decisions (run_id, node, chosen, context, explanation) VALUES (%s, %s, %s, %s, %s)"
)


def record_events(run_id: str, batch: list[dict[str, Any]], lease: Lease | None = None) -> None:
    """Store several events in one transaction (routing decisions also go to ``decisions``).

    With ``lease`` (a worker step), nothing is stored once the run was taken
    over: :class:`~core.lease.LeaseLost`.

    Events are telemetry: the commit does not wait for the WAL flush
    (``synchronous_commit = off``), which makes them several times cheaper.
    A database crash may lose the last fraction of a second of events, never
    a status, an interrupt, an audit row or a checkpoint.
    """
    if not batch:
        return
    rows = [
        (
            run_id,
            e["kind"],
            e.get("node"),
            e.get("task_id"),
            e.get("duration_ms"),
            Jsonb(to_jsonable(e.get("data") or {})),
        )
        for e in batch
    ]
    decisions = [
        (
            run_id,
            (e.get("data") or {}).get("node") or e.get("node"),
            _chosen(e["data"].get("explanation")) or e["data"].get("chosen") or e["data"].get("decision"),
            Jsonb(to_jsonable(e["data"].get("context") or {})),
            Jsonb(to_jsonable(e["data"].get("explanation") or {})),
        )
        for e in batch
        if e["kind"] == EventKind.ROUTING_DECISION and e.get("data")
    ]
    with get_pool().connection() as conn, fenced(conn, lease):  # one round trip, lease included
        conn.execute(_EVENTS_ASYNC_COMMIT_SQL)
        with conn.cursor() as cur:
            cur.executemany(_INSERT_EVENTS_SQL, rows)
            if decisions:
                cur.executemany(_INSERT_DECISIONS_SQL, decisions)


def _chosen(explanation: Any) -> str | None:
    return explanation.get("chosen") if isinstance(explanation, dict) else None


_DECIDED_AMONG_SQL = (
    "SELECT interrupt_id FROM interrupts WHERE run_id = %s AND status = 'decided' AND interrupt_id = ANY(%s)"
)
_INSERT_PENDING_INTERRUPT_SQL = (
    "INSERT INTO interrupts (run_id, interrupt_id, node, payload, checkpoint_id)"
    " VALUES (%s, %s, %s, %s, %s)"
    " ON CONFLICT (run_id, interrupt_id) WHERE status = 'pending' DO NOTHING"
)
_MARK_INTERRUPTED_SQL = (
    "UPDATE runs SET status = %s, next_input = NULL, next_input_after = NULL, updated_at = now()"
    " WHERE id = %s AND status = 'running'"
)


def mark_interrupted(
    run_id: str, pending: list[dict[str, Any]], checkpoint_id: str | None, lease: Lease | None = None
) -> None:
    """The step ended at interrupts: store them (once each) and wait for an operator.

    An interrupt already decided (its decision arrived while this step ran,
    and its resume job is queued) is not asked again; while such a decision is
    on its way the run stays queued rather than interrupted.
    """
    current = [p["interrupt_id"] for p in pending]
    with get_pool().connection() as conn, conn.transaction():
        check_lease(conn, lease, lock="update")  # the run row first, as operators lock it
        _supersede_pending(conn, run_id, keep=current)
        decided = {r["interrupt_id"] for r in conn.execute(_DECIDED_AMONG_SQL, (run_id, current))}
        for p in pending:
            if p["interrupt_id"] in decided:
                continue
            conn.execute(
                _INSERT_PENDING_INTERRUPT_SQL,
                (run_id, p["interrupt_id"], p.get("node"), Jsonb(to_jsonable(p["payload"])), checkpoint_id),
            )
        conn.execute(
            _MARK_INTERRUPTED_SQL, ((RunStatus.QUEUED if decided else RunStatus.INTERRUPTED).value, run_id)
        )


_ORPHANS_SQL = (
    "SELECT r.id FROM runs r"
    " WHERE r.status IN ('queued', 'running')"
    "   AND r.updated_at < now() - make_interval(secs => %s)"
    "   AND NOT EXISTS (SELECT 1 FROM procrastinate_jobs j"
    "                    WHERE j.queue_name = %s AND j.lock = r.id::text"
    "                      AND j.status IN ('todo', 'doing'))"
    " FOR UPDATE OF r SKIP LOCKED"
)
_TOUCH_RUN_SQL = "UPDATE runs SET updated_at = now() WHERE id = %s"
_INSERT_REQUEUED_SQL = "INSERT INTO run_events (run_id, kind) VALUES (%s, 'requeued')"


def requeue_orphans(min_age_seconds: float) -> list[str]:
    """Give a job back to runs that should be moving but have none (queued or running).

    A job can be lost for good, e.g. when the database stayed away longer than
    its retries. Such a run would sit "running" forever; this enqueues a
    resume step for it, which continues from its latest checkpoint and applies
    any decision already taken. Returns the run ids re-enqueued.
    """
    requeued: list[str] = []
    with _transaction() as conn:
        rows = conn.execute(_ORPHANS_SQL, (min_age_seconds, queue.QUEUE)).fetchall()
        for row in rows:
            run_id = str(row["id"])
            conn.execute(_TOUCH_RUN_SQL, (run_id,))
            conn.execute(_INSERT_REQUEUED_SQL, (run_id,))
            queue.enqueue(run_id, {"kind": "resume"}, connection=conn)
            requeued.append(run_id)
    return requeued


_DECIDED_RESPONSES_SQL = (
    "SELECT interrupt_id, response FROM interrupts WHERE run_id = %s AND status = 'decided'"
    " AND interrupt_id = ANY(%s) ORDER BY id"
)


def decided_responses(run_id: str, interrupt_ids: list[str]) -> dict[str, Any]:
    """Resume values of decided interrupts among ``interrupt_ids`` (the worker applies them)."""
    with get_pool().connection() as conn:
        rows = conn.execute(_DECIDED_RESPONSES_SQL, (run_id, interrupt_ids)).fetchall()
    return {r["interrupt_id"]: r["response"] for r in rows}


_FINISH_SQL = (
    "UPDATE runs SET status = %s, error = %s, finished_at = now(), updated_at = now(),"
    " next_input = NULL, next_input_after = NULL"
    " WHERE id = %s AND status = 'running' RETURNING workflow_id, input, priority"
)


def mark_finished(
    run_id: str,
    status: RunStatus,
    error: str | None = None,
    *,
    final_values: dict[str, Any] | None = None,
    lease: Lease | None = None,
) -> None:
    """The run reached its end (or failed); a cancelled run stays cancelled.

    The workflow's retention rule is applied again, now with the final values
    (None when the graph failed): e.g. a ticket classified CRITICAL keeps its
    run as CRITICAL. The priority only ever goes up; a change is an event.
    The run's outcome (:meth:`WorkflowSpec.outcome_of`) is set in the same
    transaction, so a finished run is never without one.
    """
    with get_pool().connection() as conn, conn.transaction():
        check_lease(conn, lease, lock="update")
        row = conn.execute(_FINISH_SQL, (status.value, error, run_id)).fetchone()
        _supersede_pending(conn, run_id)
        if row is not None:
            _set_outcome(conn, run_id, row["workflow_id"], status, final_values)
            _apply_final_priority(conn, run_id, row, final_values)


def outcome_for(workflow_id: str, status: RunStatus, final_values: dict[str, Any] | None) -> Outcome:
    """The outcome the workflow's rule gives (the status when the workflow left the registry)."""
    try:
        spec = get_workflow(workflow_id)
    except NotFound:
        return Outcome(status.value)
    return spec.outcome_of(final_values, status.value)


_SET_OUTCOME_SQL = "UPDATE runs SET outcome = %s WHERE id = %s"


def _set_outcome(
    conn: Connection,
    run_id: str,
    workflow_id: str,
    status: RunStatus,
    final_values: dict[str, Any] | None,
) -> None:
    outcome = outcome_for(workflow_id, status, final_values)
    conn.execute(_SET_OUTCOME_SQL, (outcome.value, run_id))


_SET_PRIORITY_SQL = "UPDATE runs SET priority = %s WHERE id = %s"
_INSERT_PRIORITY_EVENT_SQL = (
    "INSERT INTO run_events (run_id, kind, data) VALUES (%s, 'retention_priority', %s)"
)


def _apply_final_priority(
    conn: Connection, run_id: str, row: dict[str, Any], final_values: dict[str, Any] | None
) -> None:
    try:
        spec = get_workflow(row["workflow_id"])
    except NotFound:
        return  # the workflow left the registry; its runs keep what they have
    priority = spec.retained_as(row["input"] or {}, final_values, at_least=row["priority"]).value
    if priority == row["priority"]:
        return
    conn.execute(_SET_PRIORITY_SQL, (priority, run_id))
    conn.execute(
        _INSERT_PRIORITY_EVENT_SQL,
        (run_id, Jsonb({"from": row["priority"], "to": priority, "rule": "final values"})),
    )
