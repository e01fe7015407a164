"""Transform: cleans the staged records with pandas and aggregates revenue per customer and day."""

import pandas as pd

from common import data_dir, write_result


def main():
    root = data_dir("Clean and aggregate staged records")
    staged = root / "staged"
    frame = pd.read_json(staged / "extracted.json", orient="records", dtype={"order_id": str})
    rows_in = len(frame)
    frame["amount"] = pd.to_numeric(frame["amount"], errors="coerce")
    frame = frame.dropna(subset=["amount"])
    daily = (
        frame.groupby(["day", "customer"], as_index=False)
        .agg(orders=("order_id", "count"), revenue=("amount", "sum"))
        .sort_values(["day", "customer"])
    )
    daily["revenue"] = daily["revenue"].round(2)
    daily.to_csv(staged / "daily_revenue.csv", index=False)
    write_result({
        "step": "transform",
        "rows_in": rows_in,
        "rows_dropped": rows_in - len(frame),
        "rows_out": len(daily),
    })


if __name__ == "__main__":
    main()
