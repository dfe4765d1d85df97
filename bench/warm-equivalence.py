#!/usr/bin/env python3
"""bench/warm-equivalence.py — `check_change` over the warm graph answers as the pipeline does.

usage: bench/warm-equivalence.py RIBO CORPUS [--files N] [--seed S] [--write]

Starts two `ribo mcp` servers in CORPUS, one as it runs (the warm graph) and one with
RIBO_MCP_WARM=0 (every change through the pipeline of `ribo check --patch --new`), and sends
both the same `check_change` calls: for N Rust files picked at random, five edits each (an
item appended, a line deleted, a line duplicated, a comment prepended, a `use` prepended). Every pair of answers
must be identical; prints how many differ (0 expected) and the median time of each server.
With --write, each file is first written on disk (a comment prepended: the warm server patches
the written file into its graph for good) and checked (`check` with its path), the edits are
made to that, and the file is restored after (written again).
Standard library only.
"""
import json
import os
import random
import statistics
import subprocess
import sys
import time


class Server:
    def __init__(self, ribo, corpus, env):
        self.proc = subprocess.Popen([ribo, "mcp"], cwd=corpus, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, env={**os.environ, **env})
        self.ids = iter(range(1, 1 << 30))
        self.request("initialize", {"protocolVersion": "2025-11-25", "capabilities": {},
                                    "clientInfo": {"name": "equivalence", "version": "1"}})
        self.send({"jsonrpc": "2.0", "method": "notifications/initialized"})

    def send(self, msg):
        self.proc.stdin.write((json.dumps(msg) + "\n").encode())
        self.proc.stdin.flush()

    def request(self, method, params):
        i = next(self.ids)
        self.send({"jsonrpc": "2.0", "id": i, "method": method, "params": params})
        while True:
            line = self.proc.stdout.readline()
            if not line:
                sys.exit("ribo mcp ended")
            msg = json.loads(line)
            if msg.get("id") == i:
                return msg

    def call(self, name, arguments):
        start = time.perf_counter()
        msg = self.request("tools/call", {"name": name, "arguments": arguments})
        return time.perf_counter() - start, msg.get("result", msg.get("error"))

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=60)


def edits(text, rng):
    lines = text.split("\n")
    at = rng.randrange(len(lines))
    yield "an item appended", text + f"\npub fn warm_equivalence_{rng.randrange(1 << 30)}() -> u32 {{ 1 }}\n"
    yield "a line deleted", "\n".join(lines[:at] + lines[at + 1:])
    yield "a line duplicated", "\n".join(lines[:at] + [lines[at]] + lines[at:])
    yield "a comment prepended", "// warm equivalence\n" + text
    yield "a use prepended", "use std::collections::HashMap;\n" + text


def main():
    args = sys.argv[1:]
    n = int(args[args.index("--files") + 1]) if "--files" in args else 40
    seed = int(args[args.index("--seed") + 1]) if "--seed" in args else 1
    ribo, corpus = [a for a in args if not a.startswith("--") and not a.isdigit()][:2]
    ribo = os.path.abspath(ribo)
    rng = random.Random(seed)
    files = []
    for d, _, names in os.walk(corpus):
        if ".ribo-cache" in d or "/target" in d:
            continue
        files += [os.path.relpath(os.path.join(d, f), corpus) for f in names if f.endswith(".rs")]
    files.sort()
    picked = rng.sample(files, min(n, len(files)))
    warm = Server(ribo, corpus, {})
    cold = Server(ribo, corpus, {"RIBO_MCP_WARM": "0"})
    warm.call("check", {})
    cold.call("check", {})
    differ, times = 0, {"warm": [], "pipeline": [], "warm check": [], "pipeline check": []}
    write = "--write" in args
    for rel in picked:
        path = os.path.join(corpus, rel)
        with open(path, "rb") as f:
            original = f.read()
        text = original.decode("utf-8", errors="replace")
        if write:
            text = "// written by warm-equivalence\n" + text
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
            # The file written, checked (`check` with paths: the warm server's graph holds it).
            tw, a = warm.call("check", {"paths": [rel]})
            tc, b = cold.call("check", {"paths": [rel]})
            times["warm check"].append(tw)
            times["pipeline check"].append(tc)
            if a != b:
                differ += 1
                print(f"DIFFERS: {rel}: check of the file written", file=sys.stderr)
        for what, new in edits(text, rng):
            arguments = {"files": {rel: new}}
            tw, a = warm.call("check_change", arguments)
            tc, b = cold.call("check_change", arguments)
            times["warm"].append(tw)
            times["pipeline"].append(tc)
            if a != b:
                differ += 1
                print(f"DIFFERS: {rel}: {what}", file=sys.stderr)
        if write:
            with open(path, "wb") as f:
                f.write(original)
    warm.close()
    cold.close()
    calls = len(times["warm"]) + len(times["warm check"])
    print(f"{calls} calls on {len(picked)} files: {differ} answers differ")
    for k, ts in times.items():
        if ts:
            print(f"  {k:15s} median {statistics.median(ts) * 1000:7.1f} ms")
    sys.exit(1 if differ else 0)


if __name__ == "__main__":
    main()
