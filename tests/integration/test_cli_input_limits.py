"""Bad launch input gets one line and exit 2, and writes nothing (issue 14, minor items)."""

from __future__ import annotations

import os
import threading

import pytest

from core import cli, runs


@pytest.fixture
def launch(pool, capsys):
    def run(*args: str) -> tuple[int, str]:
        code = cli.main(["launch", "conditional_router", *args])
        return code, capsys.readouterr().err

    return run


def test_null_input_is_refused_not_launched_as_the_default(launch):
    code, err = launch("--input", "null")
    assert code == 2 and "JSON null" in err and err.count("\n") == 1
    assert runs.count_runs() == 0


def test_deeply_nested_input_is_one_line(launch):
    code, err = launch("--input", "[" * 5000 + "]" * 5000)
    assert code == 2 and "nested too deeply" in err and "Traceback" not in err
    assert runs.count_runs() == 0


def test_input_file_from_dev_zero_is_refused_without_reading_it_all(launch):
    code, err = launch("--input-file", "/dev/zero")
    assert code == 2 and "not a regular file" in err
    assert runs.count_runs() == 0


def test_input_file_fifo_does_not_hang(launch, tmp_path):
    fifo = tmp_path / "input.fifo"
    os.mkfifo(fifo)
    result: list[tuple[int, str]] = []
    worker = threading.Thread(target=lambda: result.append(launch("--input-file", str(fifo))), daemon=True)
    worker.start()
    worker.join(timeout=20)
    assert result, "launch --input-file FIFO hung"
    assert result[0][0] == 2 and "not a regular file" in result[0][1]


def test_input_file_over_the_limit_is_refused(launch, tmp_path):
    big = tmp_path / "big.json"
    big.write_text('{"x": "' + "a" * (runs.MAX_INPUT_BYTES + 10) + '"}')
    code, err = launch("--input-file", str(big))
    assert code == 2 and "larger than the input limit" in err
    assert runs.count_runs() == 0


SECRET = "s3cr%tPw"


@pytest.mark.parametrize(
    "url",
    [
        f"postgresql://lgops:{SECRET}@127.0.0.1:1/lgops",  # unencoded %: libpq quotes the token
        f"host=127.0.0.1 port=1 user=lgops password={SECRET} dbname=lgops",
        f"postgresql://lgops:{SECRET}@127.0.0.1:99999/lgops",
    ],
)
def test_database_password_is_never_printed(url, monkeypatch, capsys):
    from core import db

    monkeypatch.setenv("DATABASE_URL", url)
    db.close_pool()
    try:
        code = cli.main(["runs"])
    finally:
        db.close_pool()
    err = capsys.readouterr().err
    assert code in (1, 2) and err.startswith("error: ") and err.count("\n") == 1
    assert SECRET not in err and "s3cr" not in err


def test_unparseable_database_url_is_a_setting_error(monkeypatch, capsys):
    from core import db

    monkeypatch.setenv("DATABASE_URL", f"postgresql://lgops:{SECRET}@127.0.0.1:1/lgops")
    db.close_pool()
    try:
        assert cli.main(["runs"]) == 2
    finally:
        db.close_pool()
    assert "not a valid PostgreSQL URL" in capsys.readouterr().err


def test_unusable_pgdata_is_one_line_exit_2(monkeypatch, capsys):
    from core import db

    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("LGOPS_PGDATA", "/dev/null/pg")
    db.close_pool()
    try:
        code = cli.main(["runs"])
    finally:
        db.close_pool()
    err = capsys.readouterr().err
    assert code == 2 and "LGOPS_PGDATA" in err and err.count("\n") == 1


def test_nul_in_an_argument_is_exit_2_before_anything_runs(pool, capsys):
    for args in (
        ["audit", "--action", "a\x00b"],
        ["roles", "x\x00", "admin"],
        ["history", "x", "--before", "\x00"],
    ):
        assert cli.main(args) == 2
        assert "NUL" in capsys.readouterr().err
