"""Approvals inbox: interrupts by Agent Inbox's views (waiting, decided, failed, all); decide here.

The list is a fragment that rereads the database every few seconds, so a new
interrupt appears without a click; the view lives in the URL (``?view=``). It
shows one page of items at a time: each item is a form with charts, and a
browser drawing hundreds of them (500 waiting) takes tens of seconds.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from dashboard import components as ui
from dashboard import deeplinks, services

REFRESH_SECONDS = 3
PAGE_SIZE = 10
VIEW_LABELS = {"waiting": "Waiting", "decided": "Decided", "failed": "Failed", "all": "All"}

ss = st.session_state
ss.setdefault("inbox_flash", None)
ss.setdefault("inbox_page", 0)
WORKFLOWS = ["all workflows", *[w.id for w in services.workflows()]]
URL = (
    deeplinks.Param("inbox_view", "view", "waiting", services.INBOX_VIEWS),
    deeplinks.Param("inbox_workflow", "workflow", "all workflows", WORKFLOWS),
)
deeplinks.adopt("inbox", URL)

st.title("Approvals inbox")


def _first_page() -> None:
    ss.inbox_page = 0


c1, c2, c3 = st.columns([2.2, 2, 1])
c1.segmented_control(
    "View",
    list(VIEW_LABELS),
    format_func=VIEW_LABELS.get,
    key="inbox_view",
    required=True,
    on_change=_first_page,
    help="Waiting: needs an operator · Decided: answered · Failed: of runs that failed · All: every interrupt.",
)
c2.selectbox("Workflow", WORKFLOWS, key="inbox_workflow", on_change=_first_page)
if c3.button("Refresh", icon=":material/refresh:", width="stretch"):
    services.clear_caches()
deeplinks.publish("inbox", URL)


def _render_context(node: str | None, context: dict[str, Any], key: str) -> None:
    """The state that matters for the decision, drawn when we know its shape."""
    if not context:
        return
    points = context.get("sync_points")
    if isinstance(points, list) and points:
        ui.render_sync_bars(
            [
                {
                    "name": p.get("sync_point"),
                    "required": p.get("required") or [],
                    "completed": p.get("completed_branches") or [],
                    "failed": p.get("failed_branches") or [],
                    "remaining": p.get("remaining_branches") or [],
                    "progress": p.get("progress") or 0,
                    "status": p.get("status"),
                    "updated_at": p.get("timestamp"),
                }
                for p in points
                if isinstance(p, dict)
            ],
            key=key,
        )
    elif "progress" in context:
        st.progress(
            min(1.0, float(context.get("progress") or 0)), text=f"progress {float(context['progress']):.0%}"
        )
    if "quality" in context and isinstance(context["quality"], (int, float)):
        q1, q2, q3 = st.columns(3)
        q1.metric("merged quality", f"{context['quality']:.3f}")
        if isinstance(context.get("success_rate"), (int, float)):
            q2.metric("success rate", f"{context['success_rate']:.0%}")
        if context.get("route") is not None:
            q3.metric("proposed route", ui.md_escape(context["route"]))
        if isinstance(context.get("source_attribution"), dict):
            ui.render_attribution(context["source_attribution"], key=f"{key}_attribution")
    ui.render_json("Context", context)


def _render_item(item: Any, siblings: list[str], blocked: str | None) -> None:
    """One interrupt: where it waits, what it asks, and the form (while pending) or the decision."""
    payload = item.payload if isinstance(item.payload, dict) else {}
    summary = services.interrupt_summary(item.payload)
    key = f"inbox_{item.run_id}_{item.interrupt_id}"
    with st.container(border=True):
        h1, h2, h3 = st.columns([3, 2, 1.2])
        h1.markdown(f"**{ui.md_escape(item.workflow_id or '?')}** · node {ui.md_code(item.node or '?')}")
        h2.page_link(
            "app_pages/run_detail.py",
            label=f"run {item.run_id[:8]}…",
            icon=":material/monitoring:",
            query_params={"run": item.run_id},
        )
        if item.status == "pending":
            h3.caption(f"waiting {ui.ago(item.created_at)}")
        elif item.status == "decided":
            h3.caption(f"decided {ui.ago(item.decided_at)} ago")
        else:
            h3.caption(f"{item.status} · asked {ui.ago(item.created_at)} ago")
        if item.status == "pending" and len(siblings) > 1:
            st.caption(
                f"Parallel branch {siblings.index(item.interrupt_id) + 1} of {len(siblings)} waiting in this run:"
                " each is decided on its own."
            )
        ui.render_interrupt_request(summary, key=key)
        context = payload.get("context")
        _render_context(item.node, context if isinstance(context, dict) else {}, key)
        if item.status == "decided":
            st.caption(f"Decided by {ui.md_code(item.decided_by or '?')}")
            ui.render_json("Response", item.response)
            return
        if item.status != "pending":
            return
        ui.render_decision_form(
            summary,
            key=key,
            on_decide=services.decision_callback(
                item.run_id,
                item.interrupt_id,
                item.node,
                flash_key="inbox_flash",
                where=f" for run {item.run_id[:8]}…",
            ),
            disabled_reason=blocked,
        )


@st.fragment(run_every=REFRESH_SECONDS)
def _items(view: str, workflow: str | None) -> None:
    """The view's interrupts, reread every few seconds (and after each decision made here)."""
    if ss.inbox_flash:
        kind, text = ss.inbox_flash
        ui.render_flash(kind, text)
        ss.inbox_flash = None
    try:
        items, total = services.inbox(workflow, view=view, limit=PAGE_SIZE, offset=ss.inbox_page * PAGE_SIZE)
        if not items and ss.inbox_page:  # the last page emptied (decided elsewhere): back to the first
            ss.inbox_page = 0
            items, total = services.inbox(workflow, view=view, limit=PAGE_SIZE)
    except services.LgopsError as exc:
        ui.render_error(exc)
        return
    if not items:
        empty = {
            "waiting": "Nothing is waiting for an operator.",
            "decided": "No interrupt has been decided yet.",
            "failed": "No interrupt belongs to a failed run.",
            "all": "No run has asked an operator anything yet.",
        }
        st.info(empty[view], icon=":material/inbox:")
        return
    order = "oldest first" if view == "waiting" else "newest first"
    first = ss.inbox_page * PAGE_SIZE
    shown = f" · {first + 1}–{first + len(items)} shown" if total > len(items) else ""
    st.caption(f"{total} {VIEW_LABELS[view].lower() if view != 'all' else 'interrupt(s)'}, {order}{shown}")
    blocked = services.why_not("decide")
    per_run: dict[str, list[str]] = {}
    for item in items:
        if item.status == "pending":
            per_run.setdefault(item.run_id, []).append(item.interrupt_id)
    for item in items:
        _render_item(item, per_run.get(item.run_id, []), blocked)
    if total > PAGE_SIZE:
        _pager(total)


def _pager(total: int) -> None:
    """Previous / next page of the view (inside the fragment: only the list redraws)."""
    pages = -(-total // PAGE_SIZE)

    def turn(by: int) -> None:
        ss.inbox_page = min(max(0, ss.inbox_page + by), pages - 1)

    prev_col, info_col, next_col = st.columns([1, 3, 1])
    prev_col.button(
        "← Previous",
        disabled=ss.inbox_page == 0,
        width="stretch",
        key="inbox_prev",
        on_click=turn,
        args=(-1,),
    )
    info_col.caption(f"page {ss.inbox_page + 1} / {pages}")
    next_col.button(
        "Next →",
        disabled=ss.inbox_page >= pages - 1,
        width="stretch",
        key="inbox_next",
        on_click=turn,
        args=(1,),
    )


_items(ss.inbox_view, None if ss.inbox_workflow == "all workflows" else ss.inbox_workflow)
st.caption(f"Refreshes every {REFRESH_SECONDS} s.")
