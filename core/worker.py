"""The worker process: takes run jobs off the queue and drives them, one event loop.

``python -m core worker [--concurrency N]`` runs :func:`run_worker_async`;
the embedded dashboard runs the same in a thread (:func:`start_worker_thread`).
procrastinate's worker is asyncio-native: the ``execute_run`` task is a
coroutine that drives one step (:func:`core.runner.drive_run`) on the loop,
with the loop's async pool and store (:class:`core.runner.StepResources`),
so up to N steps share the loop while their graphs await I/O.

A worker that dies (SIGKILL, lost machine) stops sending heartbeats; every
live worker periodically asks procrastinate for jobs of silent workers and
replaces each by a new job (a new id, :func:`core.queue.reissue`), which
continues the run from its last checkpoint; a silent worker that was only
paused finds its run taken over when it wakes (:mod:`core.lease`). A run left with no job at all is given one again
(:func:`core.runs.requeue_orphans`).

A stop (SIGTERM, Ctrl-C, or the app that embeds the worker exiting) is
procrastinate's graceful shutdown: no new job is taken, running steps get
``LGOPS_STOP_GRACE_SECONDS`` to end, the rest are aborted and their jobs
retried at once (:class:`RunRetryStrategy`), so another worker continues each
run from its checkpoint without waiting for stalled-after; the run is never
marked failed for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import procrastinate
import psycopg
import psycopg_pool
from procrastinate import PsycopgConnector
from procrastinate.exceptions import JobAborted
from procrastinate.job_context import AbortReason
from procrastinate.jobs import Job
from procrastinate.retry import RetryDecision
from psycopg_pool import AsyncConnectionPool

from core import retention
from core.config import load_settings
from core.db import database_url, get_pool
from core.queue import QUEUE, TASK, reissue
from core.registry import broken_workflows
from core.runner import StepResources, drive_run, step_resources
from core.runs import requeue_orphans

log = logging.getLogger(__name__)

RESTART_DELAY_SECONDS = 2.0
# The scheduled prune: procrastinate's periodic task on its own queue, so the
# stalled-job recovery of run jobs (queue "runs") never touches it.
PRUNE_QUEUE = "retention"
PRUNE_TASK = "lgops.scheduled_prune"
# Sync nodes run in the loop's default executor (LangGraph's run_in_executor),
# shared by every step of this worker, and so do the run-service calls: room
# for a few parallel branches per step, as each sync stream had before.
EXECUTOR_THREADS_PER_STEP = 8
STEP_THREAD_PREFIX = "lgops-step"
NODE_THREADS_JOIN_SECONDS = 1.0


class RunRetryStrategy(procrastinate.RetryStrategy):
    """Retry a lost database with growing waits; hand a job back at once when its worker stops.

    procrastinate aborts the jobs still running when a worker's stop grace
    ends (``AbortReason.SHUTDOWN``: their asyncio task is cancelled) and asks
    the task's retry strategy about them; for those the answer is "again, now,
    whatever the attempts so far", so another worker continues the run from its
    checkpoint. Any other failure is recorded on the run by drive_run.
    """

    def get_retry_decision(self, *, exception: BaseException, job: Job) -> RetryDecision | None:
        if isinstance(exception, asyncio.CancelledError):
            return RetryDecision()
        return super().get_retry_decision(exception=exception, job=job)


def build_worker_app(
    resources: StepResources, stop_pruning: threading.Event | None = None
) -> procrastinate.App:
    """The app a worker runs, with the run task registered on ``resources`` (and the scheduled prune)."""
    app = procrastinate.App(connector=PsycopgConnector())
    if retention.scheduled_age() is not None:
        add_scheduled_prune(app, load_settings().prune_every_seconds, stop_pruning or threading.Event())

    @app.task(
        name=TASK,
        queue=QUEUE,
        pass_context=True,
        # Only a lost database reaches the queue (any other failure is recorded
        # on the run by drive_run); retry it with growing waits (2, 4, 8 ... s,
        # about an hour in all). A run whose job still gives up is re-enqueued
        # by the orphan reconciler below. A worker's stop hands its jobs back.
        retry=RunRetryStrategy(
            max_attempts=12,
            exponential_wait=2,
            retry_exceptions=[psycopg.OperationalError, psycopg_pool.PoolTimeout],
        ),
    )
    async def execute_run(context: procrastinate.JobContext, run_id: str, command: dict) -> None:
        try:
            await drive_run(
                resources,
                run_id,
                command,
                worker=context.worker_name or "worker",
                cancelled=lambda: context.abort_reason() == AbortReason.USER_REQUEST,
            )
        except asyncio.CancelledError:
            if context.abort_reason() != AbortReason.SHUTDOWN:
                raise JobAborted(f"job of run {run_id} aborted") from None  # an abort asked for: not retried
            raise  # the worker is stopping: RunRetryStrategy queues the job again at once

    return app


def add_scheduled_prune(app: procrastinate.App, every_seconds: float, stop: threading.Event) -> None:
    """Prune on procrastinate's periodic schedule (:func:`core.retention.prune_cron` of ``every_seconds``).

    Every worker's periodic deferrer tries to defer the job for each tick;
    procrastinate records one defer per tick and the queueing lock keeps one
    waiting job at most, so across all workers one prune starts per period.
    The job only starts the prune in a thread beside the run slots (as the
    worker's own loop did before), so a long prune never holds up runs; the
    advisory lock in :func:`core.retention.scheduled_prune` keeps one at a
    time, and ``stop`` (the worker stopping) ends it after its batch.
    """
    started: set[asyncio.Task] = set()

    @app.periodic(cron=retention.prune_cron(every_seconds), periodic_id="retention")
    @app.task(name=PRUNE_TASK, queue=PRUNE_QUEUE, queueing_lock=PRUNE_TASK)
    async def scheduled_prune(timestamp: int) -> None:
        task = asyncio.create_task(_prune_in_thread(stop))
        started.add(task)  # a reference, so the task is not collected while it runs
        task.add_done_callback(started.discard)


async def _prune_in_thread(stop: threading.Event) -> None:
    try:
        await asyncio.to_thread(retention.scheduled_prune, stop=stop)
    except Exception:  # noqa: BLE001 - the database may be restarting; the next period tries again
        log.exception("scheduled prune failed; will retry next period")


async def _recover_stalled(app: procrastinate.App, every: float, stalled_after: float) -> None:
    """Retry jobs whose worker stopped sending heartbeats (it died); re-enqueue orphaned runs.

    After the database was unreachable, every worker's heartbeat looks old for
    a while although the workers are alive; recovery then waits one
    ``stalled_after`` period, so a live worker's job is not run twice at once.
    """
    quiet_until = 0.0
    while True:
        try:
            if time.monotonic() >= quiet_until:
                stalled = await app.job_manager.get_stalled_jobs(
                    queue=QUEUE, seconds_since_heartbeat=stalled_after
                )
                for job in stalled:
                    log.warning("job %s of run %s lost its worker; retrying", job.id, job.task_kwargs)
                    await asyncio.to_thread(_reissue, job.id)
                await app.job_manager.prune_stalled_workers(stalled_after)
                for run_id in await asyncio.to_thread(requeue_orphans, stalled_after):
                    log.warning("run %s had no job left; re-enqueued", run_id)
        except Exception:  # noqa: BLE001 - the database may be restarting; try again later
            log.exception("stalled-job recovery failed; will retry")
            quiet_until = time.monotonic() + stalled_after + every
        await asyncio.sleep(every)


def _reissue(job_id: int) -> None:
    """A new job for a silent worker's run (:func:`core.queue.reissue`: never the same id twice)."""
    with get_pool().connection() as conn, conn.transaction():
        reissue(job_id, conn)


@contextlib.contextmanager
def _stop_on_signals(stop_event: asyncio.Event) -> Iterator[None]:
    """SIGINT / SIGTERM ask for a graceful stop; a second signal has its default effect."""
    loop = asyncio.get_running_loop()
    signals = (signal.SIGINT, signal.SIGTERM)

    def on_signal() -> None:
        for sig in signals:
            loop.remove_signal_handler(sig)
        stop_event.set()

    for sig in signals:
        loop.add_signal_handler(sig, on_signal)
    try:
        yield
    finally:
        for sig in signals:
            loop.remove_signal_handler(sig)


async def run_worker_async(
    concurrency: int = 1,
    *,
    name: str | None = None,
    install_signal_handlers: bool = True,
    stop_event: asyncio.Event | None = None,
) -> None:
    """Run a worker until stopped (signal, or ``stop_event`` when given).

    procrastinate's worker ends when PostgreSQL goes away (a failed job fetch,
    heartbeat or listener stops it), which would leave the process exiting with
    status 0 and nobody executing runs. It is therefore supervised: when it ends
    without a stop being asked for, it is started again (it registers anew) after
    a short pause, and jobs its previous incarnation held are retried by the
    stalled-job recovery. Signals are handled here, not by procrastinate, so a
    stop request is told apart from a worker that ended by itself.
    """
    settings = load_settings()
    get_pool()  # migrates before taking jobs
    for broken in broken_workflows():  # said at start, one line each, not at a run's first step
        log.warning("%s", broken.line)
    url = database_url(settings)
    name = name or f"{socket.gethostname()}:{os.getpid()}"
    stop_event = stop_event or asyncio.Event()
    stop_pruning = threading.Event()
    loop = asyncio.get_running_loop()
    executor = ThreadPoolExecutor(
        EXECUTOR_THREADS_PER_STEP * concurrency + 4, thread_name_prefix=STEP_THREAD_PREFIX
    )
    loop.set_default_executor(executor)
    try:
        async with (
            AsyncConnectionPool(url, min_size=1, max_size=concurrency + 3, open=False) as queue_pool,
            step_resources(2 * concurrency + 2) as resources,
        ):
            app = build_worker_app(resources, stop_pruning)
            async with app.open_async(queue_pool):
                background = [
                    asyncio.create_task(
                        _recover_stalled(app, settings.heartbeat_seconds, settings.stalled_after_seconds)
                    ),
                ]
                handlers = (
                    _stop_on_signals(stop_event) if install_signal_handlers else contextlib.nullcontext()
                )
                try:
                    with handlers:
                        await _supervise(app, stop_event, concurrency=concurrency, name=name)
                finally:
                    stop_pruning.set()
                    for task in background:
                        task.cancel()
    finally:
        # A sync node of a handed-back step may still be inside its thread (Python cannot
        # interrupt one): closing the loop must not wait for it (see exit_past_node_threads).
        executor.shutdown(wait=False, cancel_futures=True)
        loop.set_default_executor(ThreadPoolExecutor(1, thread_name_prefix="lgops-closing"))


async def _supervise(
    app: procrastinate.App, stop_event: asyncio.Event, *, concurrency: int, name: str
) -> None:
    """Run procrastinate's worker, starting it again whenever it ends by itself."""
    settings = load_settings()
    stop_requested = asyncio.create_task(stop_event.wait())
    try:
        while not stop_event.is_set():
            worker = asyncio.create_task(
                app.run_worker_async(
                    queues=[QUEUE, PRUNE_QUEUE],
                    concurrency=concurrency,
                    name=name,
                    install_signal_handlers=False,
                    update_heartbeat_interval=settings.heartbeat_seconds,
                    stalled_worker_timeout=settings.stalled_after_seconds,
                    fetch_job_polling_interval=1.0,
                    abort_job_polling_interval=1.0,
                    delete_jobs="successful",
                    # On a stop: steps running after this long are handed back (RunRetryStrategy).
                    shutdown_graceful_timeout=settings.stop_grace_seconds,
                )
            )
            await asyncio.wait([worker, stop_requested], return_when=asyncio.FIRST_COMPLETED)
            if not worker.done():  # stop asked: procrastinate's graceful shutdown (stop grace)
                worker.cancel()
                await asyncio.gather(worker, return_exceptions=True)
                return
            error = None if worker.cancelled() else worker.exception()
            if stop_event.is_set():
                return
            log.warning(
                "worker loop ended (%s); restarting in %.0f s",
                f"{type(error).__name__}: {error}".strip() if error else "no error",
                RESTART_DELAY_SECONDS,
            )
            await asyncio.wait([stop_requested], timeout=RESTART_DELAY_SECONDS)
    finally:
        stop_requested.cancel()


def exit_past_node_threads() -> None:
    """End the process now if a stopped worker's sync nodes are still inside their threads.

    Python cannot interrupt a thread, and at exit it waits for every thread of
    an executor, so a node blocked for minutes would hold the stop that long.
    Their steps were handed back already (another worker runs those nodes
    again from the checkpoint, and the old step's writes are fenced,
    core/lease.py): nothing is lost by not waiting. Called last by the worker
    command and by the app's shutdown.
    """
    deadline = time.monotonic() + NODE_THREADS_JOIN_SECONDS
    left = []
    for thread in threading.enumerate():
        if thread.name.startswith(STEP_THREAD_PREFIX):  # idle ones end at once after shutdown()
            thread.join(max(0.0, deadline - time.monotonic()))
            if thread.is_alive():
                left.append(thread)
    if left:
        log.warning(
            "%d node(s) of handed-back steps still running in threads; exiting without them", len(left)
        )
        logging.shutdown()
        os._exit(0)


class WorkerThread:
    """A worker in a daemon thread of this process (the embedded dashboard mode), stoppable from any thread."""

    def __init__(self, concurrency: int = 1, name: str = "embedded") -> None:
        self.concurrency = concurrency
        self.name = name
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self.thread = threading.Thread(target=self._run, name="lgops-worker", daemon=True)

    def start(self) -> WorkerThread:
        self.thread.start()
        return self

    def _run(self) -> None:
        async def main() -> None:
            self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
            self._ready.set()
            await run_worker_async(
                self.concurrency, install_signal_handlers=False, name=self.name, stop_event=self._stop
            )

        try:
            asyncio.run(main())
        finally:
            self._ready.set()

    def stop(self, timeout: float) -> bool:
        """Ask for a graceful stop (as SIGTERM does) and wait up to ``timeout``; True once it ended."""
        self._ready.wait(timeout)
        loop, stop = self._loop, self._stop
        if loop is not None and stop is not None:
            with contextlib.suppress(RuntimeError):  # the loop is already closed
                loop.call_soon_threadsafe(stop.set)
        self.thread.join(timeout)
        return not self.thread.is_alive()


def start_worker_thread(concurrency: int = 1) -> WorkerThread:
    """Run a worker in a daemon thread of this process (the embedded dashboard mode)."""
    return WorkerThread(concurrency).start()
