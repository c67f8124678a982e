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
