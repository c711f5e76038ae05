#!/usr/bin/env python3
"""Every relative link of the Markdown documentation leads somewhere.

  test_docs_links.py SOURCE_ROOT

Checks README.md, CHANGELOG.md, docs/*.md and tools/suites/README.md: each relative link's
file exists, and a `#fragment` names a heading of the target (GitHub's anchors: lower case,
punctuation dropped, spaces as hyphens). Web links are not followed.
"""
import glob
import os
import re
import sys

LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def anchors(path):
    found = set()
    with open(path, encoding="utf-8") as f:
        in_code = False
        for line in f:
            if line.startswith("```"):
                in_code = not in_code
            if in_code or not line.startswith("#"):
                continue
            title = line.lstrip("#").strip().lower()
            slug = re.sub(r"[^\w\- ]", "", title).replace(" ", "-")
            found.add(slug)
    return found


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: test_docs_links.py SOURCE_ROOT")
    root = sys.argv[1]
    pages = [os.path.join(root, p) for p in ("README.md", "CHANGELOG.md",
                                             "tools/suites/README.md")]
    pages += sorted(glob.glob(os.path.join(root, "docs", "*.md")))
    failures, links = [], 0
    for page in pages:
        with open(page, encoding="utf-8") as f:
            text = re.sub(r"```.*?```", "", f.read(), flags=re.S)
        for target in LINK.findall(text):
            if re.match(r"[a-z]+:", target):
                continue
            links += 1
            path, _, fragment = target.partition("#")
            dest = os.path.normpath(os.path.join(os.path.dirname(page), path)) if path else page
            where = os.path.relpath(page, root)
            if not os.path.exists(dest):
                failures.append(f"{where}: ({target}): no such file")
            elif fragment and dest.endswith(".md") and fragment not in anchors(dest):
                failures.append(f"{where}: ({target}): no heading #{fragment}")
    for f in failures:
        print("FAIL: " + f)
    print(f"{links} relative links in {len(pages)} pages, {len(failures)} broken")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
