#!/usr/bin/env python3
"""An independent client test of `ribo mcp`, driven by the official MCP Python SDK.

Usage: python tests/mcp_python/client.py PATH/TO/ribo

Copies the fixture tests/fixtures/layer (a tiny repository with a ribo.yaml and two findings)
into a temporary directory, starts `ribo mcp` there through the SDK's stdio client, and, for
each protocol mode the SDK can select, lists the tools and calls every one of them: with valid
arguments (asserting the meaning of `structuredContent`), with invalid ones (a tool error the
model can read), and an unknown tool (a JSON-RPC error). One line per step; exit status 1 with
a message naming the step on the first failure.

The modes (`mcp.Client(..., mode=...)`, see mcp/client/client.py):
  - "legacy": the `initialize` handshake; the server must settle on 2025-11-25.
  - "auto": the SDK probes `server/discover`; the server must answer it, and the connection
    must be the stateless 2026-07-28 revision (no fallback to the handshake).
  - "2026-07-28": the SDK adopts the stateless revision directly, without `server/discover`;
    every request carries the revision in its `_meta`.

The SDK validates every non-error `structuredContent` against the tool's `outputSchema`
itself (`ClientSession.call_tool` -> `validate_tool_result`, which raises RuntimeError); this
test validates it once more with `jsonschema` (a dependency of `mcp`), against the schema the
server listed, so that the check does not depend on the SDK's internals.
"""

from __future__ import annotations

import difflib
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import anyio
import jsonschema
import mcp
from mcp import Client, MCPError, StdioServerParameters
from mcp_types import INVALID_PARAMS

if sys.version_info < (3, 11):  # mcp supports 3.10, where anyio brings the backport
    from exceptiongroup import BaseExceptionGroup

SDK_VERSION = "2.3.0"
HERE = Path(__file__).resolve().parent
FIXTURE = HERE.parent / "fixtures" / "layer"

# Generous: a debug build on a slow, loaded CI machine. One request may take this long.
REQUEST_TIMEOUT = float(os.environ.get("RIBO_MCP_TEST_TIMEOUT", "300"))
# A whole mode (start, every call, shutdown) may take this long.
MODE_TIMEOUT = REQUEST_TIMEOUT * 6

TOOLS = {"explain_path", "check", "check_change", "where_may", "explain_code", "spec"}

# (mode passed to mcp.Client, the protocol version the connection must end up on)
MODES = [
    ("legacy", "2025-11-25"),
    ("auto", "2026-07-28"),
    ("2026-07-28", "2026-07-28"),
]

STORE_RS = "src/store.rs"
# store.rs without its call up into `api`: the cause of both findings.
STORE_FIXED = "pub fn x() {}\n"
# app.rs calling up into `api`: a layer violation the change adds.
APP_UPWARD = (
    "use crate::store::Store;\n"
    "\n"
    "pub fn run() {\n"
    "    let _ = Store::default();\n"
    "    crate::api::handle();\n"
    "}\n"
)


class Failure(Exception):
    """A check of this test failed."""


def expect(condition: bool, what: str) -> None:
    if not condition:
        raise Failure(what)


def step(mode: str, text: str) -> None:
    print(f"[{mode}] ok: {text}", flush=True)


def text_of(result: Any) -> str:
    """The text blocks of a tool result, joined."""
    return "\n".join(getattr(b, "text", "") for b in result.content if getattr(b, "type", None) == "text")


class Session:
    """One connection, and what the checks share."""

    def __init__(self, client: Client, mode: str, root: Path):
        self.client = client
        self.mode = mode
        self.root = root
        self.output_schemas: dict[str, dict[str, Any]] = {}

    def ok(self, text: str) -> None:
        step(self.mode, text)

    async def call(self, name: str, arguments: dict[str, Any]) -> Any:
        try:
            return await self.client.call_tool(name, arguments, read_timeout_seconds=REQUEST_TIMEOUT)
        except RuntimeError as e:
            # What the SDK raises when structuredContent does not fit the tool's outputSchema.
            raise Failure(f"{name}({arguments}): the SDK refused the result: {e}") from e

    async def done(self, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
        """Calls a tool that must answer; returns its structuredContent, checked."""
        result = await self.call(name, arguments)
        expect(
            not result.is_error,
            f"{name}({arguments}) answered a tool error: {text_of(result)!r}",
        )
        value = result.structured_content
        expect(isinstance(value, dict), f"{name}({arguments}): structuredContent is {value!r}, not an object")
        expect(text_of(result).strip() != "", f"{name}({arguments}): no text content for the model")
        try:
            jsonschema.validate(value, self.output_schemas[name])
        except jsonschema.ValidationError as e:
            raise Failure(f"{name}({arguments}): structuredContent does not fit the outputSchema: {e.message}") from e
        return value

    async def refused(self, name: str, arguments: dict[str, Any], *needles: str) -> str:
        """Calls a tool that must answer with a tool error (isError), readable; returns its text."""
        result = await self.call(name, arguments)
        message = text_of(result)
        expect(
            result.is_error is True,
            f"{name}({arguments}) should be a tool error, got isError={result.is_error}: {message[:300]!r}",
        )
        expect(message.strip() != "", f"{name}({arguments}): the tool error has no text")
        expect("\x1b[" not in message, f"{name}({arguments}): the tool error carries terminal colours")
        for needle in needles:
            expect(
                needle in message,
                f"{name}({arguments}): the tool error should mention {needle!r}: {message!r}",
            )
        self.ok(f"{name}({_short(arguments)}) -> tool error: {message.splitlines()[0]}")
        return message


def _short(arguments: dict[str, Any]) -> str:
    text = repr(arguments)
    return text if len(text) <= 70 else text[:67] + "..."


def violations(report: dict[str, Any]) -> list[dict[str, Any]]:
    return list(report.get("violations") or [])


def codes(report: dict[str, Any]) -> list[str]:
    return sorted(v["code"] for v in violations(report))


def fingerprints(report: dict[str, Any]) -> dict[str, str]:
    return {v["code"]: v["fingerprint"] for v in violations(report)}


async def connection(s: Session, expected_version: str) -> None:
    c = s.client
    expect(
        c.protocol_version == expected_version,
        f"negotiated protocol {c.protocol_version!r}, expected {expected_version!r}",
    )
    session = c.session
    if s.mode in ("legacy", "auto"):
        # (With a version adopted directly the SDK synthesises empty capabilities: nothing to read.)
        expect(c.server_capabilities.tools is not None, "the server does not announce the tools capability")
    if s.mode == "legacy":
        expect(session.initialize_result is not None, "no initialize result in legacy mode")
        expect(session.discover_result is None, "legacy mode went through server/discover")
    elif s.mode == "auto":
        # auto reached the modern revision only if server/discover answered (no fallback).
        expect(session.initialize_result is None, "auto mode fell back to the initialize handshake")
        expect(session.discover_result is not None, "auto mode has no server/discover result")
        expect(
            expected_version in session.discover_result.supported_versions,
            f"server/discover does not list {expected_version}: {session.discover_result.supported_versions}",
        )
    if s.mode in ("legacy", "auto"):
        info = c.server_info
        expect(info is not None and info.name == "ribo", f"server info names {info!r}, not ribo")
        instructions = c.instructions or ""
        expect(
            "explain_path" in instructions and "check_change" in instructions,
            f"the instructions do not tell when to call the tools: {instructions[:200]!r}",
        )
    detail = f"server {c.server_info.name} {c.server_info.version}" if c.server_info else "no server info (adopted)"
    s.ok(f"connected, protocol {c.protocol_version}, {detail}")


async def list_tools(s: Session) -> None:
    listed = await s.client.list_tools()
    tools = list(listed.tools)
    cursor = listed.next_cursor
    while cursor is not None:
        page = await s.client.list_tools(cursor=cursor)
        tools.extend(page.tools)
        cursor = page.next_cursor
    names = [t.name for t in tools]
    expect(set(names) == TOOLS and len(names) == len(TOOLS), f"tools/list names {names}, expected {sorted(TOOLS)}")
    for t in tools:
        expect(bool(t.description and t.description.strip()), f"tool {t.name} has no description")
        for kind, schema in (("inputSchema", t.input_schema), ("outputSchema", t.output_schema)):
            expect(isinstance(schema, dict), f"tool {t.name} has no {kind}")
            expect(schema.get("type") == "object", f"the {kind} of {t.name} is not an object schema: {schema}")
            try:
                jsonschema.validators.validator_for(schema).check_schema(schema)
            except jsonschema.SchemaError as e:
                raise Failure(f"the {kind} of {t.name} is not a valid JSON Schema: {e.message}") from e
        s.output_schemas[t.name] = t.output_schema
    s.ok(f"tools/list: {', '.join(names)} (each with inputSchema and outputSchema)")


async def valid_calls(s: Session) -> dict[str, str]:
    # check: the whole repository.
    report = await s.done("check", {})
    expect(
        codes(report) == ["boundary::cycle", "boundary::layer"],
        f"check: expected the codes boundary::cycle and boundary::layer, got {codes(report)}",
    )
    expect(report["summary"]["errors"] == 2, f"check: summary.errors is {report['summary']['errors']}, not 2")
    for v in violations(report):
        expect(v["severity"] == "error", f"check: {v['code']} is a {v['severity']}, not an error")
        expect(v["file"] == STORE_RS, f"check: {v['code']} is in {v['file']}, not {STORE_RS}")
        expect(v["start"]["line"] == 6, f"check: {v['code']} starts at line {v['start']['line']}, not 6")
        fp = v.get("fingerprint")
        expect(isinstance(fp, str) and len(fp) >= 8, f"check: {v['code']} has no fingerprint ({fp!r})")
    layer = next(v for v in violations(report) if v["code"] == "boundary::layer")
    expect(
        layer["rule"] is not None and layer["rule"]["start"]["line"] == 7,
        f"check: boundary::layer does not cite `layers` (ribo.yaml line 7): {layer['rule']}",
    )
    prints = fingerprints(report)
    s.ok(f"check: 2 errors {prints}")

    # check of one file: the same findings, the same ids.
    report = await s.done("check", {"paths": [STORE_RS]})
    expect(
        fingerprints(report) == prints,
        f"check {{paths: [{STORE_RS}]}}: findings {fingerprints(report)}, expected {prints}",
    )
    s.ok(f"check {{paths: [{STORE_RS}]}}: the same 2 findings and fingerprints")

    # explain_path: the boundary that owns a file.
    explained = await s.done("explain_path", {"path": STORE_RS})
    boundary = explained.get("boundary") or {}
    expect(boundary.get("name") == "store", f"explain_path {STORE_RS}: boundary {boundary.get('name')!r}, not store")
    expect(explained["file"] == STORE_RS and explained["exists"] is True, f"explain_path {STORE_RS}: {explained}")
    expect(
        sorted(boundary.get("may_not_use") or []) == ["api", "app"],
        f"explain_path {STORE_RS}: may_not_use {boundary.get('may_not_use')}, expected api and app (layers)",
    )
    s.ok(f"explain_path {STORE_RS}: boundary store, may not use api, app")

    explained = await s.done("explain_path", {"path": "src/not_yet.rs"})
    expect(
        explained["exists"] is False and explained.get("boundary") is None,
        f"explain_path of a new unclaimed file: exists={explained['exists']}, boundary={explained.get('boundary')}",
    )
    s.ok("explain_path src/not_yet.rs: does not exist, no boundary")

    # check_change, as files: removing the call up into `api` fixes both findings.
    before = (s.root / STORE_RS).read_bytes()
    report = await s.done("check_change", {"files": {STORE_RS: STORE_FIXED}})
    change = report["summary"].get("change")
    expect(change is not None, f"check_change: summary has no `change`: {report['summary']}")
    expect(change["fixed"] == 2, f"check_change (fix): change.fixed is {change['fixed']}, not 2")
    expect(change["added_errors"] == 0, f"check_change (fix): change.added_errors is {change['added_errors']}")
    expect(violations(report) == [], f"check_change (fix): violations {codes(report)}, expected none")
    expect((s.root / STORE_RS).read_bytes() == before, "check_change wrote to the repository")
    s.ok("check_change files {src/store.rs: fixed}: fixed 2, adds nothing, nothing written")

    # check_change, as a unified diff: the same fix.
    old = before.decode().splitlines(keepends=True)
    new = [line for line in old if "crate::api::handle" not in line]
    diff = "".join(difflib.unified_diff(old, new, f"a/{STORE_RS}", f"b/{STORE_RS}"))
    report = await s.done("check_change", {"diff": diff})
    change = report["summary"].get("change") or {}
    expect(
        change.get("fixed") == 2 and violations(report) == [],
        f"check_change (diff): change {change}, violations {codes(report)}; expected fixed 2, none added",
    )
    s.ok("check_change diff (drop the call into api): fixed 2, adds nothing")

    # check_change that adds a violation: app calls up into api.
    report = await s.done("check_change", {"files": {"src/app.rs": APP_UPWARD}})
    added = [(v["code"], v["file"]) for v in violations(report)]
    expect(
        ("boundary::layer", "src/app.rs") in added,
        f"check_change (app -> api): expected boundary::layer in src/app.rs, got {added}",
    )
    expect(
        all(v["fingerprint"] not in prints.values() for v in violations(report)),
        "check_change lists findings the repository already has (it must list only the added ones)",
    )
    change = report["summary"]["change"]
    expect(change["added_errors"] >= 1, f"check_change (app -> api): change.added_errors is {change['added_errors']}")
    s.ok(f"check_change files {{src/app.rs: calls api}}: adds {sorted(set(c for c, _ in added))}")

    # The resident engine follows the disk: edit a file, check, restore, check.
    (s.root / STORE_RS).write_text(STORE_FIXED)
    try:
        report = await s.done("check", {})
        expect(violations(report) == [], f"check after fixing {STORE_RS} on disk: {codes(report)}, expected none")
    finally:
        (s.root / STORE_RS).write_bytes(before)
    report = await s.done("check", {})
    expect(fingerprints(report) == prints, f"check after restoring {STORE_RS}: {fingerprints(report)}")
    s.ok("check follows edits on disk: 0 findings after a fix, the same 2 after restoring")

    # where_may: who may use the boundary api.
    where = await s.done("where_may", {"target": "api"})
    may = sorted(x["boundary"] for x in where["may"])
    may_not = {x["boundary"]: x for x in where["may_not"]}
    expect(where["kind"] == "boundary", f"where_may api: kind {where['kind']!r}, not boundary")
    expect(may == ["api"], f"where_may api: may {may}, expected [api]")
    expect(sorted(may_not) == ["app", "store"], f"where_may api: may_not {sorted(may_not)}, expected app, store")
    for name, entry in may_not.items():
        expect(
            "layers" in entry["reason"] and entry["line"] == 7,
            f"where_may api: {name} is refused for {entry['reason']!r} (line {entry['line']}), not the layers line 7",
        )
    s.ok("where_may api: may [api]; may not app, store (layers, ribo.yaml:7)")

    where = await s.done("where_may", {"target": STORE_RS})
    expect(
        where["kind"] == "path" and (where.get("owner") or {}).get("name") == "store",
        f"where_may {STORE_RS}: kind {where['kind']!r}, owner {where.get('owner')}",
    )
    s.ok(f"where_may {STORE_RS}: a path owned by store")

    where = await s.done("where_may", {"target": "serde", "kind": "crate"})
    expect(
        sorted(x["boundary"] for x in where["may"]) == ["api", "app", "store"] and where["may_not"] == [],
        f"where_may serde (crate): {where}",
    )
    s.ok("where_may serde (crate): every boundary may")

    # explain_code: the documentation of a code.
    doc = await s.done("explain_code", {"code": "boundary::layer"})
    expect(doc["code"] == "boundary::layer", f"explain_code: code {doc['code']!r}")
    expect(doc["summary"].strip() != "", "explain_code boundary::layer: empty summary")
    expect(
        len(doc["explanation"]) > 80 and "layer" in doc["explanation"].lower(),
        f"explain_code boundary::layer: the explanation says little: {doc['explanation'][:200]!r}",
    )
    s.ok(f"explain_code boundary::layer: {doc['summary'].strip()[:70]}")

    # spec: the declaration, summarised.
    summary = await s.done("spec", {})
    names = [b["name"] for b in summary["boundaries"]]
    expect(names == ["api", "app", "store"], f"spec: boundaries {names}, expected api, app, store")
    expect(summary["layers"] == ["api", "app", "store"], f"spec: layers {summary['layers']}")
    expect(summary["system"]["name"] == "layer", f"spec: system {summary['system']}")
    expect(summary["spec"] == "ribo.yaml", f"spec: the spec file is {summary['spec']!r}")
    s.ok("spec: system layer; boundaries api, app, store; layers api > app > store")
    return prints


async def invalid_calls(s: Session) -> None:
    await s.refused("explain_path", {"path": "../x"}, "../x")
    await s.refused("explain_path", {"path": "/etc/passwd"})
    await s.refused("explain_path", {"path": STORE_RS, "extra": 1}, "extra")
    await s.refused("explain_path", {"path": 5}, "path")
    await s.refused("explain_path", {}, "path")
    await s.refused("check", {"paths": ["../x"]}, "../x")
    await s.refused("check", {"paths": STORE_RS}, "paths")
    await s.refused("check_change", {"files": {"../x.rs": "pub fn x() {}\n"}}, "../x.rs")
    await s.refused("check_change", {"files": {STORE_RS: 1}}, STORE_RS)
    await s.refused("check_change", {"diff": "", "files": {STORE_RS: ""}}, "diff", "files")
    await s.refused("check_change", {}, "diff", "files")
    await s.refused("where_may", {"target": "api", "kind": "module"}, "module")
    await s.refused("where_may", {"target": "nowhere", "kind": "boundary"}, "nowhere")
    message = await s.refused("explain_code", {"code": "boundary::layr"}, "boundary::layr")
    expect("boundary::layer" in message, f"explain_code of a typo does not suggest the code: {message!r}")
    await s.refused("spec", {"verbose": True}, "verbose")

    try:
        result = await s.client.call_tool("no_such_tool", {}, read_timeout_seconds=REQUEST_TIMEOUT)
    except MCPError as e:
        expect(e.code == INVALID_PARAMS, f"unknown tool: JSON-RPC error {e.code}, expected {INVALID_PARAMS}")
        expect("no_such_tool" in e.message, f"unknown tool: the error does not name it: {e.message!r}")
        s.ok(f"unknown tool -> JSON-RPC error {e.code}: {e.message}")
    else:
        raise Failure(f"unknown tool: expected a JSON-RPC error (MCPError), got a result: {result}")

    # The server goes on after errors.
    summary = await s.done("spec", {})
    expect(len(summary["boundaries"]) == 3, "spec after the errors: the server lost its spec")
    s.ok("the server still answers after the errors")


# The mode being run, for the failure message.
current_mode = "start"


async def run_mode(ribo: str, mode: str, expected_version: str, work: Path) -> dict[str, str]:
    global current_mode
    current_mode = mode
    root = work / mode
    shutil.copytree(FIXTURE, root)
    params = StdioServerParameters(command=ribo, args=["mcp"], cwd=root, env={"RUST_BACKTRACE": "1"})
    started = time.monotonic()
    with anyio.fail_after(MODE_TIMEOUT):
        async with Client(params, mode=mode, read_timeout_seconds=REQUEST_TIMEOUT, cache=None) as client:
            s = Session(client, mode, root)
            await connection(s, expected_version)
            await list_tools(s)
            prints = await valid_calls(s)
            await invalid_calls(s)
    leftovers = sorted(p.name for p in root.iterdir()) if root.exists() else []
    expect(
        set(leftovers) <= {"Cargo.toml", "ribo.yaml", "src", ".ribo-cache"},
        f"the server left unexpected files in the repository: {leftovers}",
    )
    step(mode, f"all checks passed ({time.monotonic() - started:.1f}s)")
    return prints


def _failure_in(e: BaseException) -> BaseException:
    """The first Failure (or else the first leaf) inside exception groups (anyio task groups)."""
    while isinstance(e, BaseExceptionGroup) and e.exceptions:
        found = next((x for x in e.exceptions if isinstance(x, Failure)), None)
        e = found if found is not None else e.exceptions[0]
    return e


async def main(ribo: str) -> None:
    with tempfile.TemporaryDirectory(prefix="ribo-mcp-python-") as tmp:
        work = Path(tmp)
        seen: dict[str, dict[str, str]] = {}
        for mode, version in MODES:
            seen[mode] = await run_mode(ribo, mode, version, work)
        first = next(iter(seen.values()))
        global current_mode
        current_mode = "all modes"
        expect(
            all(p == first for p in seen.values()),
            f"the fingerprints differ between protocol modes: {seen}",
        )
        print("ok: the same fingerprints in every mode", flush=True)


def entry() -> int:
    if len(sys.argv) != 2:
        print("usage: client.py PATH/TO/ribo", file=sys.stderr)
        return 2
    ribo = os.path.abspath(sys.argv[1])
    if not (os.path.isfile(ribo) and os.access(ribo, os.X_OK)):
        print(f"FAIL: {ribo} is not an executable file (build it: cargo build)", file=sys.stderr)
        return 2
    if not (FIXTURE / "ribo.yaml").is_file():
        print(f"FAIL: the fixture {FIXTURE} is missing", file=sys.stderr)
        return 2
    installed = getattr(mcp, "__version__", None)
    if installed is None:
        from importlib.metadata import version

        installed = version("mcp")
    print(f"MCP Python SDK {installed}; ribo: {ribo}; fixture: {FIXTURE}", flush=True)
    if installed != SDK_VERSION:
        print(f"FAIL: this test is written for mcp=={SDK_VERSION}, found {installed}", file=sys.stderr)
        return 1
    try:
        anyio.run(main, ribo)
    except BaseException as raised:  # noqa: BLE001 - report every failure the same way
        e = _failure_in(raised)
        if isinstance(e, KeyboardInterrupt):
            raise
        where = f"FAIL [{current_mode}]"
        if isinstance(e, Failure):
            print(f"{where}: {e}", file=sys.stderr)
        elif isinstance(e, TimeoutError):
            print(
                f"{where}: timed out (a request may take {REQUEST_TIMEOUT:.0f}s, a mode {MODE_TIMEOUT:.0f}s; "
                f"RIBO_MCP_TEST_TIMEOUT sets the first): {e!r}",
                file=sys.stderr,
            )
        elif isinstance(e, MCPError):
            hint = ""
            if "closed" in e.message.lower():
                hint = " (did the server exit? its stderr is above)"
            elif "timed out" in e.message.lower():
                hint = f" (after {REQUEST_TIMEOUT:.0f}s; RIBO_MCP_TEST_TIMEOUT sets it)"
            print(f"{where}: unexpected JSON-RPC error {e.code}: {e.message}{hint}", file=sys.stderr)
        else:
            import traceback

            traceback.print_exception(e)
            print(f"{where}: unexpected {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    print("PASS: the official MCP Python SDK drives ribo mcp (legacy handshake and 2026-07-28)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(entry())
