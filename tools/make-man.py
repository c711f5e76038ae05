#!/usr/bin/env python3
"""Writes a man page (section 1) from a tool's --help text, at build time.

  make-man.py --name TOOL --version VERSION --summary TEXT --output FILE -- COMMAND...

COMMAND is run with --help appended; its stdout, kept as written (the tools format their help
for a terminal), becomes the page's body after NAME. Fails when the command fails or prints
nothing.
"""
import argparse
import subprocess
import sys


def roff_line(line):
    line = line.replace("\\", "\\e")
    if line.startswith((".", "'")):
        line = "\\&" + line
    return line


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--name", required=True)
    ap.add_argument("--version", required=True)
    ap.add_argument("--summary", required=True)
    ap.add_argument("--output", required=True)
    ap.add_argument("command", nargs="+")
    args = ap.parse_args()
    done = subprocess.run(args.command + ["--help"], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, universal_newlines=True)
    if done.returncode != 0 or not done.stdout.strip():
        sys.exit(f"make-man: {' '.join(args.command)} --help: exit {done.returncode}, "
                 f"{len(done.stdout)} bytes: {done.stderr.strip()}")
    lines = done.stdout.rstrip("\n").split("\n")
    # The synopsis: the "usage:" line and the indented lines that continue it.
    start = next((i for i, l in enumerate(lines) if l.lower().startswith("usage:")), None)
    end = start
    if start is not None:
        end = start + 1
        while end < len(lines) and lines[end][:1].isspace() and lines[end].strip():
            end += 1
    page = [f'.TH {args.name.upper()} 1 "" "clconv {args.version}" "clconv tools"',
            ".SH NAME", f"{args.name} \\- {args.summary}"]
    if start is not None:
        synopsis = [lines[start][len("usage:"):].strip()] + [l.strip() for l in lines[start + 1:end]]
        page += [".SH SYNOPSIS", ".nf"] + [roff_line(l) for l in synopsis] + [".fi"]
        lines = lines[:start] + lines[end:]
    page += [".SH DESCRIPTION", ".nf"]
    page += [roff_line(l) for l in lines]
    page += [".fi", ".SH SEE ALSO",
             "docs/tools.md in the clconv sources: every tool, every option, the output formats."]
    with open(args.output, "w", encoding="utf-8") as f:
        f.write("\n".join(page) + "\n")


if __name__ == "__main__":
    main()
