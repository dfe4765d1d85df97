#!/usr/bin/env python3
"""bench/mcp-memory.py — the memory of one `ribo mcp` session, call by call.

usage: bench/mcp-memory.py RIBO CORPUS ONE_FILE [--cold]

Starts `ribo mcp` in CORPUS (with --cold: its .ribo-cache removed first), makes the calls of an
agent (a whole check twice, three check_change of ONE_FILE, an explain_path) and prints, after
each, the server's peak (VmHWM) and current (VmRSS) memory from /proc (Linux). Standard library
only.
"""
import json, subprocess, sys, os, shutil
ribo, corpus, one = sys.argv[1:4]
ribo = os.path.abspath(ribo)
if "--cold" in sys.argv: shutil.rmtree(os.path.join(corpus, ".ribo-cache"), ignore_errors=True)
p = subprocess.Popen([ribo, "mcp"], cwd=corpus, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
i = 0
def req(method, params):
    global i; i += 1
    p.stdin.write((json.dumps({"jsonrpc":"2.0","id":i,"method":method,"params":params})+"\n").encode()); p.stdin.flush()
    while True:
        m = json.loads(p.stdout.readline())
        if m.get("id") == i: return m
def mem(label):
    d = {}
    for line in open(f"/proc/{p.pid}/status"):
        k, _, v = line.partition(":")
        if k in ("VmHWM", "VmRSS"): d[k] = int(v.split()[0]) // 1024
    print(f"{label:40s} peak {d['VmHWM']} MB, now {d['VmRSS']} MB", flush=True)
req("initialize", {"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"b","version":"1"}})
mem("started")
req("tools/call", {"name":"check","arguments":{}}); mem("first check")
req("tools/call", {"name":"check","arguments":{}}); mem("second check")
text = open(os.path.join(corpus, one)).read()
for r in range(3):
    req("tools/call", {"name":"check_change","arguments":{"files":{one: text + f"pub fn b{r}() {{}}\n"}}}); mem(f"check_change {r}")
req("tools/call", {"name":"explain_path","arguments":{"path": one}}); mem("explain_path")
p.stdin.close(); p.wait()
