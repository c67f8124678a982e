"""Regenerate the enterprise sample tables (deterministic: same seed, same files).

Run ``python data/enterprise/generate.py``. The tables carry deliberate defects
(missing values, duplicate rows, out-of-range amounts) so quality checks have
something real to find.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
REGIONS = ["north", "south", "east", "west"]
PRODUCTS = ["sensor-kit", "gateway", "license", "support-plan", "cable-pack"]


def orders(rng: random.Random) -> pd.DataFrame:
    start = datetime(2024, 1, 1)
    rows = []
    for i in range(1800):
        rows.append(
            {
                "order_id": 10_000 + i,
                "customer_id": rng.randint(1, 120),
                "region": rng.choice(REGIONS),
                "product": rng.choice(PRODUCTS),
                "quantity": rng.randint(1, 20),
                "unit_price": round(rng.uniform(5, 400), 2),
                "ordered_at": (start + timedelta(minutes=37 * i)).isoformat(),
            }
        )
    df = pd.DataFrame(rows)
    df.loc[rng.sample(range(len(df)), 40), "unit_price"] = None
    df.loc[rng.sample(range(len(df)), 25), "region"] = None
    df.loc[rng.sample(range(len(df)), 6), "quantity"] = -1
    return pd.concat([df, df.sample(30, random_state=7)], ignore_index=True)


def events(rng: random.Random) -> pd.DataFrame:
    start = datetime(2024, 3, 1)
    kinds = ["page_view", "add_to_cart", "checkout", "error", "login"]
    rows = [
        {
            "event_id": f"ev-{i:06d}",
            "session_id": f"s-{rng.randint(1, 400):04d}",
            "kind": rng.choices(kinds, weights=[60, 15, 8, 3, 14])[0],
            "latency_ms": round(rng.lognormvariate(4.5, 0.6), 1),
            "emitted_at": (start + timedelta(seconds=3 * i)).isoformat(),
        }
        for i in range(3000)
    ]
    df = pd.DataFrame(rows)
    df.loc[rng.sample(range(len(df)), 60), "latency_ms"] = None
    return df


def readings(rng: random.Random) -> pd.DataFrame:
    start = datetime(2024, 3, 1, 12)
    rows = [
        {
            "sensor_id": f"t-{rng.randint(1, 24):02d}",
            "region": rng.choice(REGIONS),
            "temperature_c": round(rng.gauss(21, 4), 2),
            "humidity_pct": round(min(100, max(0, rng.gauss(45, 12))), 1),
            "read_at": (start + timedelta(seconds=10 * i)).isoformat(),
        }
        for i in range(1200)
    ]
    df = pd.DataFrame(rows)
    df.loc[rng.sample(range(len(df)), 15), "temperature_c"] = None
    return df


def customers(rng: random.Random) -> pd.DataFrame:
    tiers = ["bronze", "silver", "gold", "platinum"]
    return pd.DataFrame(
        {
            "customer_id": range(1, 121),
            "tier": [rng.choice(tiers) for _ in range(120)],
            "country": [rng.choice(["DE", "FR", "US", "JP", "BR"]) for _ in range(120)],
        }
    )


def main() -> None:
    rng = random.Random(20240301)
    orders(rng).to_csv(HERE / "orders_batch.csv", index=False)
    events(rng).to_csv(HERE / "clickstream_events.csv", index=False)
    readings(rng).to_csv(HERE / "sensor_realtime.csv", index=False)
    customers(rng).to_csv(HERE / "reference_customers.csv", index=False)


if __name__ == "__main__":
    main()
