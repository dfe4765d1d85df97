#!/usr/bin/env python3
"""bench/mcp.py — times `ribo mcp`'s calls on a corpus, the way an agent makes them.

usage: bench/mcp.py RIBO CORPUS ONE_FILE [--cold] [--rounds N]

Starts `ribo mcp` in CORPUS (newline-delimited JSON-RPC over stdio, 2025-11-25 handshake) and
times, in wall-clock seconds measured here (request written to response read):
  - the first `check` call (cold with --cold: the corpus' .ribo-cache is removed first);
  - a second `check` (nothing changed on disk);
  - `check_change` of a one-file edit of ONE_FILE (a new item appended, in `files`), N rounds
    (each round a different edit, so that nothing is remembered from the round before);
  - `explain_path` of ONE_FILE, N rounds;
  - `check` with `paths: [ONE_FILE]` after ONE_FILE was edited on disk, N rounds (restored).
Prints one line per measure (median, min, max), the server's peak memory (VmHWM, Linux), and a
JSON object on the last line.
Standard library only.
"""
import json
import os
import shutil
import statistics
import subprocess
import sys
import time


def main():
    args = sys.argv[1:]
    cold = "--cold" in args
    rounds = 15
    if "--rounds" in args:
        rounds = int(args[args.index("--rounds") + 1])
    ribo, corpus, one = [a for a in args if not a.startswith("--") and not a.isdigit()][:3]
    ribo = os.path.abspath(ribo)
    if cold:
        shutil.rmtree(os.path.join(corpus, ".ribo-cache"), ignore_errors=True)
    proc = subprocess.Popen([ribo, "mcp"], cwd=corpus, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE)
    ids = iter(range(1, 1 << 30))

    def send(msg):
        proc.stdin.write((json.dumps(msg) + "\n").encode())
        proc.stdin.flush()

    def request(method, params=None):
        i = next(ids)
        send({"jsonrpc": "2.0", "id": i, "method": method, "params": params or {}})
        while True:
            line = proc.stdout.readline()
            if not line:
                sys.exit("ribo mcp ended")
            msg = json.loads(line)
            if msg.get("id") == i:
                if "error" in msg:
                    sys.exit(f"{method}: {msg['error']}")
                return msg["result"]

    def call(name, arguments):
        start = time.perf_counter()
        result = request("tools/call", {"name": name, "arguments": arguments})
        took = time.perf_counter() - start
        if result.get("isError"):
            sys.exit(f"{name}: {result['content'][0]['text']}")
        return took, result

    request("initialize", {"protocolVersion": "2025-11-25", "capabilities": {},
                           "clientInfo": {"name": "bench", "version": "1"}})
    send({"jsonrpc": "2.0", "method": "notifications/initialized"})
    times = {}
    times["first check" + (" (cold)" if cold else " (warm caches)")] = [call("check", {})[0]]
    times["second check (nothing changed)"] = [call("check", {})[0]]
    path = os.path.join(corpus, one)
    with open(path, encoding="utf-8") as f:
        text = f.read()
    edits = []
    for r in range(rounds):
        took, result = call("check_change", {"files": {
            one: text + f"pub fn bench_mcp_{r}() -> u32 {{ {r} }}\n"}})
        edits.append(took)
    times["check_change, one-file edit"] = edits
    times["explain_path"] = [call("explain_path", {"path": one})[0] for _ in range(rounds)]
    on_disk = []
    try:
        for r in range(rounds):
            with open(path, "w", encoding="utf-8") as f:
                f.write(text + f"pub fn bench_disk_{r}() -> u32 {{ {r} }}\n")
            on_disk.append(call("check", {"paths": [one]})[0])
    finally:
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
    times["check of the file, edited on disk"] = on_disk
    peak_kb = None
    try:
        with open(f"/proc/{proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    peak_kb = int(line.split()[1])
    except OSError:
        pass
    proc.stdin.close()
    proc.wait(timeout=60)
    out = {}
    for name, ts in times.items():
        med = statistics.median(ts)
        out[name] = med
        print(f"{name:45s} median {med * 1000:8.1f} ms  (min {min(ts) * 1000:.1f}, max {max(ts) * 1000:.1f}, n={len(ts)})")
    if peak_kb is not None:
        print(f"{'server peak memory (VmHWM)':45s} {peak_kb / 1024:8.1f} MB")
        out["peak_kb"] = peak_kb
    print(json.dumps(out))


if __name__ == "__main__":
    main()
