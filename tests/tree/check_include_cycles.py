#!/usr/bin/env python3
"""The include graph of the sources has no cycle between files.

A file's node is its concept: x.c, x.h and a private x_impl.h are one node, so "html.c includes
run_health.h while run_health.c includes html.h" is the cycle html <-> run_health
even though no header includes itself. Quoted includes only (system headers are
outside the tree). Exit 1 naming each cycle found, 0 when there is none.

usage: check_include_cycles.py SOURCE_DIR
"""
import os
import re
import sys

ROOMS = ["common", "patterns", "mockserver", "store", "reports", "harness"]
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "."
    files = []
    for room in ROOMS:
        for d, _, names in os.walk(os.path.join(root, room)):
            files += [os.path.join(d, n) for n in names if n.endswith((".c", ".h"))]
    if not files:
        print(f"check_include_cycles: no sources under {root}", file=sys.stderr)
        return 2
    headers = {}
    for f in files:
        if f.endswith(".h"):
            headers.setdefault(os.path.basename(f), []).append(f)
    def node(path):
        # x_impl.h is x's private part, shared by its .c files
        stem = os.path.splitext(os.path.relpath(path, root))[0]
        return stem[: -len("_impl")] if stem.endswith("_impl") else stem

    edges = {}
    for f in files:
        with open(f, encoding="utf-8", errors="replace") as fh:
            text = fh.read()
        for inc in INCLUDE.findall(text):
            candidates = headers.get(os.path.basename(inc), [])
            # the one beside the includer wins, as the compiler's search does
            same_dir = [h for h in candidates if os.path.dirname(h) == os.path.dirname(f)]
            target = same_dir or candidates
            if len(target) != 1:
                continue  # not ours, or ambiguous: the build would say
            a, b = node(f), node(target[0])
            if a != b:
                edges.setdefault(a, set()).add(b)
    # Tarjan's strongly connected components, iteratively
    index, low, on_stack, stack, sccs = {}, {}, set(), [], []
    counter = [0]
    nodes = sorted(set(edges) | {b for bs in edges.values() for b in bs})
    for start in nodes:
        if start in index:
            continue
        work = [(start, iter(sorted(edges.get(start, ()))))]
        index[start] = low[start] = counter[0]
        counter[0] += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            v, it = work[-1]
            w = next(it, None)
            if w is not None:
                if w not in index:
                    index[w] = low[w] = counter[0]
                    counter[0] += 1
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(sorted(edges.get(w, ())))))
                elif w in on_stack:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                scc = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    scc.append(w)
                    if w == v:
                        break
                if len(scc) > 1:
                    sccs.append(sorted(scc))
    for scc in sccs:
        inner = sorted(f"{a} -> {b}" for a in scc for b in edges.get(a, ()) if b in scc)
        print("include cycle between: " + ",".join(scc) + " (" + "; ".join(inner) + ")",
              file=sys.stderr)
    print(f"check_include_cycles: {len(nodes)} files, {len(sccs)} cycle(s)")
    return 1 if sccs else 0


if __name__ == "__main__":
    sys.exit(main())
