"""Runs: counts by status, then a filterable, sortable, paginated list (server-side)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import streamlit as st

from dashboard import components as ui
from dashboard import deeplinks, services

RANGES = {
    "any time": None,
    "last hour": timedelta(hours=1),
    "last 24 hours": timedelta(days=1),
    "last 7 days": timedelta(days=7),
    "last 30 days": timedelta(days=30),
}
SORTS = {"created": "created_at", "updated": "updated_at", "status": "status", "workflow": "workflow_id"}
PAGE_SIZES = (10, 25, 50, 100)
COLUMNS = (
    "open",
    "run",
    "workflow",
    "status",
    "outcome",
    "duration",
    "error",  # before who and when: on call, why a run failed matters first (visible at 1440 px)
    "created",
    "priority",
    "by",
    "updated",
)

ss = st.session_state
WORKFLOWS = ["all workflows", *[w.id for w in services.workflows()]]
URL = (
    deeplinks.Param("runs_status", "status", [], services.STATUSES),
    deeplinks.Param("runs_outcome", "outcome", [], services.OUTCOMES),
    deeplinks.Param("runs_workflow", "workflow", "all workflows", WORKFLOWS),
    deeplinks.Param("runs_range", "created", "any time", list(RANGES)),
    deeplinks.Param("runs_search", "q", ""),
    deeplinks.Param("runs_sort", "sort", "created", list(SORTS)),
    deeplinks.Param("runs_desc", "desc", True),
    deeplinks.Param("runs_page_size", "per_page", 25, PAGE_SIZES),
    deeplinks.Param("runs_page", "page", 0),
)
deeplinks.adopt("runs", URL)

st.title("Runs")

try:
    counts = services.counts_by_status()
except services.LgopsError as exc:
    ui.render_error(exc)
    st.stop()

cols = st.columns(len(counts))
for col, (status, n) in zip(cols, counts.items(), strict=True):
    col.metric(status, n, border=True)

try:
    health = services.queue_health()
except services.LgopsError as exc:
    health = None
    ui.render_error(exc, "Cannot read the queue: ")
if health is not None:
    ui.render_no_worker_warning(health)
    stalled = set(health.stalled_run_ids)
else:
    stalled = set()


def _reset_page() -> None:
    ss.runs_page = 0


with st.form("runs_filters", border=True):
    c1, c2, c3, c4 = st.columns([2, 2, 1.4, 2])
    c1.multiselect("Status", services.STATUSES, key="runs_status", placeholder="any status")
    c2.selectbox("Workflow", WORKFLOWS, key="runs_workflow")
    c3.selectbox("Created", list(RANGES), key="runs_range")
    c4.text_input(
        "Run id (or its first characters)", key="runs_search", max_chars=64, placeholder="e.g. 3f2a"
    )
    c5, c6, c7, c8 = st.columns([1.4, 1, 1, 3.6])
    c5.selectbox("Sort by", list(SORTS), key="runs_sort")
    c8.multiselect(
        "Outcome",
        services.OUTCOMES,
        key="runs_outcome",
        placeholder="any outcome",
        help="What a finished run did to its work (e.g. a saga that undid its steps is compensated).",
    )
    c6.toggle("Descending", key="runs_desc")
    c7.selectbox("Per page", PAGE_SIZES, key="runs_page_size")
    st.form_submit_button("Apply", type="primary", on_click=_reset_page, icon=":material/filter_alt:")

span = RANGES[ss.runs_range]
since = datetime.now(UTC).replace(second=0, microsecond=0) - span if span else None
try:
    page, total = services.list_runs(
        status=tuple(ss.runs_status),
        outcome=tuple(ss.runs_outcome),
        workflow_id=None if ss.runs_workflow == "all workflows" else ss.runs_workflow,
        search=ss.runs_search.strip() or None,
        since=since,
        sort=SORTS[ss.runs_sort],
        descending=ss.runs_desc,
        limit=ss.runs_page_size,
        offset=ss.runs_page * ss.runs_page_size,
    )
except services.LgopsError as exc:
    ui.render_error(exc)
    st.stop()

pages = max(1, -(-total // ss.runs_page_size))
if ss.runs_page >= pages:
    ss.runs_page = pages - 1
deeplinks.publish("runs", URL)  # filters and page in the URL: the view can be shared as a link

if total == 0:
    if sum(counts.values()) == 0:
        st.info("No runs yet. Launch a workflow to see it here.", icon=":material/rocket_launch:")
        st.page_link("app_pages/launch.py", label="Launch a workflow", icon=":material/rocket_launch:")
    else:
        st.info("No run matches these filters.", icon=":material/filter_alt_off:")
    st.stop()

frame = pd.DataFrame(
    [
        {
            "run": r.id,
            "workflow": r.workflow_id,
            "status": f"{r.status.value} · stalled — will resume" if r.id in stalled else r.status.value,
            "outcome": ui.outcome_label(r.outcome),
            "duration": ui.duration_cell(r.status.finished, r.duration_seconds),
            "priority": r.priority,
            "created": r.created_at,
            "updated": r.updated_at,
            "by": r.created_by,
            "error": services.short(r.error, 100) if r.error else "",
            "open": f"run?run={r.id}",
        }
        for r in page
    ]
)
st.caption(f"{total} run(s) match · page {ss.runs_page + 1} of {pages} · select a row to open it")
selection = st.dataframe(
    frame,
    hide_index=True,
    width="stretch",
    on_select="rerun",
    selection_mode="single-row",
    key="runs_table",
    column_config={
        "run": st.column_config.TextColumn("run", width="medium"),
        "created": st.column_config.DatetimeColumn("created", format="YYYY-MM-DD HH:mm:ss"),
        "updated": st.column_config.DatetimeColumn("updated", format="YYYY-MM-DD HH:mm:ss"),
        "error": st.column_config.TextColumn("error", width="medium"),
        "open": st.column_config.LinkColumn("open", display_text="open ↗", width="small"),
    },
    column_order=COLUMNS,  # the open link first: visible without scrolling at any width
)
chosen = selection.selection.rows if selection else []
if chosen:
    st.switch_page("app_pages/run_detail.py", query_params={"run": frame.iloc[chosen[0]]["run"]})

prev_col, info_col, next_col = st.columns([1, 3, 1])
if prev_col.button("← Previous", disabled=ss.runs_page == 0, width="stretch"):
    ss.runs_page -= 1
    st.rerun()
info_col.markdown(
    f"<div style='text-align:center'>page {ss.runs_page + 1} / {pages}</div>", unsafe_allow_html=True
)
if next_col.button("Next →", disabled=ss.runs_page >= pages - 1, width="stretch"):
    ss.runs_page += 1
    st.rerun()
