"""Audit log: who did what to which run, filterable, exportable as CSV."""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from dashboard import components as ui
from dashboard import services

PAGE = 100
EXPORT_LIMIT = 1000

ss = st.session_state
ss.setdefault("audit_run", st.query_params.get("run", ""))
ss.setdefault("audit_actor", "")
ss.setdefault("audit_action", "")
ss.setdefault("audit_page", 0)


def _reset() -> None:
    ss.audit_page = 0


st.title("Audit log")
with st.form("audit_filters"):
    c1, c2, c3 = st.columns([3, 2, 2])
    c1.text_input("Run id", key="audit_run", max_chars=64)
    c2.text_input("Actor (exact)", key="audit_actor", max_chars=200)
    c3.selectbox(
        "Action",
        ["", "launch", "attach", "decide", "send", "cancel", "rollback", "detach", "role_change", "prune"],
        key="audit_action",
        format_func=lambda a: a or "any action",
    )
    st.form_submit_button("Apply", type="primary", on_click=_reset, icon=":material/filter_alt:")

filters = {
    "run_id": ss.audit_run.strip() or None,
    "actor_name": ss.audit_actor.strip() or None,
    "action": ss.audit_action or None,
}
try:
    entries = services.audit_log(**filters, limit=PAGE + 1, offset=ss.audit_page * PAGE)
except services.LgopsError as exc:
    ui.render_error(exc)
    st.stop()

more = len(entries) > PAGE
entries = entries[:PAGE]
if not entries:
    st.info(
        "No audit entry matches." if any(filters.values()) else "Nothing has been done yet.",
        icon=":material/fact_check:",
    )
    st.stop()


def _frame(rows: list) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "at": e.at,
                "actor": e.actor,
                "action": e.action,
                "run": e.run_id or "",
                "interrupt": e.interrupt_id or "",
                "checkpoint": e.checkpoint_id or "",
                "reason": e.reason or "",
                "details": json.dumps(e.details, default=str),
            }
            for e in rows
        ]
    )


frame = _frame(entries)
st.dataframe(
    frame.assign(details=frame["details"].map(lambda d: services.short(d, 160))),
    hide_index=True,
    width="stretch",
    column_config={
        "at": st.column_config.DatetimeColumn("at", format="YYYY-MM-DD HH:mm:ss"),
        "reason": st.column_config.TextColumn("comment / reason", width="large"),
        "run": st.column_config.TextColumn("run", width="small"),
        "details": st.column_config.TextColumn("details", width="large"),
    },
    # what was done and why first: the operator's comment stays in view at a laptop's width
    column_order=("at", "actor", "action", "reason", "run", "details", "interrupt", "checkpoint"),
)
c1, c2, c3 = st.columns([1, 3, 1])
if c1.button("← Newer", disabled=ss.audit_page == 0, width="stretch"):
    ss.audit_page -= 1
    st.rerun()
c2.caption(f"page {ss.audit_page + 1} · {len(entries)} entr{'y' if len(entries) == 1 else 'ies'}")
if c3.button("Older →", disabled=not more, width="stretch"):
    ss.audit_page += 1
    st.rerun()

export = _frame(services.audit_log(**filters, limit=EXPORT_LIMIT))
st.download_button(
    f"Download CSV ({len(export)} entries{', the newest' if len(export) == EXPORT_LIMIT else ''})",
    export.to_csv(index=False).encode(),
    file_name="audit_log.csv",
    mime="text/csv",
    icon=":material/download:",
)
