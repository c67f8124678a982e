"""Checkpoints: a run's history (both lines after a rollback), state diffs, roll back here."""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from dashboard import components as ui
from dashboard import services

PAGE = 50

ss = st.session_state
ss.setdefault("ckpt_confirm", None)
ss.setdefault("ckpt_flash", None)
ss.setdefault("ckpt_before", [])
ss.setdefault("ckpt_edit", None)

st.title("Checkpoints")
run_id = st.query_params.get("run", "")
typed = st.text_input("Run id", value=run_id, max_chars=64, placeholder="open a run, or paste its id")
if typed.strip() != run_id:
    st.query_params["run"] = typed.strip()
    ss.ckpt_before = []
    st.rerun()
if not typed.strip():
    st.info("Pick a run to see its checkpoints.", icon=":material/history:")
    st.stop()

try:
    run = services.get_run(typed.strip())
    before = ss.ckpt_before[-1] if ss.ckpt_before else None
    infos = services.history(run.id, limit=PAGE, before=before)
except services.LgopsError as exc:
    ui.render_error(exc)
    st.stop()

h1, h2 = st.columns([4, 1])
h1.markdown(f"**{ui.md_escape(run.workflow_id)}** · `{run.id}`")
with h2:
    ui.render_status_badge(run.status.value)
st.page_link(
    "app_pages/run_detail.py",
    label="Open the run",
    icon=":material/monitoring:",
    query_params={"run": run.id},
)

if ss.ckpt_flash:
    kind, text = ss.ckpt_flash
    ui.render_flash(kind, text)
    ss.ckpt_flash = None

if not infos:
    st.info("This run has no checkpoint yet (it has not started).", icon=":material/hourglass_empty:")
    st.stop()


def _edit_text(diff: dict | None) -> str:
    """One cell: what a rollback's state edit changed (old → new per key)."""
    if not diff:
        return ""
    return "; ".join(
        f"{k}: {services.short(json.dumps(d['old'], ensure_ascii=False), 60)}"
        f" → {services.short(json.dumps(d['new'], ensure_ascii=False), 60)}"
        for k, d in diff.items()
    )


edits = services.rollback_edits(run.id)
frame = pd.DataFrame(
    [
        {
            "step": i.step,
            "source": i.source or "",
            "next": ", ".join(i.next) or "(end)",
            "created": (i.created_at or "")[:23].replace("T", " "),
            "line": "current" if i.branch == 0 else "abandoned (before a rollback)",
            "edited": _edit_text(edits.get(i.checkpoint_id)),
            "checkpoint": i.checkpoint_id,
        }
        for i in infos
    ]
)
forks = int((frame["line"] != "current").sum())
st.caption(
    f"{len(frame)} checkpoint(s) on this page, newest first"
    + (f" · {forks} on a line a rollback left behind (kept for the record)" if forks else "")
)
st.dataframe(
    frame.style.apply(
        lambda row: ["background-color: #fef3c7" if row["line"] != "current" else "" for _ in row], axis=1
    ),
    hide_index=True,
    width="stretch",
    height=min(40 + 35 * len(frame), 460),
    column_config={
        "next": st.column_config.TextColumn("next", width="medium"),
        "line": st.column_config.TextColumn("line", width="medium"),
        "edited": st.column_config.TextColumn("edited (rollback)", width="medium"),
    },
)
for i in infos:
    if edits.get(i.checkpoint_id):
        st.caption(
            f":material/edit: fork {ui.md_code(i.checkpoint_id[-8:])} (step {i.step}) was edited:"
            f" {ui.md_escape(_edit_text(edits[i.checkpoint_id]))}"
        )
p1, _, p2 = st.columns([1, 4, 1])
if p1.button("← Newer", disabled=not ss.ckpt_before, width="stretch"):
    ss.ckpt_before.pop()
    st.rerun()
if p2.button("Older →", disabled=len(infos) < PAGE, width="stretch"):
    ss.ckpt_before.append(infos[-1].checkpoint_id)
    st.rerun()

ids = [i.checkpoint_id for i in infos]
labels = {
    i.checkpoint_id: f"step {i.step} · {', '.join(i.next) or 'end'} · {i.checkpoint_id[-8:]}"
    + ("" if i.branch == 0 else " · abandoned line")
    for i in infos
}

st.subheader("Compare two checkpoints")
c1, c2 = st.columns(2)
older = c1.selectbox("From", ids, index=min(1, len(ids) - 1), format_func=labels.get, key="ckpt_from")
newer = c2.selectbox("To", ids, index=0, format_func=labels.get, key="ckpt_to")
if older == newer:
    st.caption("Pick two different checkpoints to see what changed.")
else:
    try:
        changes = services.diff_states(services.state_at(run.id, older), services.state_at(run.id, newer))
    except services.LgopsError as exc:
        ui.render_error(exc)
        changes = None
    if changes == []:
        st.caption("No difference in the state between these checkpoints.")
    elif changes:
        counts = {k: sum(1 for c in changes if c["change"] == k) for k in ("added", "removed", "changed")}
        st.caption(" · ".join(f"{n} {k}" for k, n in counts.items()))
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "change": c["change"],
                        "key": c["key"],
                        "before": services.short(c["before"], 200) if c["change"] != "added" else "",
                        "after": services.short(c["after"], 200) if c["change"] != "removed" else "",
                    }
                    for c in changes
                ]
            ),
            hide_index=True,
            width="stretch",
            column_config={
                "before": st.column_config.TextColumn("before", width="large"),
                "after": st.column_config.TextColumn("after", width="large"),
            },
        )

st.subheader("Roll back")
target = st.selectbox(
    "Checkpoint to continue from", ids, index=min(1, len(ids) - 1), format_func=labels.get, key="ckpt_target"
)
reason = st.text_input("Reason (recorded in the audit log)", key="ckpt_reason", max_chars=500)
blocked = services.why_not("rollback")
edit_text = None
if ss.ckpt_confirm is None and st.toggle("Edit the state before continuing", key="ckpt_edit_on"):
    try:
        target_values = services.jsonable(services.state_at(run.id, target))
    except services.LgopsError as exc:
        ui.render_error(exc)
        target_values = {}
    edit_text = st.text_area(
        "State values at this checkpoint (JSON): change values, they are checked against the graph's state schema",
        value=json.dumps(target_values, indent=2, ensure_ascii=False, default=str),
        height=280,
        key=f"ckpt_edit_{target}",
    )
if ss.ckpt_confirm is None:
    if st.button(
        "Roll back here…",
        icon=":material/undo:",
        disabled=bool(blocked) or run.status.value in ("queued", "running"),
        help=blocked,
    ):
        try:
            ss.ckpt_edit = services.parse_edit(edit_text, target_values) if edit_text is not None else None
            ss.ckpt_confirm = target
        except services.LgopsError as exc:
            ss.ckpt_flash = ("err", str(exc))
        st.rerun()
    if blocked:
        st.caption(f":material/lock: {blocked}")
    elif run.status.value in ("queued", "running"):
        st.caption("A run can be rolled back once it has stopped (finished or waiting for an operator).")
else:
    with st.container(border=True):
        st.warning(
            f"Roll run {run.id[:8]}… back to {ui.md_escape(labels.get(ss.ckpt_confirm, ss.ckpt_confirm))}"
            " and continue from there?"
            " The later checkpoints stay in the history as an abandoned line.",
            icon=":material/warning:",
        )
        if ss.ckpt_edit:
            st.markdown(f"With your edit of {', '.join(ui.md_code(k) for k in ss.ckpt_edit)}:")
            st.json(ss.ckpt_edit)
        b1, b2, _ = st.columns([1, 1, 3])
        if b1.button("Confirm rollback", type="primary", key="ckpt_do"):
            try:
                fork = services.rollback(run.id, ss.ckpt_confirm, reason, edit=ss.ckpt_edit)
                ss.ckpt_flash = ("ok", f"Rolled back; the run continues from fork checkpoint {fork}.")
            except services.LgopsError as exc:
                ss.ckpt_flash = ("err", str(exc))
            ss.ckpt_confirm = None
            ss.ckpt_edit = None
            ss.ckpt_before = []
            st.rerun()
        if b2.button("Keep as is", key="ckpt_cancel"):
            ss.ckpt_confirm = None
            ss.ckpt_edit = None
            st.rerun()
