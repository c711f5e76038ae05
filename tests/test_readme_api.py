#!/usr/bin/env python3
"""Every public function of include/clconv.h appears in the README's function table.

  test_readme_api.py CLCONV_H README_MD

The header is parsed now, so a function added to it fails this test until the table names
it; a name in the table that the header no longer declares fails too. Public functions are
the declarations marked CLCONV_API (comments and the macro's own definition skipped). The
table is the Markdown table of the README section "## The API": every `clconv_...` name in
backticks in the first cell of its rows counts. The README also stays a guide: at most
MAX_README_LINES lines (the reference lives in docs/).
"""
import re
import sys

MAX_README_LINES = 250


def header_functions(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    text = re.sub(r"//[^\n]*", " ", text)
    text = "\n".join(line for line in text.split("\n") if not line.lstrip().startswith("#"))
    names = re.findall(r"\bCLCONV_API\b[^;{}()]*?\b(clconv_\w+)\s*\(", text)
    return names


def readme_table(path):
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    try:
        start = next(i for i, l in enumerate(lines) if l.strip() == "## The API")
    except StopIteration:
        sys.exit(f"{path}: no '## The API' section")
    names, rows = set(), 0
    for line in lines[start + 1:]:
        if line.startswith("## "):
            break
        if line.startswith("|"):
            rows += 1
            first_cell = line.split("|")[1]
            names.update(re.findall(r"`(clconv_\w+)`", first_cell))
    return names, rows


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: test_readme_api.py CLCONV_H README_MD")
    declared = header_functions(sys.argv[1])
    if len(declared) < 10:
        sys.exit(f"{sys.argv[1]}: only {len(declared)} CLCONV_API functions found: parser broken?")
    duplicates = sorted({n for n in declared if declared.count(n) > 1})
    listed, rows = readme_table(sys.argv[2])
    missing = [n for n in declared if n not in listed]
    stale = sorted(listed - set(declared))
    failed = False
    if duplicates:
        print(f"FAIL: declared twice in the header: {', '.join(duplicates)}")
        failed = True
    if missing:
        print(f"FAIL: public functions missing from the README's function table: "
              f"{', '.join(missing)}")
        failed = True
    if stale:
        print(f"FAIL: the README's function table names functions the header does not "
              f"declare: {', '.join(stale)}")
        failed = True
    with open(sys.argv[2], encoding="utf-8") as f:
        length = len(f.read().rstrip("\n").split("\n"))
    if length > MAX_README_LINES:
        print(f"FAIL: the README has {length} lines, more than {MAX_README_LINES}")
        failed = True
    print(f"{len(set(declared))} public functions, {len(listed)} named in {rows} table rows")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
