"""The shipped datasets by name (:data:`CATALOGUE`): what a conforming copy of each looks like.

Apart from :mod:`core.workflows.common.datasets` (pandas, numpy) so the launch
input models, which name the datasets, import without them: listing workflows
reads those models' JSON schemas.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Dataset:
    """A shipped table and what a conforming copy of it looks like.

    Attributes:
        name: id used in batch items.
        file: CSV file name in ``data/datasets/``.
        schema: expected column → kind ("number", "string" or "date").
        keys: columns that identify a row (duplicates are judged on all columns).
        group_by: dimensions the aggregation branches group on.
        measures: numeric columns the aggregation branches summarise.
        date_column: the column the transformation branch parses, if any.
    """

    name: str
    file: str
    schema: dict[str, str]
    keys: tuple[str, ...]
    group_by: tuple[str, ...]
    measures: tuple[str, ...]
    date_column: str | None = None


CATALOGUE: dict[str, Dataset] = {
    d.name: d
    for d in (
        Dataset(
            "gapminder",
            "gapminder.csv",
            {
                "country": "string",
                "continent": "string",
                "year": "number",
                "lifeExp": "number",
                "pop": "number",
                "gdpPercap": "number",
                "iso_alpha": "string",
                "iso_num": "number",
                "centroid_lon": "number",
                "centroid_lat": "number",
            },
            keys=("country", "year"),
            group_by=("continent", "year"),
            measures=("lifeExp", "pop", "gdpPercap"),
        ),
        Dataset(
            "seattle-weather",
            "seattle-weather.csv",
            {
                "date": "date",
                "precipitation": "number",
                "temp_max": "number",
                "temp_min": "number",
                "wind": "number",
                "weather": "string",
            },
            keys=("date",),
            group_by=("weather",),
            measures=("precipitation", "temp_max", "temp_min", "wind"),
            date_column="date",
        ),
        Dataset(
            "stocks",
            "stocks.csv",
            {
                "date": "date",
                "GOOG": "number",
                "AAPL": "number",
                "AMZN": "number",
                "FB": "number",
                "NFLX": "number",
                "MSFT": "number",
            },
            keys=("date",),
            group_by=(),
            measures=("GOOG", "AAPL", "AMZN", "FB", "NFLX", "MSFT"),
            date_column="date",
        ),
        Dataset(
            "tips",
            "tips.csv",
            {
                "total_bill": "number",
                "tip": "number",
                "sex": "string",
                "smoker": "string",
                "day": "string",
                "time": "string",
                "size": "number",
            },
            keys=(),
            group_by=("day", "time"),
            measures=("total_bill", "tip"),
        ),
    )
}
