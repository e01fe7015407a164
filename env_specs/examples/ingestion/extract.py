"""Extract: reads every CSV drop in <data>/incoming and stages the rows as JSON records.

With no drops yet, a small sample drop is written first so that the pipeline can be demonstrated
on an empty volume.
"""

import csv
import json

from common import data_dir, write_result

SAMPLE = """order_id,customer,amount,currency,day
1001,acme,120.50,EUR,2024-05-01
1002,globex,75.00,EUR,2024-05-01
1003,acme,19.99,EUR,2024-05-02
1004,initech,250.00,EUR,2024-05-02
1005,globex,,EUR,2024-05-03
"""


def main():
    root = data_dir("Stage CSV drops as JSON records")
    incoming = root / "incoming"
    incoming.mkdir(exist_ok=True)
    drops = sorted(incoming.glob("*.csv"))
    if not drops:
        sample = incoming / "sample.csv"
        sample.write_text(SAMPLE)
        drops = [sample]
    records = []
    for drop in drops:
        with drop.open(newline="") as f:
            for row in csv.DictReader(f):
                row["source"] = drop.name
                records.append(row)
    staged = root / "staged"
    staged.mkdir(exist_ok=True)
    (staged / "extracted.json").write_text(json.dumps(records))
    write_result({"step": "extract", "files": [d.name for d in drops], "rows": len(records)})


if __name__ == "__main__":
    main()
