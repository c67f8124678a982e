"""Threads: LangGraph threads your application wrote itself, read-only; attach one to operate it."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import components as ui
from dashboard import services

PAGE_SIZES = (10, 25, 50)

ss = st.session_state
ss.setdefault("threads_page", 0)
ss.setdefault("threads_page_size", 25)
ss.setdefault("threads_flash", None)


def _detach_form(run_id: str, thread_id: str) -> None:
    """Detach: the run, its events and interrupts go; the thread and the audit log stay."""
    blocked = services.why_not("detach")
    with st.form("threads_detach", border=True):
        st.caption(
            "Detach: the console forgets this run (its timeline and interrupts); the thread's checkpoints"
            " are not touched, so it is listed here again and can be attached again."
        )
        st.text_input(
            "Reason (recorded in the audit log)",
            key="threads_detach_reason",
            max_chars=500,
            disabled=bool(blocked),
        )
        detach = st.form_submit_button(
            "Detach", icon=":material/link_off:", disabled=bool(blocked), help=blocked
        )
    if blocked:
        st.caption(f":material/lock: {blocked}")
    if detach:
        try:
            services.detach(run_id, ss.threads_detach_reason)
            ss.threads_flash = ("ok", f"Detached run {run_id[:8]}…; thread {thread_id} kept.", None)
        except services.LgopsError as exc:
            ss.threads_flash = ("err", str(exc), None)
        st.rerun()


st.title("Threads")
st.caption(
    "Threads in the checkpoint tables that are not console runs: conversations and jobs your own"
    " LangGraph application saved with its PostgresSaver. Read them here; attach one to a registered"
    " workflow to decide its interrupts, roll it back and see it in the runs list."
)

try:
    threads, total = services.list_threads(
        limit=ss.threads_page_size, offset=ss.threads_page * ss.threads_page_size
    )
except services.LgopsError as exc:
    ui.render_error(exc)
    st.stop()

if ss.threads_flash:
    kind, text, run_id = ss.threads_flash
    ui.render_flash(kind, text)
    if run_id:
        st.page_link(
            "app_pages/run_detail.py",
            label="Open the run",
            icon=":material/monitoring:",
            query_params={"run": run_id},
        )
    ss.threads_flash = None

if total == 0:
    st.info(
        "No thread outside the console's runs. To see your application's threads here, point the console at a"
        " database where your application writes checkpoints (the same DATABASE_URL its PostgresSaver uses).",
        icon=":material/account_tree:",
    )
    if not st.query_params.get("thread"):  # an attached run's thread can still be opened by id
        st.stop()

selection = None
if total:
    pages = max(1, -(-total // ss.threads_page_size))
    if ss.threads_page >= pages:
        ss.threads_page = pages - 1
        st.rerun()

    frame = pd.DataFrame(
        [
            {
                "thread": t.thread_id,
                "checkpoints": t.checkpoints,
                "step": t.step,
                "source": t.source or "",
                "updated": (t.updated_at or "")[:19].replace("T", " "),
            }
            for t in threads
        ]
    )
    st.caption(
        f"{total} thread(s) · page {ss.threads_page + 1} of {pages}, newest first · select one to inspect it"
    )
    selection = st.dataframe(
        frame,
        hide_index=True,
        width="stretch",
        on_select="rerun",
        selection_mode="single-row",
        key="threads_table",
        column_config={"thread": st.column_config.TextColumn("thread", width="large")},
    )
    p1, p2, p3, p4 = st.columns([1, 2, 1, 1])
    if p1.button("← Newer", disabled=ss.threads_page == 0, width="stretch"):
        ss.threads_page -= 1
        st.rerun()
    p2.selectbox("Per page", PAGE_SIZES, key="threads_page_size", label_visibility="collapsed")
    if p3.button("Older →", disabled=ss.threads_page >= pages - 1, width="stretch"):
        ss.threads_page += 1
        st.rerun()
    if p4.button("Refresh", icon=":material/refresh:", width="stretch"):
        services.clear_caches()
        st.rerun()

chosen = selection.selection.rows if selection else []
wanted = st.query_params.get("thread")
ids = [t.thread_id for t in threads]
if chosen:
    thread_id = ids[chosen[0]]
elif wanted:
    thread_id = wanted
else:
    thread_id = ids[0] if ids else None
if not thread_id:
    st.stop()
st.query_params["thread"] = thread_id

st.divider()
st.subheader(f"Thread {ui.md_escape(thread_id)}")
try:
    state = services.thread_state(thread_id)
    history = services.thread_history(thread_id)
except services.LgopsError as exc:
    ui.render_error(exc)
    st.stop()

if state.run_id:
    st.info("This thread is already a console run.", icon=":material/link:")
    st.page_link(
        "app_pages/run_detail.py",
        label="Open the run",
        icon=":material/monitoring:",
        query_params={"run": state.run_id},
    )
    if state.run_id != thread_id:  # attached, not launched: the console can let go of it
        _detach_form(state.run_id, thread_id)
    st.stop()

m1, m2, m3 = st.columns(3)
m1.metric("step", state.step if state.step is not None else "—", border=True)
m2.metric("next", ui.md_escape(", ".join(state.next)) or "(end)", border=True)
m3.metric("pending interrupts", len(state.pending_interrupts), border=True)

labels = ["State", f"Pending interrupts ({len(state.pending_interrupts)})", f"History ({len(history)})"]
if state.pending_interrupts:  # what the thread waits for comes first
    interrupts_tab, state_tab, history_tab = st.tabs([labels[1], labels[0], labels[2]])
else:
    state_tab, interrupts_tab, history_tab = st.tabs(labels)
with state_tab:
    ui.render_json("Values at the latest checkpoint", state.values, expanded=True)
with interrupts_tab:
    if not state.pending_interrupts:
        st.caption("Nothing is waiting: the thread finished, or stopped between steps.")
    for i, pending in enumerate(state.pending_interrupts):
        with st.container(border=True):
            st.markdown(
                f"at node {ui.md_code(pending.get('node') or '?')} · id {ui.md_code(pending.get('interrupt_id'))}"
            )
            ui.render_interrupt_request(
                services.interrupt_summary(pending.get("payload")), key=f"threads_int_{i}"
            )
    if state.pending_interrupts:
        st.caption("Read-only here: attach the thread to a workflow to decide its interrupts.")
with history_tab:
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "step": c.step,
                    "source": c.source or "",
                    "created": (c.created_at or "")[:23].replace("T", " "),
                    "line": "current" if c.branch == 0 else "abandoned",
                    "checkpoint": c.checkpoint_id,
                }
                for c in history
            ]
        ),
        hide_index=True,
        width="stretch",
    )

st.subheader("Attach to a workflow")
st.caption(
    "The thread becomes a run of the workflow you pick (its graph must match the one that wrote it): its"
    " interrupts reach the inbox and nothing runs until someone decides. Your application keeps its thread id."
)
blocked = services.why_not("attach")
workflow_ids = [w.id for w in services.workflows()]
with st.form("threads_attach", border=True):
    c1, c2 = st.columns([1, 2])
    c1.selectbox("Workflow", workflow_ids, key="threads_workflow", disabled=bool(blocked))
    c2.text_input(
        "Reason (recorded in the audit log)", key="threads_reason", max_chars=500, disabled=bool(blocked)
    )
    attach = st.form_submit_button(
        "Attach",
        type="primary",
        icon=":material/link:",
        disabled=bool(blocked) or not workflow_ids,
        help=blocked,
    )
if blocked:
    st.caption(f":material/lock: {blocked}")
if attach:
    try:
        run = services.attach(thread_id, ss.threads_workflow, ss.threads_reason)
        ss.threads_flash = (
            "ok",
            f"Attached thread {thread_id} as run {run.id[:8]}… ({run.status.value}).",
            run.id,
        )
        st.query_params.pop("thread", None)
    except services.LgopsError as exc:
        ss.threads_flash = ("err", str(exc), None)
    st.rerun()
