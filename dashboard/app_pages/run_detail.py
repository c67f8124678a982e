"""One run, live: graph with node states, sync points, branch charts, timeline, state."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from dashboard import components as ui
from dashboard import services

REFRESH_SECONDS = 2.0

ss = st.session_state
ss.setdefault("run_detail_id", "")
ss.setdefault("run_detail_flash", None)

run_id = st.query_params.get("run") or ss.run_detail_id
st.title("Run")
if not run_id:
    st.info("Open a run from the Runs page, or paste its id.", icon=":material/info:")
    typed = st.text_input("Run id", max_chars=64)
    if typed.strip():
        st.query_params["run"] = typed.strip()
        st.rerun()
    st.page_link("app_pages/runs.py", label="Go to runs", icon=":material/list:")
    st.stop()

try:
    run = services.get_run(run_id)
except services.LgopsError as exc:
    ui.render_error(exc)
    st.page_link("app_pages/runs.py", label="Back to runs", icon=":material/list:")
    st.stop()
ss.run_detail_id = run.id
st.query_params["run"] = run.id


def _header(run: Any) -> None:
    # The badge column is wide enough for "outcome: compensated" in one line (it was cut off).
    c1, c2, c3, c4, c5 = st.columns([3.4, 2, 1.8, 1.4, 1.3])
    c1.markdown(f"**{ui.md_escape(run.workflow_id)}** · `{run.id}`")
    with c2:
        ui.render_status_badge(run.status.value)
        ui.render_outcome_badge(run.outcome)
    with c3:  # "open for" counts on while the run is not finished (no read: the run as drawn)
        st.fragment(_times, run_every=None if run.status.finished else REFRESH_SECONDS)(run)
    c4.caption(f"by {ui.md_escape(services.short(run.created_by, 40))}")
    c5.caption(f"attempts {run.attempts} · {run.priority}")
    if run.error:
        st.error(ui.md_escape(services.short(run.error, 300)), icon=":material/error:")
    if _stalled(run):
        st.warning(
            "Stalled — will resume: the worker running this run stopped sending heartbeats;"
            " a live worker picks it up again.",
            icon=":material/heart_broken:",
        )
    elif run.status.value == "queued" and _no_worker():
        st.warning(
            "This run is queued but no worker is alive: start one with `python -m core worker`.",
            icon=":material/warning:",
        )


def _times(run: Any) -> None:
    """When the run was created, and how long it took (finished) or has been open (not yet)."""
    st.caption(
        f"created {ui.fmt_time(run.created_at)} · {ui.elapsed_text(run.status.finished, run.duration_seconds)}"
    )


def _no_worker() -> bool:
    try:
        return services.queue_health().live_workers == 0
    except services.LgopsError:
        return False


def _links(run: Any) -> None:
    cols = st.columns(4)
    cols[0].page_link(
        "app_pages/checkpoints.py",
        label="Checkpoints",
        icon=":material/history:",
        query_params={"run": run.id},
    )
    cols[1].page_link(
        "app_pages/routing.py",
        label="Routing decisions",
        icon=":material/alt_route:",
        query_params={"run": run.id},
    )
    cols[2].page_link(
        "app_pages/audit.py", label="Audit trail", icon=":material/fact_check:", query_params={"run": run.id}
    )
    if run.attached:  # detaching is done where threads are read (the thread itself stays)
        st.page_link(
            "app_pages/threads.py",
            label="Attached thread · open it to detach",
            icon=":material/link_off:",
            query_params={"thread": run.thread_id},
        )
    if not run.status.finished:
        blocked = services.why_not("cancel")
        with cols[3].popover("Cancel run", icon=":material/block:"):
            reason = st.text_input("Reason", key="run_detail_cancel_reason", max_chars=500)
            if blocked:
                st.caption(blocked)
            if st.button("Cancel this run", type="primary", key="run_detail_cancel", disabled=bool(blocked)):
                try:
                    services.cancel(run.id, reason)
                    st.toast("Run cancelled.")
                    st.rerun()
                except services.LgopsError as exc:
                    ui.render_error(exc)


def _pending(run: Any) -> list[Any]:
    """Interrupts still waiting (also while an earlier decision of the run is being applied)."""
    return [] if run.status.finished else services.pending_interrupts(run.id)


def _stalled(run: Any) -> bool:
    if run.status.finished:
        return False
    try:
        return run.id in services.queue_health().stalled_run_ids
    except services.LgopsError:
        return False


def _signature(run: Any, pending: list[Any]) -> tuple[Any, ...]:
    """What, when it changes, needs the whole page (header, decision forms, polling) redrawn."""
    return (
        run.status.value,
        run.outcome,
        run.attempts,
        tuple(p.interrupt_id for p in pending),
        _stalled(run),
    )


def _waiting_line(node: str | None, since: Any) -> None:
    """Where the run waits and for how long (a fragment of its own: the counter moves)."""
    st.markdown(f"at node {ui.md_code(node or '?')} · waiting {ui.ago(since)}")


def _decisions(run: Any, pending: list[Any]) -> None:
    """One form per waiting interrupt (parallel branches are decided one by one)."""
    if ss.run_detail_flash:
        kind, text = ss.run_detail_flash
        ui.render_flash(kind, text)
        ss.run_detail_flash = None
    if not pending:
        return
    blocked = services.why_not("decide")
    st.subheader(
        f":blue[:material/front_hand:] Waiting for an operator ({len(pending)})"
        if len(pending) > 1
        else ":blue[:material/front_hand:] Waiting for an operator"
    )
    for item in pending:
        key = f"run_detail_{item.interrupt_id}"
        with st.container(border=True):
            st.fragment(_waiting_line, run_every=REFRESH_SECONDS)(item.node, item.created_at)
            summary = services.interrupt_summary(item.payload)
            ui.render_interrupt_request(summary, key=key)
            ui.render_decision_form(
                summary,
                key=key,
                on_decide=services.decision_callback(
                    run.id, item.interrupt_id, item.node, flash_key="run_detail_flash"
                ),
                disabled_reason=blocked,
            )


def _message_box(run: Any) -> None:
    """The chat's next message, for graphs whose state holds messages: sent once the run has finished."""
    if services.message_key(run.workflow_id) is None:
        return
    blocked = services.why_not("send")
    if blocked is None and run.status.value != "succeeded":
        blocked = f"The run is {run.status.value}; the next message can be sent once it has succeeded."
    text = st.chat_input(
        blocked or "Send the next message (runs the thread again)",
        key="run_detail_send",
        disabled=bool(blocked),
        max_chars=20_000,
    )
    if not text:
        return
    try:
        services.send_message(run.id, run.workflow_id, text)
        ss.run_detail_flash = ("ok", "Message sent; the run is queued for its next turn.")
    except services.LgopsError as exc:
        ss.run_detail_flash = ("err", str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
    st.rerun()


def _timer_rerun() -> bool:
    """True when only the fragment is running (its timer), not the whole page.

    A full run already drew the page from fresh reads; rerunning it again
    would drop the one-shot message of the action that caused it.
    """
    ctx = get_script_run_ctx()
    return bool(ctx and ctx.fragment_ids_this_run)


def _run_events(run_id: str, signature: tuple[Any, ...]) -> list[dict[str, Any]]:
    """The run's events: only those after the last one held, once this run's events are held.

    Events are append-only with increasing ids, so each poll of the live view
    (and each rerun of the page, a click or a tab) asks for the events after
    the last one it holds (``after_id``) instead of re-reading the whole run.
    The whole run is read again when another run is shown or its signature
    changed (status, attempts, interrupts: a rollback or a resume).
    """
    held = ss.get("run_detail_events")
    if held and held["run"] == run_id and held["signature"] == signature:
        new = services.events(run_id, after_id=held["last_id"])
        if new:
            held["events"] = [*held["events"], *new]
            held["last_id"] = new[-1]["id"]
        return held["events"]
    events = services.events(run_id)
    ss.run_detail_events = {
        "run": run_id,
        "signature": signature,
        "events": events,
        "last_id": events[-1]["id"] if events else 0,
    }
    return events


def _live(run_id: str, drawn: tuple[Any, ...]) -> None:
    """The run's tabs, redrawn every few seconds until it finishes (the page's live fragment)."""
    try:
        run = services.get_run(run_id)
        pending = _pending(run)
        signature = _signature(run, pending)
        events = _run_events(run_id, signature)
    except services.LgopsError as exc:
        ui.render_error(exc)
        return
    if signature != drawn and _timer_rerun():
        st.rerun(scope="app")  # new interrupts, or finished: the full page redraws

    spec = services.workflow_or_none(run.workflow_id)
    values: dict[str, Any] = {}
    state_error: Exception | None = None
    try:
        values = services.current_state(run.id).values
    except Exception as exc:  # noqa: BLE001 - state of an unloadable workflow
        state_error = exc
    chats = services.transcript(values)
    names = ["Graph & sync points", "Branches", "Timeline", "State", "Store"]
    tabs = st.tabs(["Messages", *names] if chats else names, key="run_detail_tab")
    if chats:
        with tabs[0]:
            _messages(chats)
    overview, branches_tab, timeline_tab, state_tab, store_tab = tabs[-5:]
    with overview:
        _overview(run, events, pending)
    with branches_tab:
        _branches(events, values, spec)
    with timeline_tab:
        _timeline(events)
    with store_tab:
        _store_items(run.id)
    with state_tab:
        if state_error is not None:
            ui.render_error(state_error, "Cannot read the state: ")
        _state(run, values, spec)


def _overview(run: Any, events: list[dict[str, Any]], pending: list[Any]) -> None:
    """Sync points (when the workflow reports any) above the graph coloured by node state."""
    points = services.sync_progress(run.workflow_id, events)
    if points:
        st.subheader("Sync points")
        ui.render_sync_points(points, ui.sync_first_seen(events), finished=run.status.finished)
    st.subheader("Graph")
    try:
        shape = services.graph_shape(run.workflow_id)
    except Exception as exc:  # noqa: BLE001 - an unloadable workflow still shows its events
        ui.render_error(exc, "Cannot draw the graph: ")
        return
    states, branches = ui.node_states(events, waiting_nodes=[p.node for p in pending if p.node])
    if shape:
        ui.render_graph(shape, states, branches)


def _branches(events: list[dict[str, Any]], values: dict[str, Any], spec: Any) -> None:
    """Branch charts from the events; the merge's source attribution where the workflow declares one."""
    st.subheader("Branch performance")
    ui.render_branch_charts(ui.branch_frame(events))
    if spec is not None and spec.attribution_path:
        st.subheader("Merge source attribution")
        ui.render_attribution(services.value_at(values, spec.attribution_path))


def _timeline(events: list[dict[str, Any]]) -> None:
    st.subheader("Every node and branch")
    ui.render_gantt(ui.gantt_frame(events))
    frame = ui.events_frame(events)
    st.caption(f"{len(events)} event(s)")
    if not frame.empty:
        st.dataframe(
            frame,
            hide_index=True,
            width="stretch",
            height=320,
            column_config={"at": st.column_config.DatetimeColumn("at", format="HH:mm:ss.SSS")},
        )


def _state(run: Any, values: dict[str, Any], spec: Any) -> None:
    """Input, context, the whole state, then the values the workflow declares as panels of their own."""
    ui.render_json("Run input", run.input)
    if run.context is not None or run.config:
        ui.render_json("Run context", run.context)
        ui.render_json("Configurable", run.config)
    ui.render_json("Current state", services.jsonable(values))
    panels = list(spec.state_panels.items()) if spec is not None else []
    for index, (title, path) in enumerate(panels):
        value = services.value_at(values, path)
        if value:
            ui.render_json(title, services.jsonable(value), expanded=index == 0)  # the first is shown open


def _messages(chats: dict[str, list[Any]]) -> None:
    """The state's messages as a chat transcript (one per message key)."""
    for key, lines in chats.items():
        st.subheader(f"Messages ({len(lines)})" if len(chats) == 1 else f"{ui.md_escape(key)} ({len(lines)})")
        ui.render_transcript(lines)


def _store_items(run_id: str) -> None:
    """The store items this run wrote, read-only (the value of its last write of each)."""
    st.subheader("Store items written by this run")
    try:
        items = services.store_items(run_id)
    except services.LgopsError as exc:
        ui.render_error(exc)
        return
    if not items:
        st.caption("This run wrote nothing to its store.")
        return
    frame = pd.DataFrame(
        [
            {
                "namespace": " / ".join(i.namespace),
                "key": i.key,
                "value": "(deleted)"
                if i.deleted
                else services.short(json.dumps(i.value, ensure_ascii=False), 200),
                "updated_at": i.updated_at,
            }
            for i in items
        ]
    )
    st.dataframe(
        frame,
        hide_index=True,
        width="stretch",
        column_config={"updated_at": st.column_config.DatetimeColumn("updated at", format="HH:mm:ss.SSS")},
    )


_header(run)
_links(run)
finished = run.status.finished
try:
    pending = _pending(run)
except services.LgopsError as exc:
    ui.render_error(exc)
    pending = []
_decisions(run, pending)
_message_box(run)
st.fragment(_live, run_every=None if finished else REFRESH_SECONDS)(run.id, _signature(run, pending))
if not finished:
    st.caption(f"Live: refreshes every {REFRESH_SECONDS:g} s until the run finishes.")
