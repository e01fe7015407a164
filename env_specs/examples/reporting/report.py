"""Report: summarises the warehouse table daily_revenue (written by the ingestion pipeline)."""

import argparse
import json
import os
import pathlib


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", default=os.environ.get("DATA_DIR", "/data"))
    args = parser.parse_args()
    table = pathlib.Path(args.data_dir) / "warehouse" / "daily_revenue.jsonl"
    per_customer = {}
    rows = 0
    if table.exists():
        for line in table.read_text().splitlines():
            row = json.loads(line)
            per_customer[row["customer"]] = per_customer.get(row["customer"], 0.0) + row["revenue"]
            rows += 1
    top = max(per_customer, key=per_customer.get) if per_customer else None
    result = {
        "rows": rows,
        "customers": len(per_customer),
        "revenue_total": round(sum(per_customer.values()), 2),
        "top_customer": top,
    }
    target = pathlib.Path(os.environ.get("VPE_RESULT", "/vpe/out/result.json"))
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(result, sort_keys=True))
    print(json.dumps(result, sort_keys=True))


if __name__ == "__main__":
    main()
