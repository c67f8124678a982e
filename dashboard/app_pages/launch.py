"""Launch: pick a workflow, read what it does and its graph, fill its input, launch."""

from __future__ import annotations

import json
from typing import Any

import streamlit as st

from dashboard import components as ui
from dashboard import services

ss = st.session_state
ss.setdefault("launch_message", None)

st.title("Launch a workflow")

specs = services.workflows()
broken = services.broken_workflows()
if not specs:
    st.info("No workflow is registered yet.", icon=":material/info:")
    st.stop()

ids = [s.id for s in specs]
wanted = st.query_params.get("workflow")
if wanted in ids and "launch_workflow" not in ss:
    ss.launch_workflow = wanted
ss.setdefault("launch_workflow", ids[0])
workflow_id = st.selectbox(
    "Workflow",
    ids,
    key="launch_workflow",
    format_func=lambda i: f"{services.workflow(i).title} ({i})",
)
st.query_params["workflow"] = workflow_id
spec = services.workflow(workflow_id)

st.markdown(ui.md_escape(spec.description))
if spec.interrupt_points:
    st.caption("Pauses for an operator at: " + ", ".join(ui.md_code(p) for p in spec.interrupt_points))
with st.expander("Graph", expanded=True):
    try:
        ui.render_graph(services.graph_shape(workflow_id))
    except Exception as exc:  # noqa: BLE001 - a graph that fails to build is shown, not raised
        ui.render_error(exc, "Cannot draw the graph: ")

if broken:
    with st.expander(f"{len(broken)} configured workflow(s) failed to load"):
        for b in broken:
            st.markdown(f"**{ui.md_escape(b.id)}** ({ui.md_escape(b.source)})")
            st.code(b.error, language=None, wrap_lines=True)

st.divider()

# ------------------------------------------------------------------ the input

samples = list(spec.samples)
schema = spec.input_schema()
context_schema = spec.context_schema()
props: dict[str, Any] = schema.get("properties") or {}
required = set(schema.get("required") or [])


def _kind(prop: dict[str, Any]) -> tuple[str, bool]:
    """(json type, nullable) of a schema property; anyOf [X, null] counts as nullable X."""
    nullable = False
    if "anyOf" in prop:
        types = [p for p in prop["anyOf"] if p.get("type") != "null"]
        nullable = len(types) < len(prop["anyOf"])
        prop = types[0] if len(types) == 1 else {}
    if "enum" in prop:
        return "enum", nullable
    return str(prop.get("type") or "json"), nullable


def _enum_of(prop: dict[str, Any]) -> list[Any]:
    for p in [prop, *prop.get("anyOf", [])]:
        if "enum" in p:
            return list(p["enum"])
    return []


def _form_field(name: str, prop: dict[str, Any], value: Any, key: str) -> Any:
    """One input widget for a schema property; returns its value."""
    kind, nullable = _kind(prop)
    label = prop.get("title") or name
    help_text = prop.get("description")
    bounds = {}
    for p in [prop, *prop.get("anyOf", [])]:
        for src, dst in (("minimum", "min_value"), ("maximum", "max_value")):
            if src in p:
                bounds[dst] = p[src]
    if kind == "boolean":
        return st.checkbox(label, value=bool(value), help=help_text, key=key)
    if kind == "integer":
        bounds = {k: int(v) for k, v in bounds.items()}
        return st.number_input(
            label,
            value=None if value is None else int(value),
            step=1,
            help=help_text,
            key=key,
            placeholder="empty" if nullable else None,
            **bounds,
        )
    if kind == "number":
        bounds = {k: float(v) for k, v in bounds.items()}
        return st.number_input(
            label,
            value=None if value is None else float(value),
            help=help_text,
            key=key,
            placeholder="empty" if nullable else None,
            format="%g",
            **bounds,
        )
    if kind == "enum":
        options = _enum_of(prop)
        index = options.index(value) if value in options else 0
        return st.selectbox(label, options, index=index, help=help_text, key=key)
    if kind == "string":
        return st.text_input(
            label,
            value="" if value is None else str(value),
            help=help_text,
            key=key,
            max_chars=prop.get("maxLength"),
        )
    if value is None and kind in ("array", "object"):
        value = [] if kind == "array" else {}
    text = st.text_area(
        f"{label} (JSON)",
        value=json.dumps(value, indent=2),
        help=help_text,
        key=key,
        height=160 if isinstance(value, (list, dict)) and value else 68,
    )
    return services.parse_json(text, name) if text.strip() else None


def _json_object(text: str, what: str) -> dict[str, Any] | None:
    """A JSON object typed in a text area (None when left empty)."""
    if not text.strip():
        return None
    return services.parse_json(text, f"the {what}")


def _context_and_config() -> tuple[Any, Any]:
    """The second form: the run context (with the graph's context_schema) and configurable values."""
    required = bool(context_schema and context_schema.get("required"))
    with st.expander("Context and configurable", expanded=required):
        if context_schema:
            st.caption("The graph's `context_schema` (checked at launch):")
            st.json(context_schema, expanded=False)
        context_text = st.text_area(
            "Context (JSON object)",
            key=f"launch_context_{workflow_id}",
            height=100,
            placeholder='{"user_id": "..."}' if context_schema else "optional",
        )
        config_text = st.text_area(
            "Configurable (JSON object)",
            key=f"launch_config_{workflow_id}",
            height=68,
            placeholder="optional: passed as config['configurable'] on every step",
        )
    return _json_object(context_text, "context"), _json_object(config_text, "configurable")


c1, c2, c3 = st.columns([2, 2, 1])
mode = c1.segmented_control("Input from", ["Form", "JSON"], default="Form", key=f"launch_mode_{workflow_id}")
sample = c2.selectbox(
    "Start from sample", samples or ["(no samples)"], key=f"launch_sample_{workflow_id}", disabled=not samples
)
priority = c3.selectbox(
    "Priority",
    services.PRIORITIES,
    index=services.PRIORITIES.index(spec.priority),
    key=f"launch_priority_{workflow_id}",
)
try:
    base = services.sample_input(workflow_id, sample) if samples else {}
except services.LgopsError as exc:
    ui.render_error(exc)
    base = {}

blocked = services.why_not("launch")
raw: Any = None
problem: Exception | None = None
form_key = f"launch_form_{workflow_id}_{sample}_{mode}"
with st.form(form_key, border=True):
    if mode == "JSON":
        text = st.text_area(
            "Input (JSON object)", value=json.dumps(base, indent=2), height=320, key=f"{form_key}_json"
        )
        try:
            raw = services.parse_json(text, "the input")
            if raw is None:
                raise services.BadInput("the input is JSON null; give a JSON object")
        except services.BadInput as exc:
            problem = exc
    else:
        raw = {}
        simple = [(n, p) for n, p in props.items() if _kind(p)[0] not in ("array", "object", "json")]
        complex_ = [(n, p) for n, p in props.items() if (n, p) not in simple]
        grid = st.columns(3)
        for i, (name, prop) in enumerate(simple):
            with grid[i % 3]:
                try:
                    raw[name] = _form_field(
                        name, prop, base.get(name, prop.get("default")), f"{form_key}_{name}"
                    )
                except services.BadInput as exc:
                    problem = exc
        for name, prop in complex_:
            try:
                raw[name] = _form_field(name, prop, base.get(name, prop.get("default")), f"{form_key}_{name}")
            except services.BadInput as exc:
                problem = exc
        # Empty optional strings and numbers mean "not given": let the model's defaults apply.
        raw = {k: v for k, v in raw.items() if not (v in ("", None) and k not in required)}
    context: Any = None
    config: Any = None
    try:
        context, config = _context_and_config()
    except services.BadInput as exc:
        problem = problem or exc
    b1, b2, _ = st.columns([1, 1, 4])
    check = b1.form_submit_button("Validate", icon=":material/rule:", width="stretch")
    go = b2.form_submit_button(
        "Launch",
        type="primary",
        icon=":material/rocket_launch:",
        width="stretch",
        disabled=bool(blocked),
        help=blocked,
    )
if blocked:
    st.caption(f":material/lock: {blocked}")

if check or go:
    try:
        if problem is not None:
            raise problem
        services.validate_input(workflow_id, raw)
        services.validate_context(workflow_id, context)
        if go:
            run = services.launch(
                workflow_id,
                raw,
                sample=sample if samples else None,
                priority=priority,
                context=context,
                config=config,
            )
            st.switch_page("app_pages/run_detail.py", query_params={"run": run.id})
        st.success("The input is valid.", icon=":material/check_circle:")
    except services.LgopsError as exc:
        ui.render_error(exc)
