#!/usr/bin/env python3
"""The straightforward Python way to do what jsonl-prompt | jsonl-split do,
for the benchmark: json.loads and json.dumps per line, str.format for the
template, a new output file every 50,000 lines or 190,000,000 bytes.

usage: prompt_split.py model system-file template id-field items outdir
"""
import json
import os
import sys


def main():
    model, system_file, template, id_field, items, outdir = sys.argv[1:7]
    with open(system_file, encoding="utf-8") as f:
        system = f.read().rstrip("\n")
    os.makedirs(outdir, exist_ok=True)
    seen = set()
    out, lines, size, nfile = None, 0, 0, 0
    with open(items, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            item = json.loads(line)
            custom_id = str(item[id_field])
            if custom_id in seen:
                sys.exit(f"{items}:{lineno}: duplicate id {custom_id}")
            seen.add(custom_id)
            request = {
                "custom_id": custom_id,
                "method": "POST",
                "url": "/v1/chat/completions",
                "body": {
                    "model": model,
                    "messages": [
                        {"role": "system", "content": system},
                        {"role": "user", "content": template.format(**item)},
                    ],
                },
            }
            text = json.dumps(request, separators=(",", ":")) + "\n"
            n = len(text.encode("utf-8"))
            if out is None or lines == 50000 or size + n > 190000000:
                if out is not None:
                    out.close()
                    print(path)
                nfile += 1
                path = os.path.join(outdir, f"batch-{nfile:04d}.jsonl")
                out = open(path, "w", encoding="utf-8")
                lines, size = 0, 0
            out.write(text)
            lines += 1
            size += n
    if out is not None:
        out.close()
        print(path)


if __name__ == "__main__":
    main()
