"""Drive one step of a run inside a worker: from where it stands to its next stop.

A step runs the workflow's graph through LangGraph's async API (``astream``,
``aget_state``) on the worker's event loop, with the async Postgres saver and
store on that loop's async pool; sync nodes run in the loop's executor as
LangGraph does for any sync node. The run service is sync (one module owns
the run tables); the few calls a step makes into it (claim, decided
responses, final status) go through ``asyncio.to_thread`` so the
loop, which may be running other steps, never waits on them. Async twins of
those functions would have put a second copy of the run tables' SQL in core
for a saving of well under a millisecond per call, a handful of calls a step.

A step is idempotent with respect to the checkpoint: it always continues the
thread from its latest checkpoint, so a job retried after its worker died
picks up where the dead worker's last checkpoint left off instead of starting
over. The initial input is passed only when the thread has no checkpoint yet,
a sent input (``runs.send``) only while the thread still stands at the
checkpoint it was sent to, and a resume value only while its interrupt is
still pending. The run's
context and ``configurable`` values are passed on every step.

Only a lost database (and a lost worker, which the queue notices) is retried;
any other failure, in a node or in recording where the step stopped, fails the
run at once with its one-line error on the run and the traceback in an
``error`` event.

A step cancelled because its worker is stopping (SIGTERM, Ctrl-C) puts its
run back to ``queued`` with a ``handed_back`` event and lets the cancellation
through: the worker queues its job again and another worker continues the
run from its checkpoint. A step cancelled because an operator cancelled the
run (:func:`core.runs.cancel` aborts its job: procrastinate cancels the
step's asyncio task, mid-node for an async node, at the end of the running
sync nodes otherwise) records a ``cancelled`` event and lets the
cancellation through; the job ends aborted and is never run again.

Each step holds the lease its claim got (:mod:`core.lease`); its events,
status changes, interrupts and checkpoints are written only while it still
holds it. A step whose run was taken over (its worker was paused past
stalled-after and another one continued the run) stops at its next write:
no retry, no failure mark, the run is the other worker's. The graph streams
with ``durability="sync"``: the checkpoint of a super-step is written, lease
checked, before the next super-step's nodes start, so a fenced step never
starts another node. It costs the wait for a write the step makes anyway (a
few ms per super-step) instead of overlapping it with the next nodes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
import traceback
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from queue import Empty, SimpleQueue
from typing import Any

from langgraph.config import get_config
from langgraph.store.base import BaseStore
from langgraph.types import Command, StateSnapshot
from psycopg_pool import AsyncConnectionPool

from core import graphs, runs
from core.db import async_pool, is_unavailable
from core.enums import EventKind
from core.events import EVENT_KEY
from core.interrupts import NS_SEP, pending_from_state
from core.jsonable import to_jsonable
from core.lease import Lease, LeaseLost
from core.registry import WorkflowSpec, get_workflow
from core.runs import RunStatus
from core.stores import RecordingStore, async_postgres_store

log = logging.getLogger(__name__)

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


def _branch_of(task_input: Any, branch_key: str | None) -> str | None:
    """The Send branch a task works on: its input's value at the workflow's declared key."""
    if branch_key and isinstance(task_input, dict) and isinstance(task_input.get(branch_key), str):
        return task_input[branch_key]
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

    def __init__(self, run_id: str, lease: Lease | None = None) -> None:
        self.run_id = run_id
        self.lease = lease
        self._queue: SimpleQueue = SimpleQueue()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._drain, name=f"events-{run_id[:8]}", daemon=True)
        self._thread.start()

    def put(self, kind: str, **fields: Any) -> None:
        """Queue one event (raises the writer's error, if it failed); safe from any thread."""
        if self._error is not None:
            raise self._error
        self._queue.put({"kind": kind, **fields})

    def close(self) -> None:
        """Write what is queued, stop the thread, re-raise a write failure."""
        self._queue.put(_STOP)
        self._thread.join()
        if self._error is not None:
            raise self._error

    async def aclose(self) -> None:
        """:meth:`close` without blocking the event loop while the last batch is written."""
        await asyncio.to_thread(self.close)

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
                runs.record_events(self.run_id, batch, self.lease)
            except Exception as exc:  # noqa: BLE001 - handed to the step, which lets the job retry
                self._error = exc
                return


def _ns_prefix(namespace: tuple[str, ...]) -> str:
    """``("research_agent:<task id>", "tools:<task id>")`` → ``"research_agent|tools|"``."""
    return "".join(part.split(":", 1)[0] + NS_SEP for part in namespace)


class _Recorder:
    """Turns LangGraph stream chunks into events for ``run_events``.

    Streams come with ``subgraphs=True``: a task inside a subgraph is
    recorded with its node path (``research_agent|tools``), so the timeline
    and history tell subgraph nodes from the parent's.
    """

    def __init__(self, put: Callable[..., None], branch_key: str | None = None) -> None:
        self.put = put
        self.branch_key = branch_key
        self.started: dict[str, float] = {}

    def __call__(self, namespace: tuple[str, ...], mode: str, chunk: Any) -> None:
        if mode == "custom" and isinstance(chunk, dict) and EVENT_KEY in chunk:
            data = {k: v for k, v in chunk.items() if k != EVENT_KEY}
            self.put(chunk[EVENT_KEY], node=data.get("node"), data=data)
        elif mode == "tasks" and isinstance(chunk, dict):
            self._task(_ns_prefix(namespace), chunk)

    def store_write(self, namespace: tuple[str, ...], key: str, value: dict[str, Any] | None) -> None:
        """A put (or, with ``value`` None, a delete) the run made in its store, with the node that made it."""
        data = {
            "namespace": list(namespace),
            "key": key,
            "value": to_jsonable(value),
            "deleted": value is None,
        }
        self.put(EventKind.STORE_WRITE, node=_current_node(), data=data)

    def _task(self, prefix: str, chunk: dict[str, Any]) -> None:
        task_id, node = chunk.get("id"), f"{prefix}{chunk.get('name')}"
        if "result" not in chunk and "error" not in chunk:  # task start
            self.started[task_id] = time.monotonic()
            data = {"triggers": list(chunk.get("triggers") or [])}
            branch = _branch_of(chunk.get("input"), self.branch_key)
            if branch:
                data["branch"] = branch
            self.put(EventKind.NODE_START, node=node, task_id=task_id, data=data)
            return
        began = self.started.pop(task_id, None)
        duration = (time.monotonic() - began) * 1000 if began is not None else None
        if chunk.get("interrupts"):
            kind, data = EventKind.NODE_INTERRUPT, {"interrupts": [i.get("id") for i in chunk["interrupts"]]}
        elif chunk.get("error"):
            kind, data = EventKind.NODE_ERROR, {"error": _preview(str(chunk["error"]))}
        else:
            kind, data = EventKind.NODE_END, {"wrote": _summary(chunk.get("result"))}
        self.put(kind, node=node, task_id=task_id, duration_ms=duration, data=data)


def _current_node() -> str | None:
    """The node path of the task running now (``research_agent|tools``), from LangGraph's config."""
    try:
        config = get_config()
    except RuntimeError:  # outside a node
        return None
    namespace = str(config.get("configurable", {}).get("checkpoint_ns") or "")
    if namespace:
        return _ns_prefix(tuple(namespace.split(NS_SEP)))[: -len(NS_SEP)]
    return config.get("metadata", {}).get("langgraph_node")


def _one_line(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}".strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:500]


# ---------------------------------------------------------------- what a loop lends its steps


@dataclass(frozen=True)
class StepResources:
    """What one event loop lends the steps it runs: its async pool and the console's store."""

    pool: AsyncConnectionPool
    store: BaseStore


@contextlib.asynccontextmanager
async def step_resources(max_connections: int) -> AsyncIterator[StepResources]:
    """Open the async pool and the store for this event loop (a worker opens them once)."""
    async with async_pool(max_connections) as pool:
        yield StepResources(pool=pool, store=async_postgres_store(pool))


def _never() -> bool:
    return False


def drive_now(run_id: str, command: dict[str, Any], *, worker: str = "inline") -> RunStatus | None:
    """Run one step in this process, on a loop of its own (tests, benchmarks, debugging)."""

    async def step() -> RunStatus | None:
        async with step_resources(4) as resources:
            return await drive_run(resources, run_id, command, worker=worker)

    return asyncio.run(step())


# ---------------------------------------------------------------- one step


async def drive_run(
    resources: StepResources,
    run_id: str,
    command: dict[str, Any],
    *,
    worker: str = "worker",
    cancelled: Callable[[], bool] = _never,
) -> RunStatus | None:
    """Execute a run until it is interrupted, finishes or fails.

    Returns the status it reached (None when there was nothing to do, or when
    another worker took the run over meanwhile). Raises only when the database
    is unreachable, so the queue retries the job, and lets a cancellation of
    the step's task through: ``cancelled()`` tells an operator's cancel (the
    job was aborted) from its worker stopping.
    """
    run = await asyncio.to_thread(runs.mark_running, run_id, worker)
    if run is None:
        log.info("run %s is not runnable (cancelled or finished); skipping", run_id)
        return None
    lease = Lease.claimed(run.id, run.lease_epoch)
    writer = _EventWriter(run_id, lease)
    try:
        try:
            writer.put(EventKind.STEP_START, data={"command": command.get("kind"), "worker": worker})
            # Loading the registry (importing an app's modules) and compiling a graph happen once
            # per process but may take a while: off the loop, whose heartbeats must keep going.
            spec = await asyncio.to_thread(get_workflow, run.workflow_id)
            await asyncio.to_thread(graphs.compiled, spec)
            return await _step(resources, spec, run, lease, command, writer, worker)
        except LeaseLost:
            raise
        except Exception as exc:  # noqa: BLE001 - any failure but a lost database is the run's failure
            await _close_quietly(writer)  # it may be what failed: the error is written on its own
            if is_unavailable(exc):
                await _raise_unless_taken_over(run_id, lease)
                raise  # infrastructure, not the run: let the queue retry the job
            log.warning("run %s failed: %s", run_id, _one_line(exc))
            error = {
                "kind": EventKind.ERROR,
                "data": {"error": _one_line(exc), "traceback": traceback.format_exc()[-4000:]},
            }
            await asyncio.to_thread(runs.record_events, run_id, [error], lease)
            await asyncio.to_thread(runs.mark_finished, run_id, RunStatus.FAILED, _one_line(exc), lease=lease)
            return RunStatus.FAILED
    except LeaseLost as lost:
        await _close_quietly(writer)
        log.warning("%s; this worker stops its step (the run goes on elsewhere)", lost)
        return None
    except asyncio.CancelledError:
        if cancelled():  # the operator cancelled the run: runs.cancel aborted this job
            with contextlib.suppress(Exception):  # the writer may be what failed: nothing more to say
                writer.put(EventKind.CANCELLED, data={"worker": worker})
            await _close_quietly(writer)
            log.info("run %s cancelled: its step stopped", run_id)
            raise
        # Its worker is stopping: the job is queued again (core.worker).
        await _close_quietly(writer)
        with contextlib.suppress(Exception):  # taken over already, or the database away: nothing to say
            await asyncio.to_thread(runs.hand_back, run_id, worker, lease)
        log.warning("run %s handed back: its worker is stopping (another one continues it)", run_id)
        raise


async def _raise_unless_taken_over(run_id: str, lease: Lease) -> None:
    """After a lost connection, :class:`LeaseLost` when the run was taken over meanwhile.

    The server ends the transaction of a writer frozen inside it; when that
    writer wakes, its error looks like an outage, but retrying its job would
    disturb the worker that owns the run now.
    """
    try:
        await asyncio.to_thread(runs.status_of, run_id, lease)
    except LeaseLost:
        raise
    except Exception:  # noqa: BLE001 - the database is really away: the caller lets the job retry
        return


async def _close_quietly(writer: _EventWriter) -> None:
    with contextlib.suppress(Exception):
        await writer.aclose()


def _run_config(spec: WorkflowSpec, run: runs.Run) -> dict[str, Any]:
    """The config of every step: the run's ``configurable`` values, the console's thread id."""
    config: dict[str, Any] = {"configurable": {**(run.config or {}), "thread_id": run.thread_id}}
    if "recursion_limit" not in (spec.compile_options.get("config") or {}):
        config["recursion_limit"] = 200
    return config


async def _step(
    resources: StepResources,
    spec: WorkflowSpec,
    run: runs.Run,
    lease: Lease,
    command: dict[str, Any],
    writer: _EventWriter,
    worker: str,
) -> RunStatus:
    recorder = _Recorder(writer.put, spec.branch_key)
    own = graphs.compiled(spec).store if spec.own_store else None
    store = RecordingStore(own or resources.store, recorder.store_write)
    graph = graphs.for_step(spec, resources.pool, store, lease)
    config = _run_config(spec, run)
    state = await _stream_step(graph, config, run, command, recorder, spec)
    return await _finish_step(lease, state, writer)


async def _step_input(
    graph: Any, config: dict, run: runs.Run, command: dict[str, Any], spec: WorkflowSpec
) -> Any:
    """What to feed the graph so the step continues from the latest checkpoint.

    A resume applies every decided interrupt still pending in the graph, not
    only the one this job was enqueued for: with parallel branches an operator
    may decide a second interrupt while the first decision is being applied,
    and a later job then finds nothing left to resume and just continues.
    """
    state = await graph.aget_state(config)
    if state.created_at is None:  # no checkpoint yet: a fresh start
        return spec.graph_input(run.input)
    if run.next_input is not None:  # a sent input (the thread's next turn), applied exactly once
        if state.config["configurable"].get("checkpoint_id") == run.next_input_after:
            return spec.graph_input(run.next_input)
        return None  # an earlier attempt of this step applied it: continue from there
    if command.get("kind") == "resume":
        pending = [i.id for i in state.interrupts]
        decided = await asyncio.to_thread(runs.decided_responses, run.id, pending) if pending else {}
        if command.get("interrupt_id") in pending:
            decided.setdefault(command["interrupt_id"], command.get("response"))
        if decided:
            return Command(resume=decided)
    return None  # continue (a retried job, a rollback fork, a paused thread, an applied resume)


async def _stream_step(
    graph: Any, config: dict, run: runs.Run, command: dict[str, Any], recorder: _Recorder, spec: WorkflowSpec
) -> StateSnapshot:
    """Run the graph to its next stop, recording events.

    Raises :class:`LeaseLost` as soon as a write finds the run taken over. An
    operator's cancel needs no polling here: it aborts the job, which cancels
    this task (:func:`drive_run`).
    """
    step_input = await _step_input(graph, config, run, command, spec)
    stream = graph.astream(
        step_input,
        config,
        context=run.context,
        stream_mode=["tasks", "custom"],
        subgraphs=True,
        durability="sync",  # a super-step's checkpoint (lease checked) before the next one's nodes
    )
    async with contextlib.aclosing(stream):
        async for namespace, mode, chunk in stream:
            recorder(namespace, mode, chunk)
    return await graph.aget_state(config, subgraphs=True)


async def _finish_step(lease: Lease, state: StateSnapshot, writer: _EventWriter) -> RunStatus:
    """Record where the step stopped: at interrupts, or at the end of the graph."""
    run_id = lease.run_id
    pending = pending_from_state(state)
    checkpoint_id = state.config["configurable"].get("checkpoint_id")
    if pending:
        writer.put(EventKind.INTERRUPTED, data={"interrupts": [p["interrupt_id"] for p in pending]})
        await writer.aclose()  # every event of the step is stored before the status says so
        await asyncio.to_thread(runs.mark_interrupted, run_id, pending, checkpoint_id, lease)
        return RunStatus.INTERRUPTED
    writer.put(EventKind.FINISHED, data={"checkpoint_id": checkpoint_id})
    await writer.aclose()
    await asyncio.to_thread(
        runs.mark_finished, run_id, RunStatus.SUCCEEDED, final_values=state.values, lease=lease
    )
    return RunStatus.SUCCEEDED
