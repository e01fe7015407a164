"""Helpers shared by the ingestion steps: where the data lives and how results are reported."""

import argparse
import json
import os
import pathlib


def data_dir(description):
    """Returns the data directory from --data-dir, else $DATA_DIR, else /data."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--data-dir", default=os.environ.get("DATA_DIR", "/data"))
    args = parser.parse_args()
    path = pathlib.Path(args.data_dir)
    path.mkdir(parents=True, exist_ok=True)
    return path


def write_result(result):
    """Writes the step's JSON result where vpe collects it ($VPE_RESULT)."""
    target = pathlib.Path(os.environ.get("VPE_RESULT", "/vpe/out/result.json"))
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".tmp")
    tmp.write_text(json.dumps(result, sort_keys=True))
    tmp.replace(target)
    print(json.dumps(result, sort_keys=True))
