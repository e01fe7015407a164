"""Load: replaces the warehouse table daily_revenue with the transformed rows (JSON lines)."""

import csv
import json

from common import data_dir, write_result


def main():
    root = data_dir("Load transformed rows into the warehouse")
    source = root / "staged" / "daily_revenue.csv"
    warehouse = root / "warehouse"
    warehouse.mkdir(exist_ok=True)
    table = warehouse / "daily_revenue.jsonl"
    loaded = 0
    total = 0.0
    tmp = table.with_suffix(".tmp")
    with source.open(newline="") as src, tmp.open("w") as out:
        for row in csv.DictReader(src):
            row["orders"] = int(row["orders"])
            row["revenue"] = float(row["revenue"])
            out.write(json.dumps(row, sort_keys=True) + "\n")
            loaded += 1
            total += row["revenue"]
    tmp.replace(table)
    write_result({
        "step": "load",
        "table": "daily_revenue",
        "rows_loaded": loaded,
        "revenue_total": round(total, 2),
    })


if __name__ == "__main__":
    main()
