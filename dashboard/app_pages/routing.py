"""Routing inspector: why each routing decision of a run went the way it did, and what-ifs."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from dashboard import components as ui
from dashboard import services

PRIORITIES = ("standard", "high", "critical")

st.title("Routing inspector")
run_id = st.query_params.get("run", "")
typed = st.text_input("Run id (empty for a free what-if from a default context)", value=run_id, max_chars=64)
if typed.strip() != run_id:
    if typed.strip():
        st.query_params["run"] = typed.strip()
    else:
        st.query_params.pop("run", None)
    st.rerun()


@st.fragment
def _what_if(real_context: dict[str, Any], real: dict[str, Any], config: Any, key: str) -> None:
    """Sliders starting from the real context; the engine recomputes on every change.

    A fragment: moving a slider reruns only this part (the engine is pure and
    fast), not the page with its database reads.
    """
    st.markdown("**What if…**")
    c1, c2, c3, c4 = st.columns(4)
    ctx = dict(real_context)
    ctx["data_quality_score"] = c1.slider(
        "quality", 0.0, 1.0, float(ctx["data_quality_score"]), 0.01, key=f"{key}_q"
    )
    ctx["processing_performance_score"] = c2.slider(
        "performance", 0.0, 1.0, float(ctx["processing_performance_score"]), 0.01, key=f"{key}_p"
    )
    ctx["error_rate"] = c3.slider(
        "error rate", 0.0, 1.0, min(1.0, float(ctx["error_rate"])), 0.01, key=f"{key}_e"
    )
    ctx["cluster_utilization"] = c4.slider(
        "utilisation", 0.0, 1.0, min(1.0, float(ctx["cluster_utilization"])), 0.01, key=f"{key}_u"
    )
    c5, c6, c7, c8 = st.columns(4)
    priority = str(ctx.get("business_priority") or "standard")
    options = list(PRIORITIES) + ([priority] if priority not in PRIORITIES else [])
    ctx["business_priority"] = c5.selectbox(
        "priority", options, index=options.index(priority), key=f"{key}_pr"
    )
    real_deadline = ctx.get("processing_deadline")
    has_deadline = c6.toggle("deadline", value=real_deadline is not None, key=f"{key}_hd")
    ctx["processing_deadline"] = (
        c7.slider(
            "seconds left",
            -600.0,
            7200.0,
            float(min(max(real_deadline or 3600.0, -600.0), 7200.0)),
            30.0,
            key=f"{key}_d",
        )
        if has_deadline
        else None
    )
    cost = dict(ctx.get("cost_constraints") or {})
    cost["max_cost"] = c8.slider(
        "max cost", 0.0, 500.0, float(min(cost.get("max_cost", 100.0), 500.0)), 5.0, key=f"{key}_c"
    )
    ctx["cost_constraints"] = cost
    try:
        hypo = services.explain(ctx, config)
    except (ValueError, KeyError, TypeError) as exc:
        ui.render_error(exc, "The engine rejected this context: ")
        return
    changed = hypo["chosen"] != real["chosen"]
    if changed:
        st.warning(
            f"What-if winner: **{ui.md_escape(hypo['chosen'])}** (was {ui.md_escape(real['chosen'])})",
            icon=":material/compare_arrows:",
        )
    else:
        st.success(f"What-if winner: **{ui.md_escape(hypo['chosen'])}** (unchanged)", icon=":material/check:")
    st.caption(ui.md_escape(hypo["reason"]))
    left, right = st.columns(2)
    with left:
        ui.render_scores(real, title="real", key=f"{key}_real")
    with right:
        ui.render_scores(hypo, title="what-if", key=f"{key}_hypo")
    delta = pd.DataFrame(
        [
            {
                "decision": d,
                "real": round(real["constrained_scores"][d], 4),
                "what-if": round(hypo["constrained_scores"][d], 4),
                "Δ": round(hypo["constrained_scores"][d] - real["constrained_scores"][d], 4),
                "viable (real → what-if)": f"{d in real['viable']} → {d in hypo['viable']}",
            }
            for d in real["constrained_scores"]
        ]
    )
    st.dataframe(
        delta.style.map(
            lambda v: (
                "color: #dc2626"
                if isinstance(v, float) and v < 0
                else ("color: #16a34a" if isinstance(v, float) and v > 0 else "")
            ),
            subset=["Δ"],
        ),
        hide_index=True,
        width="stretch",
        column_config={k: st.column_config.NumberColumn(k, format="%.3f") for k in ("real", "what-if", "Δ")},
    )


def _engine_decision(context: dict[str, Any], explanation: dict[str, Any], config: Any, key: str) -> None:
    c1, c2 = st.columns([1, 2])
    with c1:
        st.caption("winner")
        st.markdown(f"#### :green[{ui.md_escape(explanation.get('chosen', '?'))}]")
        if explanation.get("fallback_used"):
            st.warning("Nothing was viable: the engine fell back.")
        st.caption(ui.md_escape(explanation.get("reason", "")))
        fired = explanation.get("constraints") or []
        if fired:
            st.markdown("**Constraints fired**")
            for c in fired:
                st.markdown(
                    f"- {ui.md_code(c.get('rule'))}: {ui.md_escape(c.get('decision'))}"
                    f" × {ui.md_escape(c.get('multiplier'))} — {ui.md_escape(c.get('reason'))}"
                )
        else:
            st.caption("No business constraint fired.")
    with c2:
        ui.render_scores(explanation, key=f"{key}_scores")
    st.dataframe(ui.viability_frame(explanation), hide_index=True, width="stretch")
    with st.expander("Context and thresholds"):
        t = config.thresholds
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "path": "high_throughput",
                        "min quality": t.high_throughput.data_quality,
                        "min performance": t.high_throughput.performance,
                        "max error": t.high_throughput.error_rate,
                    },
                    {
                        "path": "standard_processing",
                        "min quality": t.standard_processing.data_quality,
                        "min performance": t.standard_processing.performance,
                        "max error": t.standard_processing.error_rate,
                    },
                ]
            ),
            hide_index=True,
        )
        st.caption(
            f"Circuit breaker viable at error rate ≥ {t.circuit_breaker.error_rate}"
            f" or performance ≤ {t.circuit_breaker.performance}."
        )
        st.json(context, expanded=False)
    _what_if(context, explanation, config, key)


if not typed.strip():
    st.caption("No run: a free what-if from a default context, with the default thresholds and weights.")
    context = services.default_routing_context()
    config = services.routing_config(None)
    _engine_decision(context, services.explain(context, config), config, "routing_free")
    st.stop()

try:
    run = services.get_run(typed.strip())
    decisions = services.routing_decisions(run.id)
except services.LgopsError as exc:
    ui.render_error(exc)
    st.stop()

st.markdown(f"**{ui.md_escape(run.workflow_id)}** · `{run.id}`")
st.page_link(
    "app_pages/run_detail.py",
    label="Open the run",
    icon=":material/monitoring:",
    query_params={"run": run.id},
)
if not decisions:
    st.info("This run has made no routing decision (yet).", icon=":material/alt_route:")
    st.stop()

config = services.routing_config(run.input)
# Workflows that name their choice outside the explanation keep it in the event only.
announced = [e["data"] for e in services.events(run.id) if e["kind"] == "routing_decision"]
for i, d in enumerate(decisions):
    label = f"#{i + 1} · {ui.md_escape(d.get('node') or '?')} · {ui.fmt_time(d.get('at'))}"
    explanation = d.get("explanation")
    event = announced[i] if len(announced) == len(decisions) else {}
    chosen = (
        d.get("chosen")
        or (explanation.get("chosen") if isinstance(explanation, dict) else None)
        or event.get("chosen")
        or event.get("decision")
    )
    with st.expander(
        f"{label} → {ui.md_escape(services.short(chosen or '?', 60))}", expanded=i == len(decisions) - 1
    ):
        if services.is_engine_decision(d):
            _engine_decision(
                d["context"], services.in_decision_order(explanation), config, f"routing_{d.get('id', i)}"
            )
        else:
            st.caption(
                "A rule-based decision of this workflow (not the six-decision engine): its own context and rule."
            )
            a, b = st.columns(2)
            with a:
                st.markdown("**Context**")
                st.json(d.get("context") or {}, expanded=True)
            with b:
                st.markdown("**Explanation**")
                if isinstance(explanation, (dict, list)):
                    st.json(explanation, expanded=True)
                else:
                    st.markdown(ui.md_escape(services.short(explanation or "—", 800)))
