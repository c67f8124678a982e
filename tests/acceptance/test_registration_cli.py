"""Registration names every configured graph the console cannot run, in one line, and keeps the rest."""

from __future__ import annotations

import json

from tests.conftest import FIXTURE_WORKFLOWS, run_cli
from tests.fixtures.unrunnable import ENTRIES

WHY = {
    "foreign_state": "state type http.HTTPStatus is defined outside the graph's own packages",
    "functional": "is a functional-API graph (@entrypoint)",
    "not_a_graph": "is a int; expected a WorkflowSpec",
    "async_factory": "is an async factory",
    "missing_attribute": "AttributeError: module 'tests.fixtures.unrunnable' has no attribute",
    "ghost": "ModuleNotFoundError: No module named 'tests.fixtures.nowhere'",
}


def test_each_unrunnable_entry_is_one_line_naming_it_and_why(cli_env):
    cli_env["LGOPS_WORKFLOWS"] = f"{ENTRIES},tests.fixtures.nowhere:ghost,{FIXTURE_WORKFLOWS}"
    listed = run_cli(cli_env, "workflows")
    assert listed.returncode == 0, listed.stderr
    broken = [line for line in listed.stdout.splitlines() if " BROKEN: " in line]
    assert len(broken) == len(WHY)
    for workflow_id, why in WHY.items():
        [line] = [b for b in broken if b.startswith(f"{workflow_id} ")]
        assert why in line and "(entry tests.fixtures." in line, line
    # the good ones are still listed and launchable
    assert any(line.startswith("approval_fixture ") for line in listed.stdout.splitlines())
    launched = run_cli(cli_env, "--json", "launch", "approval_fixture")
    assert launched.returncode == 0, launched.stderr
    # launching a broken one says why, in one line, and writes nothing
    refused = run_cli(cli_env, "launch", "foreign_state", "--input", "{}")
    assert refused.returncode == 4 and refused.stdout == ""
    assert refused.stderr.strip().splitlines() == [
        "error: workflow foreign_state (tests.fixtures.unrunnable:foreign_state) cannot run: TypeError: "
        + WHY["foreign_state"]
        + ", so a checkpoint cannot rebuild it strictly (it would come back as a dict after a resume);"
        " define it in the graph's package or register the graph from there"
    ]
    runs = json.loads(run_cli(cli_env, "--json", "runs").stdout)
    assert [r["workflow_id"] for r in runs] == ["approval_fixture"]
