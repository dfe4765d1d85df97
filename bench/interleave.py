#!/usr/bin/env python3
"""Times commands in interleaved rounds: round k runs every command once, in turn, starting
with the k-th (so that no command always runs first or last in a round).

hyperfine runs all of one command's runs, then the next command's: on a machine whose load
drifts over minutes (these are shared machines), that drift lands between commands and
biases their ratios. Interleaving puts every command under the same conditions in each
round, and the median of the per-round ratios is robust to a noisy round.

usage: interleave.py OUT.json ROUNDS NAME=COMMAND [NAME=COMMAND ...]
One warm-up round first (not counted). Writes hyperfine's JSON shape ({"results": [{"command",
"times"}]}) to OUT.json, and prints each command's median and each one's median per-round
ratio to the first command.
"""
import json
import shlex
import statistics
import subprocess
import sys
import time


def run(cmd):
    start = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - start


def main():
    out, rounds = sys.argv[1], int(sys.argv[2])
    cmds = []
    for arg in sys.argv[3:]:
        name, _, cmd = arg.partition("=")
        cmds.append((name, shlex.split(cmd)))
    for _, cmd in cmds:
        run(cmd)
    times = {name: [] for name, _ in cmds}
    for k in range(rounds):
        # Each round starts one command later: a fixed order gave the command run last in
        # every round a systematic handicap (session 8: the same ribo binary measured 4-7%
        # slower when listed after another than before it).
        for name, cmd in cmds[k % len(cmds):] + cmds[:k % len(cmds)]:
            times[name].append(run(cmd))
    base = cmds[0][0]
    print(f"{'(interleaved, ' + str(rounds) + ' rounds)':38} {'median':>9} {'ratio/round':>12}")
    for name, _ in cmds:
        ratios = [t / b for t, b in zip(times[name], times[base])]
        print(f"{name:38} {statistics.median(times[name]):8.3f}s {statistics.median(ratios):11.2f}x")
    with open(out, "w") as f:
        json.dump({"results": [{"command": n, "times": times[n]} for n, _ in cmds]}, f)


if __name__ == "__main__":
    main()
