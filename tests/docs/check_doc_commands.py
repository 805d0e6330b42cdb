#!/usr/bin/env python3
"""Run every shell command of a guide, as a user would, with its durations scaled down.

usage: check_doc_commands.py PATTERNBENCH DOC.md [--scale S] [--timeout SECONDS]

The ```sh blocks of DOC.md, in order, are one bash script (set -eu, pipefail), run in
a scratch folder with `patternbench` on PATH being PATTERNBENCH and the project's
scenarios/ beside it (the project being the folder above DOC.md's). Before it runs:
  - every duration given to a DURATION_OPTIONS option is divided by S (default
    21600: 72h becomes 12s), rounded up to whole seconds, at least 1s;
  - --time-scale K becomes K * TIME_SCALE_BOOST (a 20-minute rehearsal takes 12 s);
  - the ports the guide names (PORTS) become free ports of this machine, so that the
    check runs beside anything else;
  - a URL that is not loopback fails the check: it sends nothing elsewhere.
The script must exit 0 within --timeout (default 120 s); whatever it left running
(its background jobs) is killed with its process group at the end.
"""
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

DURATION_OPTIONS = ("--duration", "--keep-requests", "--abort-delay", "--threshold-window",
                    "--metrics-linger")
TIME_SCALE_BOOST = 100
PORTS = ("8080", "9464", "9465")
UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}


def seconds_of(text):
    """A duration as patternbench reads it (72h, 1d12h, 1m30s, 1.5h, 500ms), in seconds."""
    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)", text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise ValueError("not a duration: %r" % text)
    return sum(float(n) * UNITS[u] for n, u in parts)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def script_of(doc):
    """The doc's ```sh blocks, joined in order."""
    blocks = re.findall(r"^```sh\n(.*?)^```", doc, re.M | re.S)
    if not blocks:
        raise ValueError("no ```sh block")
    return blocks


def scaled(script, scale):
    def duration(m):
        secs = max(1, -(-seconds_of(m.group(2)) // scale))
        return "%s %ds" % (m.group(1), secs)

    opts = "|".join(re.escape(o) for o in DURATION_OPTIONS)
    script = re.sub(r"(%s)[ =]([0-9][0-9.a-z]*)" % opts, duration, script)
    script = re.sub(r"(--time-scale)[ =]([0-9.]+)",
                    lambda m: "%s %g" % (m.group(1), float(m.group(2)) * TIME_SCALE_BOOST),
                    script)
    for port in PORTS:
        script = re.sub(r"\b%s\b" % port, str(free_port()), script)
    for url in re.findall(r"https?://[^\s'\"/]+", script):
        host = url.split("://", 1)[1].rsplit(":", 1)[0]
        if host not in ("127.0.0.1", "localhost", "[::1]"):
            raise ValueError("the guide sends to %s, not loopback" % url)
    return script


def main(argv):
    if len(argv) < 3:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    binary, doc_path = os.path.abspath(argv[1]), argv[2]
    scale, timeout = 21600.0, 120.0
    rest = argv[3:]
    while rest:
        if rest[0] == "--scale":
            scale = float(rest[1])
        elif rest[0] == "--timeout":
            timeout = float(rest[1])
        else:
            print("check_doc_commands: unknown option %s" % rest[0], file=sys.stderr)
            return 2
        rest = rest[2:]
    try:
        with open(doc_path, encoding="utf-8") as f:
            blocks = script_of(f.read())
        script = scaled("\n".join(blocks), scale)
    except (OSError, ValueError) as e:
        print("%s: %s" % (doc_path, e), file=sys.stderr)
        return 1

    work = tempfile.mkdtemp(prefix="pb-docs-check.")
    bindir = os.path.join(work, "bin")
    os.mkdir(bindir)
    os.symlink(binary, os.path.join(bindir, "patternbench"))
    project = os.path.dirname(os.path.dirname(os.path.abspath(doc_path)))
    os.symlink(os.path.join(project, "scenarios"), os.path.join(work, "scenarios"))
    env = dict(os.environ, PATH=bindir + os.pathsep + os.environ.get("PATH", ""))
    with open(os.path.join(work, "guide.sh"), "w", encoding="utf-8") as f:
        f.write("set -eux -o pipefail\n" + script)
    print("%s: %d blocks, scaled 1/%g, in %s" % (doc_path, len(blocks), scale, work), flush=True)
    started = time.monotonic()
    child = subprocess.Popen(["bash", "guide.sh"], cwd=work, env=env, start_new_session=True)
    try:
        rc = child.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        rc = None
    took = time.monotonic() - started
    # the guide's background jobs, and the script itself if it timed out
    try:
        os.killpg(child.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    child.wait()
    if rc is None:
        print("%s: the commands did not finish within %g s" % (doc_path, timeout), file=sys.stderr)
        return 1
    if rc != 0:
        print("%s: the commands exited %d after %.1f s (left in %s)" % (doc_path, rc, took, work),
              file=sys.stderr)
        return 1
    print("%s: every command ran, in %.1f s" % (doc_path, took))
    shutil.rmtree(work)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
