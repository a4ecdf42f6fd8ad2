#!/usr/bin/env python3
"""The straightforward Python way to merge Batch API answers onto items,
the baseline jsonl-merge is measured against: a dict of every result,
json.loads and json.dumps per line.

usage: merge.py [-k key-field] items-file results-file
"""
import json
import sys


def main():
    args = sys.argv[1:]
    key = None
    if len(args) >= 2 and args[0] == "-k":
        key, args = args[1], args[2:]
    items_path, results_path = args
    results = {}
    with open(results_path, encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            results[r["custom_id"]] = r
    out = sys.stdout
    with open(items_path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            item = json.loads(line)
            cid = str(item[key]) if key else str(n)
            r = results.get(cid)
            if r is None:
                item["llm_error"] = {"code": "missing",
                                     "message": "no result for custom_id " + cid}
            elif r.get("error") is None and r["response"]["status_code"] == 200:
                item["llm"] = r["response"]["body"]["choices"][0]["message"]["content"]
            else:
                item["llm_error"] = r.get("error") or {"code": "failed", "message": ""}
            out.write(json.dumps(item, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
