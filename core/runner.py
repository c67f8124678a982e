"""Drive one step of a run inside a worker: from where it stands to its next stop.

A step is idempotent with respect to the checkpoint: it always continues the
thread from its latest checkpoint, so a job retried after its worker died
picks up where the dead worker's last checkpoint left off instead of starting
over. The initial input is passed only when the thread has no checkpoint yet,
and a resume value only while its interrupt is still pending.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from collections.abc import Callable
from queue import Empty, SimpleQueue
from typing import Any

from langgraph.types import Command

from core import runs
from core.db import is_unavailable
from core.events import EVENT_KEY
from core.graphs import compiled
from core.registry import get_workflow
from core.runs import RunStatus

log = logging.getLogger(__name__)

CANCEL_POLL_SECONDS = 0.5
SUMMARY_CHARS = 300


def _summary(value: Any) -> Any:
    """A short, JSON-safe preview of what a node wrote."""
    if isinstance(value, dict):
        return {str(k): _preview(v) for k, v in list(value.items())[:20]}
    return _preview(value)


def _preview(value: Any) -> Any:
    if isinstance(value, (int, float, bool)) or value is None:
        return value
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= SUMMARY_CHARS else text[:SUMMARY_CHARS] + "…"


def _branch_of(task_input: Any) -> str | None:
    """The Send branch a task works on, when its input names one."""
    if isinstance(task_input, dict):
        for key in ("branch_id", "branch", "worker_id", "processor"):
            if isinstance(task_input.get(key), str):
                return task_input[key]
    return None


_STOP = object()
EVENT_BATCH_MAX = 200


class _EventWriter:
    """Stores a step's events from a background thread, in small batches.

    Written by hand because no library fits: the stream loop must not wait on
    the database for every event (a wide fan-out emits hundreds), yet each
    event should be readable within milliseconds. One thread drains a queue and
    writes whatever has gathered meanwhile in one transaction.
    """

    def __init__(self, run_id: str) -> None:
        self.run_id = run_id
        self._queue: SimpleQueue = SimpleQueue()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._drain, name=f"events-{run_id[:8]}", daemon=True)
        self._thread.start()

    def put(self, kind: str, **fields: Any) -> None:
        """Queue one event (raises the writer's error, if it failed)."""
        if self._error is not None:
            raise self._error
        self._queue.put({"kind": kind, **fields})

    def close(self) -> None:
        """Write what is queued, stop the thread, re-raise a write failure."""
        self._queue.put(_STOP)
        self._thread.join()
        if self._error is not None:
            raise self._error

    def _drain(self) -> None:
        stopping = False
        while not stopping:
            batch = [self._queue.get()]
            while len(batch) < EVENT_BATCH_MAX:
                try:
                    batch.append(self._queue.get_nowait())
                except Empty:
                    break
            if _STOP in batch:
                stopping = True
                batch = [e for e in batch if e is not _STOP]
            try:
                runs.record_events(self.run_id, batch)
            except Exception as exc:  # noqa: BLE001 - handed to the step, which lets the job retry
                self._error = exc
                return


class _Recorder:
    """Turns LangGraph stream chunks into events for ``run_events``."""

    def __init__(self, put: Callable[..., None]) -> None:
        self.put = put
        self.started: dict[str, float] = {}

    def __call__(self, mode: str, chunk: Any) -> None:
        if mode == "custom" and isinstance(chunk, dict) and EVENT_KEY in chunk:
            data = {k: v for k, v in chunk.items() if k != EVENT_KEY}
            self.put(chunk[EVENT_KEY], node=data.get("node"), data=data)
        elif mode == "tasks" and isinstance(chunk, dict):
            self._task(chunk)

    def _task(self, chunk: dict[str, Any]) -> None:
        task_id, node = chunk.get("id"), chunk.get("name")
        if "result" not in chunk and "error" not in chunk:  # task start
            self.started[task_id] = time.monotonic()
            data = {"triggers": list(chunk.get("triggers") or [])}
            branch = _branch_of(chunk.get("input"))
            if branch:
                data["branch"] = branch
            self.put("node_start", node=node, task_id=task_id, data=data)
            return
        began = self.started.pop(task_id, None)
        duration = (time.monotonic() - began) * 1000 if began is not None else None
        if chunk.get("interrupts"):
            kind, data = "node_interrupt", {"interrupts": [i.get("id") for i in chunk["interrupts"]]}
        elif chunk.get("error"):
            kind, data = "node_error", {"error": _preview(str(chunk["error"]))}
        else:
            kind, data = "node_end", {"wrote": _summary(chunk.get("result"))}
        self.put(kind, node=node, task_id=task_id, duration_ms=duration, data=data)


BREAKPOINT_PREFIX = "paused:"


def _step_input(graph: Any, config: dict, run: runs.Run, command: dict[str, Any]) -> Any:
    """What to feed the graph so the step continues from the latest checkpoint.

    A resume applies every decided interrupt still pending in the graph, not
    only the one this job was enqueued for: with parallel branches an operator
    may decide a second interrupt while the first decision is being applied,
    and a later job then finds nothing left to resume and just continues.
    """
    state = graph.get_state(config)
    if state.created_at is None:  # no checkpoint yet: a fresh start
        return run.input
    if command.get("kind") == "resume":
        pending = [i.id for i in state.interrupts]
        decided = runs.decided_responses(run.id, pending) if pending else {}
        if command.get("interrupt_id") in pending:
            decided.setdefault(command["interrupt_id"], command.get("response"))
        if decided:
            return Command(resume=decided)
    return None  # continue (a retried job, a rollback fork, a paused thread, an applied resume)


def pending_from_state(state: Any) -> list[dict[str, Any]]:
    """Interrupts a thread waits on: dynamic ones, else a "paused" one when it stopped between steps.

    A graph compiled with ``interrupt_before`` / ``interrupt_after`` (or a
    thread an application left mid-way) stops with ``next`` set and no
    interrupt; it gets one synthetic interrupt, ``paused:<checkpoint id>``,
    whose payload follows the Agent Inbox shape with only ``allow_accept``:
    approving it continues the thread.
    """
    pending = []
    for task in state.tasks:
        for intr in task.interrupts:
            pending.append({"interrupt_id": intr.id, "node": task.name, "payload": intr.value})
    if pending or not state.next:
        return pending
    checkpoint_id = state.config["configurable"].get("checkpoint_id")
    nodes = list(state.next)
    return [
        {
            "interrupt_id": f"{BREAKPOINT_PREFIX}{checkpoint_id}",
            "node": nodes[0],
            "payload": {
                "action_request": {"action": "continue", "args": {"next": nodes}},
                "config": {
                    "allow_accept": True,
                    "allow_edit": False,
                    "allow_respond": False,
                    "allow_ignore": False,
                },
                "description": f"Paused before {', '.join(nodes)}; approve to continue.",
            },
        }
    ]


def _one_line(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}".strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:500]


def drive_run(run_id: str, command: dict[str, Any], *, worker: str = "worker") -> RunStatus | None:
    """Execute a run until it is interrupted, finishes, fails or is cancelled.

    Returns the status it reached (None when there was nothing to do).
    """
    run = runs.mark_running(run_id, worker)
    if run is None:
        log.info("run %s is not runnable (cancelled or finished); skipping", run_id)
        return None
    graph = compiled(get_workflow(run.workflow_id))
    config = {"configurable": {"thread_id": run.thread_id}, "recursion_limit": 200}
    writer = _EventWriter(run_id)
    writer.put("step_start", data={"command": command.get("kind"), "worker": worker})
    try:
        state = _stream_step(graph, config, run, command, writer)
    except Exception as exc:  # noqa: BLE001 - any failure of the graph is the run's failure
        if is_unavailable(exc):
            writer.close()
            raise  # infrastructure, not the run: let the queue retry the job
        writer.put("error", data={"error": _one_line(exc), "traceback": traceback.format_exc()[-4000:]})
        writer.close()
        runs.mark_finished(run_id, RunStatus.FAILED, _one_line(exc))
        return RunStatus.FAILED
    if state is None:
        writer.put("cancelled", data={"worker": worker})
        writer.close()
        return RunStatus.CANCELLED
    return _finish_step(run_id, state, writer)


def _stream_step(
    graph: Any, config: dict, run: runs.Run, command: dict[str, Any], writer: _EventWriter
) -> Any:
    """Run the graph to its next stop, recording events; None when cancelled meanwhile."""
    recorder = _Recorder(writer.put)
    step_input = _step_input(graph, config, run, command)
    next_poll = time.monotonic() + CANCEL_POLL_SECONDS
    for mode, chunk in graph.stream(step_input, config, stream_mode=["tasks", "custom"]):
        recorder(mode, chunk)
        if time.monotonic() >= next_poll:
            next_poll = time.monotonic() + CANCEL_POLL_SECONDS
            if runs.status_of(run.id) == RunStatus.CANCELLED:
                return None
    return graph.get_state(config)


def _finish_step(run_id: str, state: Any, writer: _EventWriter) -> RunStatus:
    """Record where the step stopped: at interrupts, or at the end of the graph."""
    pending = pending_from_state(state)
    checkpoint_id = state.config["configurable"].get("checkpoint_id")
    if pending:
        writer.put("interrupted", data={"interrupts": [p["interrupt_id"] for p in pending]})
        writer.close()  # every event of the step is stored before the status says so
        runs.mark_interrupted(run_id, pending, checkpoint_id)
        return RunStatus.INTERRUPTED
    writer.put("finished", data={"checkpoint_id": checkpoint_id})
    writer.close()
    runs.mark_finished(run_id, RunStatus.SUCCEEDED, final_values=state.values)
    return RunStatus.SUCCEEDED
