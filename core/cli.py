"""``python -m core``: the console without a browser.

Data goes to stdout (only JSON with ``--json``), messages to stderr, one line
each. Exit codes: 0 ok, 1 failure, 2 bad input, 3 conflict, 4 not found,
5 forbidden (role or read-only mode).

Each command imports what it needs inside its own function, on purpose: a
read command must not pay for LangGraph, procrastinate or pandas (about a
second of imports) that only launching or working needs.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import stat
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict
from typing import Any, NoReturn

from core.enums import PRIORITIES, RUN_STATUSES, EventKind, RunStatus
from core.errors import BadInput, LgopsError
from core.jsonable import parse_json, to_jsonable
from core.outcomes import OUTCOMES, Outcome
from core.redact import redact

WAIT_POLL_SECONDS = 0.2
WAIT_TIMEOUT_SECONDS = 600.0


def _emit(args: argparse.Namespace, data: Any, text: Callable[[], str]) -> None:
    if args.json:
        print(json.dumps(to_jsonable(data), ensure_ascii=False))
    else:
        print(text())


def _parse_json(text: str, what: str) -> Any:
    return parse_json(text, what)


def _read_input_file(path: str, limit: int) -> str:
    """The file's text, read at most ``limit`` + 1 bytes and only from a regular file.

    Checking the size after a whole read would let ``/dev/zero`` fill memory,
    and a FIFO would block the command forever.
    """
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            raise BadInput(f"{path} is not a regular file")
        with open(path, "rb") as handle:
            data = handle.read(limit + 1)
    except OSError as exc:
        raise BadInput(f"cannot read {path}: {exc.strerror}") from None
    if len(data) > limit:
        raise BadInput(f"{path} is larger than the input limit of {limit} bytes")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise BadInput(f"{path} is not UTF-8 text") from None


def _actor() -> str:
    from core.config import cli_actor

    return cli_actor()


def _wait(run_id: str) -> Any:
    """Block until the run stops at an interrupt or finishes."""
    from core import runs

    deadline = time.monotonic() + WAIT_TIMEOUT_SECONDS
    while True:
        run = runs.get_run(run_id)
        if run.status == RunStatus.INTERRUPTED or run.status.finished:
            return run
        if time.monotonic() > deadline:
            raise LgopsError(f"run {run_id} still {run.status.value} after {WAIT_TIMEOUT_SECONDS:.0f} s")
        time.sleep(WAIT_POLL_SECONDS)


def _waited_code(run: Any) -> int:
    """``--wait``'s exit code: 1 when the run finished without succeeding, else 0.

    A run waiting for an operator (interrupted) is not a failure: the wait
    ends there so the caller can decide.
    """
    return 1 if run.status.finished and run.outcome != Outcome.SUCCEEDED else 0


def _duration(seconds: float | None) -> str:
    """``1.2 s`` / ``3 m 04 s`` / ``2 h 05 m``; ``-`` before the run started."""
    if seconds is None:
        return "-"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes} m {secs:02d} s"
    return f"{minutes // 60} h {minutes % 60:02d} m"


def _run_duration(run: Any) -> str:
    """How long a run took, or ``open 3 m 04 s`` while it has not finished (an interrupted run is still open)."""
    took = _duration(run.duration_seconds)
    return took if run.status.finished or run.duration_seconds is None else f"open {took}"


def _waited_text(run: Any) -> str:
    """``<id> <status>`` and, once finished, ``<outcome>``."""
    return " ".join(str(v) for v in (run.id, run.status.value, run.outcome) if v)


def _run_line(run: Any) -> str:
    when = run.created_at.strftime("%Y-%m-%d %H:%M:%S")
    return (
        f"{run.id}  {run.status.value:<11}  {run.outcome or '-':<11}  {run.workflow_id:<20}  {when}"
        f"  {_run_duration(run):>14}"
    )


# ------------------------------------------------------------- commands


def cmd_workflows(args: argparse.Namespace) -> int:
    from core.registry import all_workflows, broken_workflows

    items = [
        {
            "id": w.id,
            "title": w.title,
            "description": w.description,
            "samples": list(w.samples),
            "interrupt_points": list(w.interrupt_points),
            "source": w.source,
            "input_schema": w.input_schema(),
            "context_schema": w.context_schema(),
        }
        for w in all_workflows()
    ]
    broken = [asdict(b) for b in broken_workflows()]
    lines = [f"{w['id']:<20} {w['title']}" for w in items]
    lines += [f"{b.id:<20} BROKEN: {b.error} (entry {b.source})" for b in broken_workflows()]
    _emit(args, {"workflows": items, "broken": broken}, lambda: "\n".join(lines) or "no workflows")
    return 0


def cmd_launch(args: argparse.Namespace) -> int:
    from core import runs

    raw = None
    if args.input is not None:
        raw = _parse_json(args.input, "--input")
    elif args.input_file is not None:
        raw = _parse_json(_read_input_file(args.input_file, runs.MAX_INPUT_BYTES), str(args.input_file))
    if raw is None and (args.input is not None or args.input_file is not None):
        raise BadInput(
            "the input is JSON null; give a JSON value, or leave --input out for the default sample"
        )
    context = _parse_json(args.context, "--context") if args.context is not None else None
    config = _parse_json(args.config, "--config") if args.config is not None else None
    run = runs.launch(
        args.workflow_id,
        raw,
        actor=_actor(),
        sample=args.sample,
        priority=args.priority,
        context=context,
        config=config,
    )
    if not args.wait:
        _emit(args, run, lambda: run.id)
        return 0
    run = _wait(run.id)
    _emit(args, run, lambda: _waited_text(run))
    return _waited_code(run)


def cmd_runs(args: argparse.Namespace) -> int:
    from core import run_queries as runs  # the read side only: no LangGraph on this path

    found = runs.list_runs(
        status=args.status, workflow_id=args.workflow, outcome=args.outcome, limit=args.limit
    )
    _emit(args, found, lambda: "\n".join(_run_line(r) for r in found) or "no runs")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    from core import checkpoints, runs
    from core.messages import transcript

    run = runs.get_run(args.run_id)
    pending = runs.interrupts(run.id)
    state = checkpoints.current_state(run.id)
    timeline = [
        e.as_dict()
        for e in runs.events(run.id)
        if e.kind in (EventKind.NODE_END, EventKind.NODE_ERROR, EventKind.NODE_INTERRUPT)
    ]
    data = {
        "run": run,
        "pending_interrupts": [
            {
                "interrupt_id": p.interrupt_id,
                "node": p.node,
                "payload": p.payload,
                "actions": p.actions,
                "convention": p.summary["convention"],
            }
            for p in pending
        ],
        "state": checkpoints.as_dict(state),
        "timeline": timeline,
        "store_items": runs.store_items(run.id),
    }

    def text() -> str:
        out = [_run_line(run)]
        if run.attached:
            out.append(f"thread: {run.thread_id} (attached)")
        if run.outcome:
            out.append(f"outcome: {run.outcome} (status {run.status.value})")
        out.append(f"duration: {_run_duration(run)}")
        if run.error:
            out.append(f"error: {run.error}")
        if run.context is not None:
            out.append(f"context: {json.dumps(run.context)[:500]}")
        if run.config:
            out.append(f"config: {', '.join(sorted(run.config))}")
        for p in pending:
            out.append(f"waiting at {p.node} ({p.interrupt_id}): {', '.join(p.actions)}")
        out.append(f"next: {', '.join(state.next) or '-'}")
        for key, lines in transcript(state.values).items():
            out.append(f"{key}:")
            out += [f"  {line}" for line in lines]
        for e in timeline:
            ms = f"{e['duration_ms']:.0f} ms" if e["duration_ms"] is not None else ""
            out.append(f"  {e['at']:%H:%M:%S}  {e['kind']:<14} {e['node'] or '':<32} {ms}")
        return "\n".join(out)

    _emit(args, data, text)
    return 0


def _decision_payload(action: str, text: str | None) -> Any:
    """``--payload`` as JSON; for ``respond`` text that is not JSON is the response itself."""
    if text is None:
        return None
    if action == "respond":
        try:
            return json.loads(text)
        except (json.JSONDecodeError, RecursionError):
            return text
    return _parse_json(text, "--payload")


def cmd_decide(args: argparse.Namespace) -> int:
    from core import runs

    payload = _decision_payload(args.action, args.payload)
    decided = runs.decide(
        args.run_id,
        args.action,
        actor=_actor(),
        payload=payload,
        comment=args.comment,
        interrupt_id=args.interrupt,
    )
    result: dict[str, Any] = {
        "run_id": decided.run_id,
        "interrupt_id": decided.interrupt_id,
        "action": args.action,
    }
    if not args.wait:
        _emit(args, result, lambda: " ".join(str(v) for v in result.values()))
        return 0
    run = _wait(decided.run_id)
    result.update(status=run.status.value, outcome=run.outcome)
    _emit(args, result, lambda: " ".join(str(v) for v in result.values() if v is not None))
    return _waited_code(run)


def cmd_history(args: argparse.Namespace) -> int:
    from core import checkpoint_rows
    from core import run_queries as runs  # the read side only: LangGraph only when the rows cannot tell
    from core.thread_queries import as_dict

    run = runs.get_run(args.run_id)
    rows = checkpoint_rows.history(run.thread_id, limit=args.limit, before=args.before)
    if rows is None:  # only the graph can tell (see core.checkpoint_rows)
        from core import checkpoints

        rows = checkpoints.history(run.id, limit=args.limit, before=args.before)
    _emit(
        args,
        [as_dict(r) for r in rows],
        lambda: (
            "\n".join(
                f"{r.checkpoint_id}  step {r.step if r.step is not None else '-':>3}  {r.source or '-':<7}"
                f"  {'fork ' if r.branch else 'head '} next={','.join(r.next) or '-'}  {r.created_at or ''}"
                for r in rows
            )
            or "no checkpoints"
        ),
    )
    return 0


def cmd_rollback(args: argparse.Namespace) -> int:
    from core import runs

    edit = _parse_json(args.edit, "--edit") if args.edit is not None else None
    fork = runs.rollback(args.run_id, args.checkpoint, actor=_actor(), reason=args.reason, edit=edit)
    result: dict[str, Any] = {"run_id": runs.parse_run_id(args.run_id), "fork_checkpoint_id": fork}
    if not args.wait:
        _emit(args, result, lambda: " ".join(str(v) for v in result.values()))
        return 0
    run = _wait(result["run_id"])
    result.update(status=run.status.value, outcome=run.outcome)
    _emit(args, result, lambda: " ".join(str(v) for v in result.values() if v is not None))
    return _waited_code(run)


def cmd_send(args: argparse.Namespace) -> int:
    from core import runs

    if args.input is not None:
        raw = _parse_json(args.input, "--input")
    else:
        raw = _parse_json(_read_input_file(args.input_file, runs.MAX_INPUT_BYTES), str(args.input_file))
    run = runs.send(args.run_id, raw, actor=_actor())
    if not args.wait:
        _emit(args, run, lambda: f"{run.id} {run.status.value}")
        return 0
    run = _wait(run.id)
    _emit(args, run, lambda: _waited_text(run))
    return _waited_code(run)


def cmd_cancel(args: argparse.Namespace) -> int:
    from core import runs

    run = runs.cancel(args.run_id, actor=_actor(), reason=args.reason)
    _emit(args, run, lambda: f"{run.id} {run.status.value}")
    return 0


def cmd_threads(args: argparse.Namespace) -> int:
    from core import thread_queries as checkpoints  # cheap columns only: no LangGraph on this path

    found = checkpoints.list_threads(limit=args.limit, offset=args.offset, include_runs=args.all)
    _emit(
        args,
        [checkpoints.as_dict(t) for t in found],
        lambda: (
            "\n".join(
                f"{t.thread_id:<40} {t.checkpoints:>5} checkpoints  step {t.step if t.step is not None else '-':>3}"
                f"  {t.updated_at or ''}{'  run ' + t.run_id if t.run_id else ''}"
                for t in found
            )
            or "no threads"
        ),
    )
    return 0


def cmd_thread(args: argparse.Namespace) -> int:
    from core import checkpoints

    state = checkpoints.thread_state(args.thread_id, workflow_id=args.workflow)
    rows = checkpoints.thread_history(args.thread_id, workflow_id=args.workflow, limit=args.limit)
    data = {"state": checkpoints.as_dict(state), "history": [checkpoints.as_dict(r) for r in rows]}

    def text() -> str:
        out = [f"thread {state.thread_id}" + (f"  (run {state.run_id})" if state.run_id else "")]
        out.append(
            f"checkpoint {state.checkpoint_id}  step {state.step}  next: {', '.join(state.next) or '-'}"
        )
        for p in state.pending_interrupts:
            out.append(f"waiting at {p['node']} ({p['interrupt_id']}): {', '.join(p['actions'])}")
        out.append(f"values: {json.dumps(to_jsonable(state.values))[:2000]}")
        out += [f"  {r.checkpoint_id}  step {r.step}  {r.source or '-'}  {r.created_at or ''}" for r in rows]
        return "\n".join(out)

    _emit(args, data, text)
    return 0


def cmd_attach(args: argparse.Namespace) -> int:
    from core import runs

    run = runs.attach(args.thread_id, args.workflow_id, actor=_actor(), reason=args.reason)
    _emit(args, run, lambda: f"{run.id} {run.status.value}")
    return 0


def cmd_detach(args: argparse.Namespace) -> int:
    from core import runs

    thread_id = runs.detach(args.run_id, actor=_actor(), reason=args.reason)
    _emit(
        args,
        {"run_id": args.run_id, "thread_id": thread_id, "detached": True},
        lambda: f"detached {args.run_id}; thread {thread_id} kept",
    )
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    import asyncio

    from core.worker import exit_past_node_threads, run_worker_async

    if args.concurrency < 1:
        raise BadInput("--concurrency must be at least 1")
    print(f"worker started (concurrency {args.concurrency})", file=sys.stderr)
    asyncio.run(run_worker_async(args.concurrency))  # until SIGTERM / Ctrl-C: a graceful stop
    print("worker stopped", file=sys.stderr)
    exit_past_node_threads()
    return 0


def cmd_db_url(args: argparse.Namespace) -> int:
    """The URL of the database the console uses, for an application to share it.

    In embedded mode the server is started when it is not running (and left running,
    as every command does) and the schema made ready, so the URL printed (the
    application role's) works at once; a configured URL is only printed.
    """
    from core.config import load_settings
    from core.db import database_url, get_pool

    settings = load_settings()
    if settings.embedded:
        get_pool()  # the roles, the schema and their grants, before anyone uses the URL
    url = database_url(settings)
    shown = url if args.show_password else redact(url, url)
    _emit(args, {"url": shown, "embedded": settings.embedded}, lambda: shown)
    return 0


def cmd_roles(args: argparse.Namespace) -> int:
    from core import auth

    if args.identity is not None:
        if args.role is None:
            raise BadInput("give the role to grant: roles IDENTITY ROLE")
        role = auth.set_role(args.identity, args.role, actor=_actor())
        result: Any = {"identity": args.identity, "role": role.name.lower()}
        _emit(args, result, lambda: f"{args.identity} is now {role.name.lower()}")
        return 0
    me = _actor()
    rows = auth.list_roles()
    data = {
        "you": me,
        "your_role": auth.role_of(me).name.lower(),
        "read_only": auth.read_only(),
        "granted": rows,
    }
    lines = [f"you are {me} ({data['your_role']}){' — read-only mode' if data['read_only'] else ''}"]
    lines += [f"{r['actor']:<40} {r['role']:<9} by {r['updated_by']}" for r in rows]
    _emit(args, data, lambda: "\n".join(lines))
    return 0


def _one_line(text: str, limit: int = 200) -> str:
    """A comment on one terminal line: control characters shown as spaces, long ones cut."""
    flat = "".join(" " if ch < " " or ch == "\x7f" else ch for ch in text).strip()
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def cmd_audit(args: argparse.Namespace) -> int:
    from core import run_queries as runs  # the read side only: no LangGraph on this path

    rows = runs.audit_log(run_id=args.run, actor=args.actor, action=args.action, limit=args.limit)
    if args.csv:
        import csv

        writer = csv.writer(sys.stdout)
        writer.writerow(
            ["at", "actor", "action", "run_id", "checkpoint_id", "interrupt_id", "reason", "details"]
        )
        for r in rows:
            writer.writerow(
                [
                    r.at.isoformat(),
                    r.actor,
                    r.action,
                    r.run_id or "",
                    r.checkpoint_id or "",
                    r.interrupt_id or "",
                    r.reason or "",
                    json.dumps(r.details),
                ]
            )
        return 0
    _emit(
        args,
        rows,
        lambda: (
            "\n".join(
                f"{r.at:%Y-%m-%d %H:%M:%S}  {r.actor:<24} {r.action:<16} {r.run_id or '-':<36}"
                + (f"  {_one_line(r.reason)}" if r.reason else "")
                for r in rows
            )
            or "no audit entries"
        ),
    )
    return 0


DEFAULT_PRUNE_DAYS = 30.0


def cmd_prune(args: argparse.Namespace) -> int:
    from core import retention

    days = args.older_than
    if days is None:
        days = retention.scheduled_age()
        days = DEFAULT_PRUNE_DAYS if days is None else days
    report = retention.prune(days, dry_run=args.dry_run, actor=_actor(), batch_size=args.batch_size)

    def text() -> str:
        verb = "would remove" if report.dry_run else "removed"
        ages = ", ".join(f"{p} {d:g} d" for p, d in report.ages_days.items())
        lines = [
            f"{verb} {report.checkpoints_deleted} checkpoints, {report.writes_deleted} writes,"
            f" {report.blobs_deleted} blobs ({report.bytes_freed / 2**20:.1f} MB) from {report.runs_pruned} runs;"
            f" kept {report.checkpoints_kept} checkpoints (ages: {ages}; CRITICAL never)"
        ]
        lines += [f"skipped {rid}: {why}" for rid, why in report.runs_skipped.items()]
        return "\n".join(lines)

    _emit(args, report.as_dict(), text)
    return 0


# -------------------------------------------------------------- parsers


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


WAIT_HELP = "return when interrupted or finished; exit 1 when it finished without succeeding"


def configure_launch_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("launch", help="launch a workflow; prints the run id")
    p.add_argument("workflow_id")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--input", help="input as a JSON object")
    src.add_argument("--input-file", help="file holding the input JSON")
    src.add_argument("--sample", help="name of one of the workflow's sample inputs")
    p.add_argument(
        "--context", help="run context as a JSON object (checked against the graph's context_schema)"
    )
    p.add_argument("--config", help="configurable values as a JSON object (passed on every step)")
    p.add_argument("--priority", choices=PRIORITIES)
    p.add_argument(
        "--wait",
        action="store_true",
        help=WAIT_HELP,
    )
    p.set_defaults(func=cmd_launch)


def configure_runs_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("runs", help="list runs, newest first")
    p.add_argument("--status", choices=RUN_STATUSES)
    p.add_argument("--workflow")
    p.add_argument("--outcome", choices=OUTCOMES, help="only finished runs with this outcome")
    p.add_argument("--limit", type=_positive_int, default=50)
    p.set_defaults(func=cmd_runs)


def configure_decide_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("decide", help="decide a pending interrupt")
    p.add_argument("run_id")
    p.add_argument(
        "--action",
        required=True,
        choices=["approve", "reject", "edit", "respond", "ignore", "accept"],
        help="accept is Agent Inbox's name for approve",
    )
    p.add_argument(
        "--payload",
        "--args",
        dest="payload",
        help="JSON: edited arguments (edit); the response (respond: JSON, or plain text)",
    )
    p.add_argument("--comment")
    p.add_argument("--interrupt", help="interrupt id, when several are pending")
    p.add_argument("--wait", action="store_true", help=WAIT_HELP)
    p.set_defaults(func=cmd_decide)


def configure_history_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("history", help="checkpoints of a run, newest first")
    p.add_argument("run_id")
    p.add_argument("--limit", type=_positive_int, default=50)
    p.add_argument("--before", help="page on: checkpoints older than this id")
    p.set_defaults(func=cmd_history)


def configure_rollback_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("rollback", help="continue a run from an earlier checkpoint (a fork)")
    p.add_argument("run_id")
    p.add_argument("--checkpoint", required=True)
    p.add_argument(
        "--edit", help="JSON object of state channel → new value, merged over the checkpoint's values"
    )
    p.add_argument("--reason")
    p.add_argument("--wait", action="store_true", help=WAIT_HELP)
    p.set_defaults(func=cmd_rollback)


def configure_send_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "send", help="give a finished run's thread its next input and run it again (a chat's next turn)"
    )
    p.add_argument("run_id")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--input", help='the next input as JSON, e.g. {"messages": "and tomorrow?"}')
    src.add_argument("--input-file", help="file holding the input JSON")
    p.add_argument("--wait", action="store_true", help="return when interrupted or finished")
    p.set_defaults(func=cmd_send)


def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError("must not be negative")
    return value


def configure_threads_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("threads", help="threads in the checkpoint tables that are not console runs")
    p.add_argument("--limit", type=_positive_int, default=50)
    p.add_argument("--offset", type=_non_negative_int, default=0)
    p.add_argument("--all", action="store_true", help="include threads that are runs")
    p.set_defaults(func=cmd_threads)
    t = sub.add_parser("thread", help="state, pending interrupts and history of any thread (read-only)")
    t.add_argument("thread_id")
    t.add_argument("--workflow", help="read it through this registered workflow's graph")
    t.add_argument("--limit", type=_positive_int, default=50)
    t.set_defaults(func=cmd_thread)
    a = sub.add_parser(
        "attach", help="attach a thread to a workflow so it can be operated; prints the run id"
    )
    a.add_argument("thread_id")
    a.add_argument("workflow_id")
    a.add_argument("--reason")
    a.set_defaults(func=cmd_attach)
    d = sub.add_parser(
        "detach", help="forget an attached run (its events and interrupts); the thread itself is kept"
    )
    d.add_argument("run_id")
    d.add_argument("--reason")
    d.set_defaults(func=cmd_detach)


def _days(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of days") from None
    if not (0 <= value < float("inf")):
        raise argparse.ArgumentTypeError("must be a finite number of days, 0 or more")
    return value


def configure_prune_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("prune", help="thin out the checkpoint history of finished runs (admins)")
    p.add_argument(
        "--older-than",
        type=_days,
        metavar="DAYS",
        help="base age: LOW/MEDIUM runs finished this long ago, HIGH 3x, CRITICAL never"
        " (default: LGOPS_PRUNE_OLDER_THAN_DAYS, else 30)",
    )
    p.add_argument("--dry-run", action="store_true", help="report what would go; write nothing")
    p.add_argument("--batch-size", type=_positive_int, default=50, help="runs per transaction")
    p.set_defaults(func=cmd_prune)


class _OneLineParser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (``--help`` still shows the usage)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"error: {self.prog.removeprefix('python -m core ')}: {message} (see --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _OneLineParser(prog="python -m core", description="LangGraph operator console")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("workflows", help="list registered workflows").set_defaults(func=cmd_workflows)
    configure_launch_parser(sub)
    configure_runs_parser(sub)
    show = sub.add_parser("show", help="status, pending interrupts, values and timeline of a run")
    show.add_argument("run_id")
    show.set_defaults(func=cmd_show)
    configure_decide_parser(sub)
    configure_history_parser(sub)
    configure_rollback_parser(sub)
    configure_send_parser(sub)
    configure_prune_parser(sub)
    cancel = sub.add_parser("cancel", help="cancel a run")
    cancel.add_argument("run_id")
    cancel.add_argument("--reason")
    cancel.set_defaults(func=cmd_cancel)
    roles = sub.add_parser("roles", help="show roles; with IDENTITY ROLE, grant one (admin)")
    roles.add_argument("identity", nargs="?")
    roles.add_argument("role", nargs="?", choices=["viewer", "operator", "approver", "admin"])
    roles.set_defaults(func=cmd_roles)
    audit = sub.add_parser("audit", help="the audit log, newest first")
    audit.add_argument("--run")
    audit.add_argument("--actor")
    audit.add_argument("--action")
    audit.add_argument("--limit", type=_positive_int, default=200)
    audit.add_argument("--csv", action="store_true", help="CSV on stdout")
    audit.set_defaults(func=cmd_audit)
    configure_threads_parser(sub)
    db_url = sub.add_parser(
        "db-url", help="the database URL the console uses (password shown as *** unless --show-password)"
    )
    db_url.add_argument("--show-password", action="store_true", help="print the password as it is")
    db_url.set_defaults(func=cmd_db_url)
    worker = sub.add_parser("worker", help="run a worker that executes queued runs")
    worker.add_argument("--concurrency", type=_positive_int, default=1)
    worker.set_defaults(func=cmd_worker)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if any("\x00" in a for a in argv):  # PostgreSQL cannot store it; refuse before anything runs
        print("error: an argument contains a NUL character", file=sys.stderr)
        return 2
    parser = build_parser()
    try:
        args = parser.parse_args(_reorder(argv))
    except SystemExit as exc:  # argparse already printed a one-line usage error
        return 0 if exc.code == 0 else 2
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.WARNING, stream=sys.stderr)
    try:
        _actor()  # a foreign LGOPS_ACTOR is refused before any command runs
        return args.func(args)
    except LgopsError as exc:
        if args.debug:
            raise
        print(redact(f"error: {exc}"), file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # noqa: BLE001 - never a traceback wall for an operator
        if args.debug:
            raise
        first = (str(exc).strip().splitlines() or [""])[0]
        print(redact(f"error: {type(exc).__name__}: {first} (run with --debug for details)"), file=sys.stderr)
        return 1


def _reorder(argv: list[str]) -> list[str]:
    """Move global flags in front of the sub-command so argparse accepts them."""
    flags = [a for a in argv if a in ("--json", "--debug")]
    rest = [a for a in argv if a not in ("--json", "--debug")]
    return flags + rest
