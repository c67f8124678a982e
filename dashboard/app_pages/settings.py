"""Settings (admins): who has which role, and checkpoint retention (dry run, then prune)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import components as ui
from dashboard import services

ss = st.session_state
ss.setdefault("settings_flash", None)
ss.setdefault("settings_report", None)
ss.setdefault("settings_confirm", None)

st.title("Settings")

if services.role() != "admin":
    st.warning(f"Only admins can change settings; you are {services.role()}.", icon=":material/lock:")
    st.stop()

if ss.settings_flash:
    kind, text = ss.settings_flash
    ui.render_flash(kind, text)
    ss.settings_flash = None

# ------------------------------------------------------------------ roles

st.subheader("Roles")
st.caption(
    "viewer (read only) < operator (launch, attach, cancel) < approver (decide interrupts) <"
    " admin (roll back, detach, prune, grant roles). Identities nobody granted a role get the default:"
    " admin for local ones (`local:*`, `cli:*`), viewer for signed-in ones."
)
try:
    granted = services.list_roles()
except services.LgopsError as exc:
    ui.render_error(exc)
    granted = []
if granted:
    st.dataframe(
        pd.DataFrame(
            [
                {"identity": r["actor"], "role": r["role"], "since": r["updated_at"], "by": r["updated_by"]}
                for r in granted
            ]
        ),
        hide_index=True,
        width="stretch",
        column_config={"since": st.column_config.DatetimeColumn("since", format="YYYY-MM-DD HH:mm")},
    )
else:
    st.caption("No role granted yet: everyone has the default.")

role_blocked = services.why_not("set_role")
with st.form("settings_grant", border=True):
    c1, c2 = st.columns([3, 1])
    c1.text_input(
        "Identity",
        key="settings_identity",
        max_chars=200,
        placeholder="e.g. oidc:alice@example.com or cli:alice",
        disabled=bool(role_blocked),
    )
    c2.selectbox("Role", services.ROLES, index=1, key="settings_role", disabled=bool(role_blocked))
    grant = st.form_submit_button(
        "Grant role", type="primary", disabled=bool(role_blocked), help=role_blocked
    )
if role_blocked:
    st.caption(f":material/lock: {role_blocked}")
if grant:
    try:
        new = services.set_role(ss.settings_identity, ss.settings_role)
        ss.settings_flash = (
            "ok",
            f"{ss.settings_identity.strip()} is now {new} (recorded in the audit log).",
        )
    except services.LgopsError as exc:
        ss.settings_flash = ("err", str(exc))
    st.rerun()

# ------------------------------------------------------------------ retention

st.subheader("Checkpoint retention")
st.caption(
    "Thins out the LangGraph history of finished runs: keeps each run's final state, its rollback points and"
    " everything the audit log refers to. LOW and MEDIUM runs are pruned after the base age, HIGH after three"
    " times it, CRITICAL never; attached threads never. Run a dry run first: it writes nothing."
)
days = st.number_input(
    "Finished longer ago than (days)", min_value=0.0, value=30.0, step=1.0, key="settings_days"
)
prune_blocked = services.why_not("prune")
b1, b2, _ = st.columns([1, 1, 3])
if b1.button("Dry run", icon=":material/science:", width="stretch"):
    try:
        ss.settings_report = services.prune(days, dry_run=True)
    except services.LgopsError as exc:
        ui.render_error(exc)
    ss.settings_confirm = None
if b2.button(
    "Prune…",
    icon=":material/delete_sweep:",
    width="stretch",
    disabled=bool(prune_blocked),
    help=prune_blocked,
):
    ss.settings_confirm = days
if prune_blocked:
    st.caption(f":material/lock: {prune_blocked}")

if ss.settings_confirm is not None:
    with st.container(border=True):
        st.warning(
            f"Delete the thinned-out checkpoints of runs finished more than {ss.settings_confirm:g} day(s) ago?"
            " This cannot be undone; the audit log records it.",
            icon=":material/warning:",
        )
        c1, c2, _ = st.columns([1, 1, 3])
        if c1.button("Confirm prune", type="primary", key="settings_do_prune"):
            try:
                ss.settings_report = services.prune(ss.settings_confirm, dry_run=False)
            except services.LgopsError as exc:
                ss.settings_flash = ("err", str(exc))
            ss.settings_confirm = None
            st.rerun()
        if c2.button("Keep everything", key="settings_keep"):
            ss.settings_confirm = None
            st.rerun()

report = ss.settings_report
if report is not None:
    with st.container(border=True):
        st.markdown(
            ("**Dry run**: nothing was written." if report.dry_run else "**Pruned.**")
            + f" Base age {report.older_than_days:g} day(s); "
            + (", ".join(f"{p} after {d:g} d" for p, d in report.ages_days.items()) or "no priority")
            + ", CRITICAL never."
        )
        m = st.columns(5)
        m[0].metric("runs" if report.dry_run else "runs pruned", report.runs_pruned)
        m[1].metric(
            "checkpoints deleted" if not report.dry_run else "checkpoints to delete",
            report.checkpoints_deleted,
        )
        m[2].metric("checkpoints kept", report.checkpoints_kept)
        m[3].metric("writes / blobs", f"{report.writes_deleted} / {report.blobs_deleted}")
        m[4].metric("space", f"{report.bytes_freed / 1024:.1f} KiB")
        if report.runs_skipped:
            st.dataframe(
                pd.DataFrame([{"run": k, "why skipped": v} for k, v in report.runs_skipped.items()]),
                hide_index=True,
                width="stretch",
            )
        st.caption(f"{report.batches} batch(es) · {report.seconds:.2f} s")
