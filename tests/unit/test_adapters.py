"""Files and weather adapters, and the timeout machinery every adapter shares (no database)."""

from __future__ import annotations

import threading
import time
from typing import Any

from core.adapters import (
    TIMEOUTS,
    Adapter,
    CallContext,
    CallOptions,
    FilesAdapter,
    WeatherAdapter,
    get_adapter,
    keywords,
)


def test_seed_timeouts():
    assert TIMEOUTS == {"weather": 5.0, "files": 10.0, "database": 15.0}
    assert get_adapter("weather").timeout_seconds == 5.0


def test_keywords_follow_the_seed_rule():
    assert keywords("Show the files about refund and the API logs?") == ["files", "refund", "logs"]
    assert keywords("on 2010-07-04 weather") == ["weather"]


def test_files_search_by_name_and_content():
    files = FilesAdapter()
    by_name = files.call("search_files", {"pattern": "*.log", "search_type": "name"})
    assert by_name.ok
    assert [m["path"] for m in by_name.data["matches"]] == [
        "docs/logs/api-2024-03-14.log",
        "docs/logs/gateway-2024-03-14.log",
    ]
    by_content = files.call("search_files", {"pattern": "watchdog", "search_type": "content"})
    assert by_content.data["matches"][0]["lines"][0]["line"] == 6
    assert not any(m["path"].startswith(("pg/", "samples/")) for m in by_content.data["matches"])
    escape = files.call("read_file", {"path": "../core/db.py"})
    assert not escape.ok


def test_weather_reads_real_observations():
    weather = WeatherAdapter()
    day = weather.call("get_weather", {"city": "Seattle", "date": "2012-01-02"})
    assert day.data == {
        "city": "Seattle",
        "date": "2012-01-02",
        "precipitation": 10.9,
        "temp_max": 10.6,
        "temp_min": 2.8,
        "wind": 4.5,
        "weather": "rain",
        "source": "seattle-weather.csv",
    }
    sf = weather.call("get_current_weather", {"city": "SF"})
    assert (
        sf.data["date"] == "2010-12-31" and sf.data["temp_min"] <= sf.data["temp_mean"] <= sf.data["temp_max"]
    )
    assert "no weather data" in weather.call("get_current_weather", {"city": "Tokyo"}).error
    assert "no observation" in weather.call("get_weather", {"city": "sf", "date": "2014-01-01"}).error


def test_fail_and_stall_on_purpose():
    weather = WeatherAdapter()
    failed = weather.call("get_current_weather", {"city": "Seattle"}, CallOptions(fail=True))
    assert not failed.ok and "injected" in failed.error and not failed.timed_out
    started = time.perf_counter()
    stalled = weather.call(
        "get_current_weather", {"city": "Seattle"}, CallOptions(stall=True, timeout_scale=0.02)
    )
    assert stalled.timed_out and 0.09 <= time.perf_counter() - started < 0.5


class _Stubborn(Adapter):
    """Ignores nothing: blocks on an event the test controls, checking cancellation."""

    name = "stubborn"
    timeout_seconds = 0.1
    tools = ("wait",)

    def __init__(self) -> None:
        self.stopped = threading.Event()

    def _execute(self, tool: str, args: dict[str, Any], ctx: CallContext) -> Any:
        ctx.cancel.wait(5)
        self.stopped.set()
        return "late"


def test_abandoned_call_is_told_to_stop():
    adapter = _Stubborn()
    result = adapter.call("wait")
    assert result.timed_out
    assert adapter.stopped.wait(1.0)  # the worker saw the cancel flag and ended
    assert not adapter.call("nope").ok
