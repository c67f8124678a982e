"""Views that live in the URL: runs filters, inbox views (all / waiting / decided / failed), column order.

Interrupts are written through the run service exactly as the worker writes
them (claim, stop at an interrupt, decide, finish), so each view's rows are known.
"""

from __future__ import annotations

from urllib.parse import parse_qs

from core import runs
from core.runs import RunStatus
from tests.dashboard.conftest import ACTOR, texts


def _button(at, label: str):
    return next(b for b in at.button if b.label == label)


def _params(at) -> dict[str, str]:
    return {k: v[-1] if isinstance(v, list) else v for k, v in at.query_params.items()}


def _waiting(question: str) -> runs.Run:
    """A run stopped at one interrupt, as a worker leaves it."""
    run = runs.launch("approval_fixture", {"steps": 1}, actor=ACTOR)
    runs.mark_running(run.id, "test-worker")
    runs.mark_interrupted(
        run.id, [{"interrupt_id": f"i-{run.id[:8]}", "node": "gate", "payload": question}], None
    )
    return run


def test_runs_filters_are_read_from_and_written_to_the_url(open_page) -> None:
    first = runs.launch("approval_fixture", {}, actor=ACTOR)
    runs.launch("approval_fixture", {}, actor=ACTOR)
    runs.cancel(first.id, actor=ACTOR)

    at = open_page("runs", status="cancelled")  # a shared link
    assert not at.exception
    assert at.multiselect(key="runs_status").value == ["cancelled"]
    assert "1 run(s) match" in texts(at)
    assert list(at.dataframe[0].value["run"]) == [first.id]

    at.multiselect(key="runs_status").set_value(["queued"])
    at.selectbox(key="runs_sort").set_value("status")
    _button(at, "Apply").click().run()
    assert not at.exception
    assert _params(at) == {"status": "queued", "sort": "status"}  # defaults stay out of the link
    assert "1 run(s) match" in texts(at) and first.id not in list(at.dataframe[0].value["run"])

    at.multiselect(key="runs_status").set_value([])
    _button(at, "Apply").click().run()
    assert "status" not in _params(at) and "2 run(s) match" in texts(at)


def test_a_hand_edited_runs_link_is_ignored_not_an_error(open_page) -> None:
    runs.launch("approval_fixture", {}, actor=ACTOR)
    at = open_page("runs", status="nonsense", per_page="7", desc="maybe", workflow="nope")
    assert not at.exception
    assert at.multiselect(key="runs_status").value == [] and at.selectbox(key="runs_page_size").value == 25
    assert "1 run(s) match" in texts(at)


def test_runs_table_shows_the_open_link_first(open_page) -> None:
    run = runs.launch("approval_fixture", {}, actor=ACTOR)
    at = open_page("runs")
    order = list(at.dataframe[0].proto.column_order)
    assert order[:2] == ["open", "run"]
    assert order.index("error") < order.index("created")  # why it failed before who and when
    assert at.dataframe[0].value.set_index("run").loc[run.id, "open"] == f"run?run={run.id}"


def test_inbox_views_filter_and_live_in_the_url(open_page) -> None:
    decided = _waiting("Ship batch A?")
    [first] = runs.interrupts(decided.id)
    runs.decide(decided.id, "approve", actor="local:colleague", interrupt_id=first.interrupt_id, comment="ok")
    runs.mark_running(decided.id, "test-worker")
    runs.mark_finished(decided.id, RunStatus.FAILED, "boom after the approval")
    waiting = _waiting("Ship batch B?")
    cancelled = _waiting("Ship batch C?")
    runs.cancel(cancelled.id, actor=ACTOR)

    def shown(at) -> set[str]:
        links = [parse_qs(link.proto.query_string) for link in at.get("page_link")]
        return {q["run"][0] for q in links if "run" in q}

    at = open_page("inbox")
    assert not at.exception
    assert shown(at) == {waiting.id} and "1 waiting, oldest first" in texts(at)
    assert [b.label for b in at.button if b.label == "Approve"] == ["Approve"]

    at = open_page("inbox", view="decided")
    assert at.get("button_group")[0].value == "decided"
    assert shown(at) == {decided.id} and "Decided by `local:colleague`" in texts(at)
    assert not [b for b in at.button if b.label == "Approve"]  # nothing left to decide here

    at = open_page("inbox", view="failed")
    assert shown(at) == {decided.id}

    at = open_page("inbox", view="all")
    assert shown(at) == {decided.id, waiting.id, cancelled.id}
    assert "superseded" in texts(at)

    at.get("button_group")[0].set_value("waiting").run()
    assert not at.exception
    assert shown(at) == {waiting.id} and "view" not in _params(at)


def test_audit_log_shows_the_comment_before_the_wide_columns(open_page) -> None:
    run = runs.launch("approval_fixture", {}, actor=ACTOR)
    runs.cancel(run.id, actor=ACTOR, reason="wrong customer")
    at = open_page("audit")
    grid = at.dataframe[0]
    assert list(grid.proto.column_order)[:4] == ["at", "actor", "action", "reason"]
    assert "wrong customer" in list(grid.value["reason"])


def test_inbox_shows_a_page_at_a_time_oldest_first(open_page) -> None:
    """12 waiting: the first 10 (oldest first) with the total, Next shows the other 2."""
    waiting = [_waiting(f"Ship batch {i}?") for i in range(12)]

    def shown(at) -> list[str]:
        links = [parse_qs(link.proto.query_string) for link in at.get("page_link")]
        return [q["run"][0] for q in links if "run" in q]

    at = open_page("inbox")
    assert not at.exception
    assert shown(at) == [r.id for r in waiting[:10]]
    assert "12 waiting, oldest first · 1–10 shown" in texts(at)
    assert len([b for b in at.button if b.label == "Approve"]) == 10

    _button(at, "Next →").click().run()
    assert not at.exception
    assert shown(at) == [r.id for r in waiting[10:]]
    assert "12 waiting, oldest first · 11–12 shown" in texts(at)

    _button(at, "← Previous").click().run()
    assert shown(at) == [r.id for r in waiting[:10]]
