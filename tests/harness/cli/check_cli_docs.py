#!/usr/bin/env python3
"""Every option a subcommand accepts appears in its --help and in docs/CMD.md.

The options a subcommand accepts are read from the code that parses them, as
there is no one table of them: the exact "--name" literals its cmd_CMD.c
compares arguments with, the names run's configuration setter compares
(harness/engine/run_config.c) and its short aliases, the mock's option table
(keys[] in mockserver/mock_config.c) and the pattern parameters' table
(patterns/params.c). The help is the binary's own `patternbench CMD --help`.

usage: check_cli_docs.py PATTERNBENCH SOURCE_DIR
"""
import re
import subprocess
import sys

COMMANDS = ("run", "compare", "mock", "report", "export", "merge", "reproduce")


def read(src, path):
    with open(f"{src}/{path}", encoding="utf-8") as f:
        return f.read()


def literals(text):
    """Exact "--name" string literals: what an argument is compared with."""
    return {m for m in re.findall(r'"(--[a-z][a-z0-9-]*)"', text)}


def compared(text, var):
    """Names compared with strcmp(VAR, "name"): options given without dashes."""
    pat = r"strcmp\(" + re.escape(var) + r', "([a-z][a-z0-9-]*)"\)'
    return {"--" + m for m in re.findall(pat, text)}


def mock_options(src):
    text = read(src, "mockserver/mock_config.c")
    table = text[text.index("static const mock_key keys[] = {"):]
    table = table[:table.index("\n};")]
    names = re.findall(r'^\s*(?:\{|SETTING_ROW\()"([a-z][a-z0-9-]*)"', table, re.M)
    return {"--" + n for n in names}


def pattern_options(src):
    text = read(src, "patterns/params.c")
    return {"--" + n for n in re.findall(r'\{\{"([a-z][a-z0-9-]*)",', text)}


def run_config_options(src):
    text = read(src, "harness/engine/run_config.c")
    aliases = re.findall(r'\{"([a-z-]+)", "[a-z-]+"\}', text)
    return compared(text, "name") | {"--" + a for a in aliases}


def accepted(src, cmd):
    own = read(src, f"harness/cli/cmd_{cmd}.c")
    opts = literals(own) | {"--help"}
    if cmd == "run":
        opts |= compared(own, "name") | run_config_options(src) | mock_options(src)
        opts |= pattern_options(src)
    elif cmd == "mock":
        opts |= compared(own, "o->name") | mock_options(src)
    # "--" alone ends the options of merge and others; it is no option
    opts.discard("--")
    return opts


def mentions(text, opt):
    return re.search(r"(?<![\w-])" + re.escape(opt) + r"(?![\w-])", text) is not None


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    binary, src = sys.argv[1], sys.argv[2]
    failures = []
    for cmd in COMMANDS:
        opts = accepted(src, cmd)
        # a parser read as having no options but --help means this check reads the code wrong
        if cmd != "merge" and len(opts) < 3:
            failures.append(f"{cmd}: found only {sorted(opts)} in the code; the check is out of date")
        out = subprocess.run([binary, cmd, "--help"], capture_output=True, text=True, timeout=30)
        if out.returncode != 0:
            failures.append(f"{cmd} --help: exit {out.returncode}")
        page = read(src, f"docs/{cmd}.md")
        for opt in sorted(opts):
            if not mentions(out.stdout, opt):
                failures.append(f"{cmd}: {opt} is accepted but not in 'patternbench {cmd} --help'")
            if not mentions(page, opt):
                failures.append(f"{cmd}: {opt} is accepted but not in docs/{cmd}.md")
        print(f"{cmd}: {len(opts)} options checked")
    for f in failures:
        print(f, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
