"""Reusable ``render_*`` pieces: graph view, sync-point bars, charts, JSON, badges.

Each takes plain data (event dicts, state values, explanation dicts) and draws
it; none reads the database. Values that come from runs (ids, labels, payloads)
are never passed to ``unsafe_allow_html``: they go through ``st.json``,
``st.code``, dataframes, or markdown with its special characters escaped.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

STATUS_COLORS = {
    "queued": "gray",
    "running": "blue",
    "interrupted": "orange",
    "succeeded": "green",
    "failed": "red",
    "cancelled": "violet",
}
STATUS_ICONS = {
    "queued": ":material/schedule:",
    "running": ":material/sync:",
    "interrupted": ":material/front_hand:",
    "succeeded": ":material/check_circle:",
    "failed": ":material/error:",
    "cancelled": ":material/block:",
}
OUTCOME_COLORS = {
    "succeeded": "green",
    "failed": "red",
    "rejected": "red",
    "compensated": "orange",
    "degraded": "orange",
    "timed_out": "red",
    "escalated": "blue",
    "cancelled": "violet",
}
OUTCOME_ICONS = {
    "succeeded": ":material/task_alt:",
    "failed": ":material/error:",
    "rejected": ":material/thumb_down:",
    "compensated": ":material/undo:",
    "degraded": ":material/warning:",
    "timed_out": ":material/timer_off:",
    "escalated": ":material/support_agent:",
    "cancelled": ":material/block:",
}

NODE_FILL = {
    "pending": "#f1f5f9",
    "running": "#fde68a",
    "done": "#bbf7d0",
    "failed": "#fecaca",
    "waiting": "#bfdbfe",
}
NODE_LABEL = {
    "pending": "pending",
    "running": "running",
    "done": "done",
    "failed": "failed",
    "waiting": "waiting for operator",
}
MAX_BRANCH_CHIPS = 8

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~$:])")
# GitHub-flavoured markdown links bare URLs and e-mail addresses found in the text once escapes
# are resolved, so escaping alone leaves them links: an invisible word joiner goes where those
# patterns need "://", "www." and "@" unbroken.
_AUTOLINK = re.compile(r"(?<=:)(?=//)|(?<=www)(?=\\\.)|(?<=@)", re.IGNORECASE)
WORD_JOINER = "\u2060"


def md_escape(text: Any) -> str:
    """A user-supplied value for anything Streamlit renders as markdown: no formatting, links or HTML."""
    return _AUTOLINK.sub(WORD_JOINER, _MD_SPECIAL.sub(r"\\\1", str(text)))


def plot_text(text: Any) -> str:
    """A label for a plotly chart: plotly draws the tags it knows (<b>, <a href>, ...) in text; escaped, they show as typed."""
    return html.escape(str(text), quote=False)


def md_code(text: Any) -> str:
    """A value as inline code for st.markdown (backticks removed, nothing else to escape)."""
    return "`" + str(text).replace("`", "'") + "`"


def render_status_badge(status: str) -> None:
    """A coloured badge for a run status."""
    st.badge(status, color=STATUS_COLORS.get(status, "gray"), icon=STATUS_ICONS.get(status))


def outcome_label(outcome: str | None) -> str:
    """A run's outcome for a table cell (``—`` while it has none: not finished)."""
    return (outcome or "—").replace("_", " ")


def render_outcome_badge(outcome: str | None) -> None:
    """A coloured badge for a finished run's outcome (nothing before it finishes)."""
    if outcome:
        st.badge(
            f"outcome: {outcome_label(outcome)}",
            color=OUTCOME_COLORS.get(outcome, "gray"),
            icon=OUTCOME_ICONS.get(outcome),
        )


def duration_text(seconds: float | None) -> str:
    """``850 ms`` / ``12.4 s`` / ``3 min 04 s`` / ``2 h 05 min``; ``—`` before a run started."""
    if seconds is None:
        return "—"
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    return f"{minutes // 60} h {minutes % 60:02d} min"


def elapsed_text(finished: bool, seconds: float | None) -> str:
    """A run's time for its header: ``took 1.8 s`` once finished, ``open for 3 min 04 s`` until then.

    An interrupted run is not finished: "took" would read as its total.
    """
    if seconds is None:
        return "never started" if finished else "not started yet"
    return f"took {duration_text(seconds)}" if finished else f"open for {duration_text(seconds)}"


def duration_cell(finished: bool, seconds: float | None) -> str:
    """A run's time in a table: ``1.8 s`` once finished, ``open 3 min 04 s`` until then, ``—`` before it started."""
    if seconds is None or finished:
        return duration_text(seconds)
    return f"open {duration_text(seconds)}"


def render_error(exc: BaseException, prefix: str = "") -> None:
    """One line for an operator, never a traceback (plain text: errors quote user input)."""
    text = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    st.error(f"{prefix}{md_escape(text)}", icon=":material/error:")


def render_flash(kind: str, text: str) -> None:
    """The one-shot outcome of an action ("ok" or an error), as plain text: it quotes user input."""
    (st.success if kind == "ok" else st.error)(md_escape(text))


def render_json(label: str, value: Any, *, expanded: bool = False) -> None:
    """A collapsible JSON viewer inside an expander (long values never spill over the page)."""
    with st.expander(label, expanded=expanded):
        if value in (None, {}, []):
            st.caption("Nothing here yet.")
        else:
            st.json(value, expanded=1 if expanded else False)


def ago(at: datetime | None, now: datetime | None = None) -> str:
    """'3 min ago'-style age of a timestamp."""
    if at is None:
        return "—"
    now = now or datetime.now(UTC)
    seconds = max(0.0, (now - at).total_seconds())
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"


def fmt_time(at: datetime | None) -> str:
    """A timestamp as local-free ISO text to the second."""
    return at.strftime("%Y-%m-%d %H:%M:%S") if isinstance(at, datetime) else "—"


# ------------------------------------------------------------------ health

START_WORKER = "start one with `python -m core worker`"


def health_line(health: Any) -> str:
    """Workers, jobs and stalled runs in one markdown line."""
    workers = health.live_workers
    stalled = len(health.stalled_run_ids)
    return " · ".join(
        [
            f"{':green' if workers else ':red'}[:material/memory: {workers} live worker{'s' if workers != 1 else ''}]",
            f"{health.jobs_waiting} job{'s' if health.jobs_waiting != 1 else ''} waiting",
            f"{health.jobs_running} running",
            f":orange[{stalled} stalled — will resume]" if stalled else "0 stalled",
        ]
    )


def no_worker(health: Any) -> bool:
    """True when work waits (queued jobs, stalled runs) and no worker is alive to do it."""
    return health.live_workers == 0 and bool(health.jobs_waiting or health.stalled_run_ids)


def render_health_strip(health: Any) -> None:
    """The queue at a glance (sidebar size)."""
    st.caption(health_line(health))
    if no_worker(health):
        st.caption(f":red[:material/warning: Runs are queued but no worker is alive:] {START_WORKER}.")


def render_no_worker_warning(health: Any) -> None:
    """A page-wide warning when work waits and no worker is alive."""
    if no_worker(health):
        st.warning(f"Runs are queued but no worker is alive: {START_WORKER}.", icon=":material/warning:")


# ------------------------------------------------------------------ interrupts

ACTION_LABELS = {
    "approve": "Approve",
    "reject": "Reject",
    "edit": "Edit",
    "respond": "Respond",
    "ignore": "Ignore",
}
ACTION_ICONS = {
    "approve": ":material/check:",
    "reject": ":material/close:",
    "edit": ":material/edit:",
    "respond": ":material/chat:",
    "ignore": ":material/visibility_off:",
}


def decision_payload(action: str, edit_text: str | None, respond_text: str | None) -> Any:
    """What an operator's form sends with ``action``; ValueError when the edit is not JSON.

    ``edit`` sends the edited JSON; ``respond`` sends JSON when the text parses
    as JSON, else the text itself (a plain interrupt may want a dict, an Agent
    Inbox one a sentence); other actions send nothing.
    """
    if action == "edit":
        try:
            return json.loads(edit_text or "{}")
        except json.JSONDecodeError as exc:
            raise ValueError(
                f"the edited arguments are not valid JSON: {exc.msg} at line {exc.lineno}"
            ) from None
        except RecursionError:
            raise ValueError("the edited arguments are nested too deeply") from None
    if action == "respond":
        text = (respond_text or "").strip()
        if not text:
            return None
        try:
            return json.loads(text)
        except (json.JSONDecodeError, RecursionError):
            return text
    return None


def render_interrupt_request(summary: Mapping[str, Any], *, key: str) -> None:
    """What the interrupt asks: its convention, description and proposed call(s)."""
    st.caption(
        md_escape(
            f"{summary.get('convention_label') or summary.get('convention')} · allows "
            + (", ".join(summary.get("actions") or []) or "no action")
        )
    )
    if summary.get("description"):
        st.markdown(md_escape(str(summary["description"])[:600]))
    requests = summary.get("requests")
    if requests:
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "tool call": r.get("name"),
                        "args": json.dumps(r.get("args"), default=str),
                        "allows": ", ".join(map(str, r.get("allowed") or [])),
                    }
                    for r in requests
                ]
            ),
            hide_index=True,
            width="stretch",
            key=f"{key}_requests",
        )
    elif summary.get("title") or summary.get("args") is not None:
        title = str(summary.get("title") or "payload")[:60]
        render_json(f"Proposed: {md_escape(title)}", summary.get("args"))


def render_decision_form(
    summary: Mapping[str, Any],
    *,
    key: str,
    on_decide: Callable[[str, Any, str | None], None],
    disabled_reason: str | None = None,
) -> None:
    """One form with exactly the actions an interrupt allows.

    ``on_decide(action, payload, comment)`` runs as the button's callback
    (before the rerun), so a click counts even if the item is gone by then.
    An edit that is not JSON is reported here and nothing is sent.
    """
    ss = st.session_state
    actions = list(summary.get("actions") or [])
    problem_key = f"{key}_problem"
    if ss.get(problem_key):
        st.error(md_escape(ss.pop(problem_key)), icon=":material/error:")

    def submit(action: str) -> None:
        try:
            payload = decision_payload(action, ss.get(f"{key}_edit"), ss.get(f"{key}_respond"))
        except ValueError as exc:
            ss[problem_key] = str(exc)
            return
        on_decide(action, payload, ss.get(f"{key}_comment") or None)

    with st.form(key, border=False):
        disabled = disabled_reason is not None
        st.text_input(
            "Comment", key=f"{key}_comment", max_chars=2000, placeholder="optional", disabled=disabled
        )
        if "edit" in actions:
            template = summary.get("edit_template")
            st.text_area(
                "Edited decisions (JSON, sent by Edit)"
                if template
                else "Edited arguments (JSON, sent by Edit)",
                key=f"{key}_edit",
                value=json.dumps(template if template else (summary.get("args") or {}), indent=2),
                height=160 if template else 120,
                disabled=disabled,
                help="One decision per tool call: edit where allowed, approve or reject the others."
                if template
                else None,
            )
        if "respond" in actions:
            st.text_area(
                "Response (text or JSON, sent by Respond)", key=f"{key}_respond", height=80, disabled=disabled
            )
        buttons = st.columns(max(len(actions), 1) + 2)
        for col, action in zip(buttons, actions, strict=False):
            col.form_submit_button(
                ACTION_LABELS.get(action, action.capitalize()),
                type="primary" if action == "approve" else "secondary",
                icon=ACTION_ICONS.get(action),
                width="stretch",
                key=f"{key}_do_{action}",
                on_click=submit,
                args=(action,),
                disabled=disabled,
                help=disabled_reason,
            )
        if not actions:
            st.caption("This interrupt allows no operator action.")
            st.form_submit_button("Nothing to do", disabled=True)
    if disabled_reason:
        st.caption(f":material/lock: {disabled_reason}")


# ------------------------------------------------------------------ graph view


FAILED_REPORTS = frozenset({"failed", "timed_out", "timeout", "error"})
"""Statuses a ``branch`` report gives a branch or source that did not deliver (drawn red)."""


def failed_tasks(event_rows: Iterable[Mapping[str, Any]]) -> set[str]:
    """Tasks that ended without raising but reported their branch or source as failed.

    A parallel branch or a fan-out source catches its own error and returns (the
    run goes on), so its task ends with ``node_end``; the ``branch`` report it
    emitted while running (``status`` failed / timed_out, ``node`` and
    ``branch_id`` or ``branch``) says the work failed. The report belongs to the
    open task of that node (and branch, when tasks carry one).
    """
    open_tasks: dict[str, tuple[str, str | None]] = {}
    failed: set[str] = set()
    for event in event_rows:
        kind, node, task = event.get("kind"), event.get("node"), event.get("task_id")
        data = event.get("data") or {}
        if kind == "node_start" and node and task:
            open_tasks[task] = (node, data.get("branch"))
        elif kind in ("node_end", "node_error", "node_interrupt") and task:
            open_tasks.pop(task, None)
        elif kind == "branch":
            where = node or data.get("node")
            branch = data.get("branch_id") or data.get("branch")
            for candidate, (task_node, task_branch) in reversed(open_tasks.items()):
                if task_node == where and task_branch in (None, branch):
                    if data.get("status") in FAILED_REPORTS:
                        failed.add(candidate)
                    break
    return failed


def node_states(
    event_rows: Iterable[Mapping[str, Any]], *, waiting_nodes: Iterable[str] = ()
) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """Each node's latest state, and the state of each Send branch per node, from events.

    A task is running between its ``node_start`` and its end event; the latest
    task of a node decides the node's state; a node with several branches in
    flight is running while any is running and failed when its latest ones failed.
    A task that reported its branch or source failed (:func:`failed_tasks`) is failed.
    """
    event_rows = list(event_rows)
    reported_failed = failed_tasks(event_rows)
    by_task: dict[str, tuple[str, str | None, str]] = {}
    order: list[str] = []
    for event in event_rows:
        kind, node, task = event.get("kind"), event.get("node"), event.get("task_id")
        if not node or not task:
            continue
        data = event.get("data") or {}
        state = {
            "node_start": "running",
            "node_end": "done",
            "node_error": "failed",
            "node_interrupt": "waiting",
        }.get(kind)
        if state is None:
            continue
        if state == "done" and task in reported_failed:
            state = "failed"
        branch = data.get("branch") or (by_task.get(task) or (None, None, ""))[1]
        by_task[task] = (node, branch, state)
        if task in order:
            order.remove(task)
        order.append(task)
    nodes: dict[str, str] = {}
    branches: dict[str, dict[str, str]] = {}
    for task in order:
        node, branch, state = by_task[task]
        if branch:
            branches.setdefault(node, {})[branch] = state
        nodes[node] = state
    for node, per_branch in branches.items():
        states = set(per_branch.values())
        for candidate in ("running", "waiting", "failed"):
            if candidate in states:
                nodes[node] = candidate
                break
        else:
            nodes[node] = "done"
    waiting = set(waiting_nodes)
    for node in waiting:
        nodes[node] = "waiting"
    # A node recorded as interrupted earlier but no longer waiting was resumed later.
    for node, state in list(nodes.items()):
        if state == "waiting" and node not in waiting:
            nodes[node] = "done"
    return nodes, branches


def _dot_text(text: Any) -> str:
    return str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")[:60]


def branch_summary(per_branch: Mapping[str, str]) -> str:
    """``3/5 branches done · 1 failed`` — failed branches are never counted as done or remaining."""
    done = sum(1 for s in per_branch.values() if s == "done")
    failed = sum(1 for s in per_branch.values() if s == "failed")
    text = f"{done}/{len(per_branch)} branches done"
    return text + (f" · {failed} failed" if failed else "")


def graph_dot(
    shape: Mapping[str, Any],
    states: Mapping[str, str] | None = None,
    branches: Mapping[str, Mapping[str, str]] | None = None,
) -> str:
    """DOT source of a workflow graph, nodes filled by state, Send branches as chips."""
    states = states or {}
    branches = branches or {}
    lines = [
        "digraph G {",
        '  graph [rankdir=TB, bgcolor="transparent", nodesep=0.25, ranksep=0.35, fontname="Helvetica"];',
        '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=12, color="#64748b"];',
        '  edge [color="#94a3b8", arrowsize=0.6];',
    ]
    for node in shape["nodes"]:
        if node in ("__start__", "__end__"):
            label = "start" if node == "__start__" else "end"
            lines.append(
                f'  "{_dot_text(node)}" [label="{label}", shape=circle, fillcolor="#e2e8f0", fontsize=8];'
            )
            continue
        state = states.get(node, "pending")
        per_branch = branches.get(node) or {}
        label = _dot_text(node)
        if per_branch:
            label += "\\n" + branch_summary(per_branch)
        lines.append(
            f'  "{_dot_text(node)}" [label="{label}",'
            f' fillcolor="{NODE_FILL.get(state, NODE_FILL["pending"])}", tooltip="{NODE_LABEL.get(state, state)}"];'
        )
        for i, (branch, bstate) in enumerate(per_branch.items()):
            if i >= MAX_BRANCH_CHIPS:
                more = len(per_branch) - MAX_BRANCH_CHIPS
                lines.append(
                    f'  "{_dot_text(node)}::more" [label="+{more} more", shape=plaintext, style="", fontsize=8];'
                )
                lines.append(
                    f'  "{_dot_text(node)}" -> "{_dot_text(node)}::more" [style=dotted, arrowhead=none];'
                )
                break
            chip = f"{node}::{branch}"
            lines.append(
                f'  "{_dot_text(chip)}" [label="{_dot_text(branch)}", shape=box, fontsize=8, height=0.2,'
                f' fillcolor="{NODE_FILL.get(bstate, NODE_FILL["pending"])}"];'
            )
            lines.append(f'  "{_dot_text(node)}" -> "{_dot_text(chip)}" [style=dotted, arrowhead=none];')
    for source, target, conditional in shape["edges"]:
        style = " [style=dashed]" if conditional else ""
        lines.append(f'  "{_dot_text(source)}" -> "{_dot_text(target)}"{style};')
    lines.append("}")
    return "\n".join(lines)


def render_graph(
    shape: Mapping[str, Any],
    states: Mapping[str, str] | None = None,
    branches: Mapping[str, Mapping[str, str]] | None = None,
) -> None:
    """Draw a workflow graph with st.graphviz_chart, and a legend when states are shown."""
    # natural size: stretched to the page's width, a five-node graph is drawn 2,000 px tall
    st.graphviz_chart(graph_dot(shape, states, branches), width="content")
    if states is not None:
        st.caption(
            "Dashed edges are conditional. Node colours: "
            + " · ".join(
                f"{NODE_LABEL[s]}"
                + {
                    "pending": " (grey)",
                    "running": " (amber)",
                    "done": " (green)",
                    "failed": " (red)",
                    "waiting": " (blue)",
                }[s]
                for s in NODE_FILL
            )
        )


# ------------------------------------------------------------------ sync points


def _parse_at(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return None
    return None


def sync_first_seen(event_rows: Iterable[Mapping[str, Any]]) -> dict[str, datetime]:
    """When each sync point first appeared (its waiting started)."""
    seen: dict[str, datetime] = {}
    for event in event_rows:
        data = event.get("data") or {}
        if event.get("kind") == "sync_point" and data.get("name") and data["name"] not in seen:
            at = _parse_at(event.get("at"))
            if at:
                seen[data["name"]] = at
    return seen


# The thresholds of SPEC W1: a sync point at 100 % proceeds to the merge; from 75 % it waits for its
# final branches (a conditional proceed). One colour per level, for the chart and the inbox's bars.
SYNC_LEVELS = {
    "completed": ("#16a34a", "green"),
    "final": ("#f59e0b", "orange"),
    "waiting": ("#94a3b8", "gray"),
}
# st.progress takes no colour: each bar sits in a container keyed by its level, and this rule
# (static text, no run data) colours the bar's fill inside such containers.
_SYNC_BAR_CSS = (
    "<style>"
    + "".join(
        f'[class*="st-key-syncbar-{level}-"] [data-testid="stProgressBarTrack"] > div {{ background-color: {hex_}; }}'
        for level, (hex_, _) in SYNC_LEVELS.items()
    )
    + "</style>"
)


def sync_level(progress: float) -> str:
    """``completed`` at 100 %, ``final`` from 75 %, ``waiting`` below (the keys of ``SYNC_LEVELS``)."""
    return "completed" if progress >= 1.0 else "final" if progress >= 0.75 else "waiting"


def render_sync_bars(points: list[Mapping[str, Any]], key: str = "syncbars") -> None:
    """Sync points as plain progress bars coloured by threshold: the inbox's light view (a chart per item is slow to draw)."""
    st.html(_SYNC_BAR_CSS)
    for i, p in enumerate(points):
        done, required = len(p.get("completed") or []), len(p.get("required") or [])
        remaining, failed = list(p.get("remaining") or []), list(p.get("failed") or [])
        progress = min(1.0, max(0.0, float(p.get("progress") or 0.0)))
        level = sync_level(progress)
        status = md_escape(str(p.get("status") or "?"))
        text = (
            f"{md_escape(str(p.get('name')))} · {done}/{required} done · :{SYNC_LEVELS[level][1]}[{status}]"
        )
        if remaining:
            text += f" · waiting for {md_escape(', '.join(map(str, remaining[:6])))}"
            text += f" (+{len(remaining) - 6})" if len(remaining) > 6 else ""
        if failed:
            text += f" · failed {md_escape(', '.join(map(str, failed[:6])))}"
        with st.container(key=f"syncbar-{level}-{key}-{i}"):
            st.progress(progress, text=text)


def render_sync_points(
    points: list[Mapping[str, Any]],
    first_seen: Mapping[str, datetime] | None = None,
    *,
    finished: bool = False,
    key: str = "sync",
) -> None:
    """Per sync point: progress bar against the 75 % and 100 % thresholds, counts, waiting time."""
    if not points:
        st.caption("No sync points reported by this run.")
        return
    st.plotly_chart(
        sync_point_figure(points), width="stretch", config={"displayModeBar": False}, key=f"{key}_bars"
    )
    rows = sync_point_rows(points, first_seen or {}, finished=finished, now=datetime.now(UTC))
    st.dataframe(
        pd.DataFrame(rows),
        hide_index=True,
        width="stretch",
        key=f"{key}_table",
        column_config={
            "remaining": st.column_config.TextColumn("remaining", width="medium"),
            "failed": st.column_config.TextColumn("failed", width="small"),
        },
    )


def _done_of(point: Mapping[str, Any]) -> str:
    return f"{len(point.get('completed') or [])}/{len(point.get('required') or [])}"


def sync_point_figure(points: list[Mapping[str, Any]]) -> go.Figure:
    """Horizontal progress bars, grey / amber from 75 % / green at 100 %, with both thresholds drawn."""
    names = [plot_text(p.get("name")) for p in points]
    progress = [float(p.get("progress") or 0.0) for p in points]
    colors = [SYNC_LEVELS[sync_level(v)][0] for v in progress]
    fig = go.Figure(
        go.Bar(
            x=[v * 100 for v in progress],
            y=names,
            orientation="h",
            marker_color=colors,
            text=[_done_of(p) for p in points],
            textposition="auto",
            hovertemplate="%{y}: %{x:.0f}%<extra></extra>",
        )
    )
    fig.add_vline(
        x=75, line_dash="dash", line_color="#f59e0b", annotation_text="75 %", annotation_position="top"
    )
    fig.add_vline(
        x=100, line_dash="dash", line_color="#16a34a", annotation_text="100 %", annotation_position="top"
    )
    fig.update_layout(
        height=90 + 38 * len(points),
        margin=dict(l=10, r=10, t=30, b=10),
        xaxis=dict(range=[0, 105], title="progress (%)"),
        yaxis=dict(autorange="reversed"),
        showlegend=False,
    )
    return fig


def _first_six(items: Iterable[Any]) -> str:
    """Up to six names and how many more, or a dash for none."""
    items = list(items or [])
    return ", ".join(map(str, items[:6])) + (f" (+{len(items) - 6})" if len(items) > 6 else "") or "—"


def sync_point_rows(
    points: list[Mapping[str, Any]], first_seen: Mapping[str, datetime], *, finished: bool, now: datetime
) -> list[dict[str, Any]]:
    """The table under the bars: status, counts, how long each point waited, what is left.

    A point waits from when it first appeared until it completed (or the run
    finished); one still open has waited until ``now``.
    """
    rows = []
    for p in points:
        start = first_seen.get(str(p.get("name")))
        done = float(p.get("progress") or 0) >= 1.0
        end = _parse_at(p.get("updated_at")) if (done or finished) else now
        waited = (end - start).total_seconds() if start and end else None
        rows.append(
            {
                "sync point": p.get("name"),
                "status": p.get("status"),
                "done": _done_of(p),
                "waited": f"{waited:.1f} s" if waited is not None else "—",
                "remaining": _first_six(p.get("remaining")),
                "failed": _first_six(p.get("failed")),
            }
        )
    return rows


# ------------------------------------------------------------------ branch charts


def branch_frame(event_rows: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """One row per reported branch attempt (``branch`` events), latest attempt last."""
    rows = []
    for event in event_rows:
        data = event.get("data") or {}
        branch = data.get("branch_id") or data.get("branch")
        if event.get("kind") == "branch" and branch:
            rows.append(
                {
                    "branch": str(branch),
                    "attempt": data.get("attempt", 1),
                    "status": data.get("status", "?"),
                    "execution_time": float(data.get("execution_time") or 0.0),
                    "throughput": float(data.get("throughput") or 0.0),
                    "quality": data.get("data_quality_score"),
                    "rows": data.get("rows", 0),
                    "node": data.get("node"),
                }
            )
    return pd.DataFrame(rows)


GREEN, RED = "#16a34a", "#dc2626"


def branch_colors(statuses: Iterable[str]) -> list[str]:
    """Green only for a branch or source that delivered; failed, timed out or unknown is red."""
    return [GREEN if s in ("success", "completed") else RED for s in statuses]


def render_branch_charts(frame: pd.DataFrame, *, key: str = "branches") -> None:
    """Execution time, throughput and quality per branch (latest attempt of each)."""
    if frame.empty:
        st.caption("No branch has reported yet.")
        return
    latest = frame.groupby("branch", sort=False).tail(1)
    colors = branch_colors(latest["status"])
    cols = st.columns(3)
    specs = (
        ("execution_time", "Execution time (s)"),
        ("throughput", "Throughput (rows/s)"),
        ("quality", "Quality (0–1)"),
    )
    for col, (field, title) in zip(cols, specs, strict=True):
        fig = go.Figure(
            go.Bar(
                x=latest["branch"].map(plot_text),
                y=latest[field].fillna(0),
                marker_color=colors,
                hovertemplate="%{x}: %{y}<extra></extra>",
            )
        )
        fig.update_layout(
            title=title, height=280, margin=dict(l=10, r=10, t=40, b=10), xaxis=dict(tickangle=-30)
        )
        if field == "quality":
            fig.update_yaxes(range=[0, 1])
        col.plotly_chart(fig, width="stretch", config={"displayModeBar": False}, key=f"{key}_{field}")
    if len(frame) > len(latest):
        st.caption(
            f"{len(frame) - len(latest)} earlier attempt(s) were retried; charts show the latest attempt."
        )


def events_frame(event_rows: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """The run's events as table rows: text everywhere, "" where a value is missing (never "None")."""

    def text(value: Any, limit: int = 160) -> str:
        if value is None or value == {}:
            return ""
        flat = " ".join((value if isinstance(value, str) else json.dumps(value, default=str)).split())
        return flat if len(flat) <= limit else flat[: limit - 1] + "…"

    rows = []
    for e in event_rows:
        data = e.get("data") if isinstance(e.get("data"), dict) else {}
        ms = e.get("duration_ms")
        rows.append(
            {
                "at": e.get("at"),
                "kind": text(e.get("kind")),
                "node": text(e.get("node")),
                "branch": text(data.get("branch") or data.get("branch_id")),
                "ms": f"{ms:.1f}" if isinstance(ms, int | float) else "",
                "data": text(e.get("data")),
            }
        )
    return pd.DataFrame(rows, columns=["at", "kind", "node", "branch", "ms", "data"])


def gantt_frame(event_rows: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """One bar per task from its ``node_start`` to its end event (open bars end now)."""
    event_rows = list(event_rows)
    reported_failed = failed_tasks(event_rows)
    starts: dict[str, dict[str, Any]] = {}
    rows = []
    for event in event_rows:
        task = event.get("task_id")
        if not task:
            continue
        kind = event.get("kind")
        data = event.get("data") or {}
        if kind == "node_start":
            starts[task] = {"node": event.get("node"), "branch": data.get("branch"), "start": event.get("at")}
        elif kind in ("node_end", "node_error", "node_interrupt") and task in starts:
            began = starts.pop(task)
            state = {"node_end": "done", "node_error": "failed", "node_interrupt": "waiting"}[kind]
            if state == "done" and task in reported_failed:
                state = "failed"
            rows.append({**began, "finish": event.get("at"), "state": state})
    now = datetime.now(UTC)
    for began in starts.values():
        rows.append({**began, "finish": now, "state": "running"})
    frame = pd.DataFrame(rows)
    if not frame.empty:
        frame["label"] = [
            f"{n} · {b}" if isinstance(b, str) and b else str(n)
            for n, b in zip(frame["node"], frame["branch"], strict=True)
        ]
    return frame


def render_gantt(frame: pd.DataFrame, *, key: str = "gantt") -> None:
    """Gantt timeline of every node and branch."""
    if frame.empty:
        st.caption("No node has started yet.")
        return
    import plotly.express as px

    frame = frame.copy()
    frame["label"] = frame["label"].map(plot_text)
    frame["start"] = pd.to_datetime(frame["start"], utc=True)
    frame["finish"] = pd.to_datetime(frame["finish"], utc=True)
    # Zero-length tasks would be invisible.
    frame["finish"] = frame[["start", "finish"]].max(axis=1) + pd.Timedelta(milliseconds=5)
    fig = px.timeline(
        frame,
        x_start="start",
        x_end="finish",
        y="label",
        color="state",
        color_discrete_map={
            "done": "#16a34a",
            "failed": "#dc2626",
            "waiting": "#3b82f6",
            "running": "#f59e0b",
        },
    )
    fig.update_yaxes(autorange="reversed", title=None)
    labels = frame["label"].nunique()
    fig.update_layout(
        height=min(120 + 24 * labels, 900), margin=dict(l=10, r=10, t=10, b=10), legend_title=None
    )
    st.plotly_chart(fig, width="stretch", config={"displayModeBar": False}, key=key)


def render_attribution(attribution: Mapping[str, float] | None, *, key: str = "attribution") -> None:
    """Share of the merged result each branch contributed (merge source attribution)."""
    if not attribution:
        st.caption("No merge yet: source attribution appears once the branches are merged.")
        return
    items = sorted(attribution.items(), key=lambda kv: kv[1], reverse=True)
    fig = go.Figure(
        go.Pie(labels=[plot_text(k) for k, _ in items], values=[v for _, v in items], hole=0.45, sort=False)
    )
    fig.update_layout(height=300, margin=dict(l=10, r=10, t=10, b=10))
    st.plotly_chart(fig, width="stretch", config={"displayModeBar": False}, key=key)


# ------------------------------------------------------------------ routing


def render_scores(explanation: Mapping[str, Any], *, title: str = "", key: str = "scores") -> None:
    """Raw and constrained scores of every decision, side by side; the winner outlined."""
    raw = explanation.get("raw_scores") or {}
    constrained = explanation.get("constrained_scores") or {}
    decisions = list(raw)
    labels = [plot_text(d) for d in decisions]
    chosen = explanation.get("chosen")
    viable = set(explanation.get("viable") or [])
    fig = go.Figure()
    fig.add_bar(name="raw", x=labels, y=[raw[d] for d in decisions], marker_color="#94a3b8")
    fig.add_bar(
        name="constrained",
        x=labels,
        y=[constrained.get(d, 0) for d in decisions],
        marker_color=[
            "#16a34a" if d == chosen else "#3b82f6" if d in viable else "#cbd5e1" for d in decisions
        ],
        marker_line_color=["#000" if d == chosen else "rgba(0,0,0,0)" for d in decisions],
        marker_line_width=2,
    )
    fig.update_layout(
        barmode="group",
        title=title or None,
        height=320,
        margin=dict(l=10, r=10, t=40 if title else 10, b=10),
        xaxis=dict(tickangle=-20),
        legend=dict(orientation="h", y=1.1),
    )
    st.plotly_chart(fig, width="stretch", config={"displayModeBar": False}, key=key)


def viability_frame(explanation: Mapping[str, Any]) -> pd.DataFrame:
    """Viability of every decision with the checks that decided it."""
    raw = explanation.get("raw_scores") or {}
    constrained = explanation.get("constrained_scores") or {}
    rows = []
    for v in explanation.get("viability") or []:
        d = v.get("decision")
        rows.append(
            {
                "decision": d,
                "raw": round(float(raw.get(d, 0)), 3),
                "constrained": round(float(constrained.get(d, 0)), 3),
                "viable": bool(v.get("viable")),
                "why": "; ".join(map(str, v.get("reasons") or [])),
                "chosen": d == explanation.get("chosen"),
            }
        )
    return pd.DataFrame(rows)


# ------------------------------------------------------------------ chat transcript

CHAT_AVATARS = {
    "human": "user",
    "ai": "assistant",
    "system": ":material/settings:",
    "tool": ":material/build:",
}


def render_transcript(lines: Iterable[Any]) -> None:
    """Messages as a chat: who, the text (plain, never markdown from the model), tool calls with args."""
    for line in lines:
        avatar = CHAT_AVATARS.get(line.role, ":material/chat:")
        with st.chat_message("user" if line.role == "human" else "assistant", avatar=avatar):
            who = line.role + (f" · {line.name}" if line.name else "")
            if line.status == "error":
                who += " · error"
            st.caption(md_escape(who))
            if line.text:
                st.markdown(md_escape(line.text))
            for call in line.tool_calls:
                st.markdown(f":material/build: {md_code(call.name)}")
                st.json(call.args, expanded=True)
            if not line.text and not line.tool_calls:
                st.caption("(empty)")
