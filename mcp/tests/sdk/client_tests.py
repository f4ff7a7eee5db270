"""The sequelae MCP server driven by the official MCP Python SDK (mcp 2.x).

Run by cli/tests/mcp_sdk.rs (and so by scripts/test) with:
  SEQUELAE_BIN   the sequelae binary
  DATABASE_URL   a database prepared by the Rust harness (tables t1, t2, t3, big)
  SEQUELAE_WORK  the server's working directory (its backups/ folder is checked)
Prints one line per check; exits non-zero on the first failure.
"""

import asyncio
import json
import os
import pathlib
import sys
import time

from mcp import Client, ClientSession, StdioServerParameters, stdio_client

BIN = os.environ["SEQUELAE_BIN"]
WORK = pathlib.Path(os.environ["SEQUELAE_WORK"])
BACKUPS = WORK / "backups"
TOOLS = ["sql_exec", "sql_file", "sql_schema", "sql_health", "sql_backup"]
DEADLINE = 30.0


def params():
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env["DATABASE_URL"] = os.environ["DATABASE_URL"]
    return StdioServerParameters(command=BIN, args=["--mcp"], env=env, cwd=str(WORK))


def check(condition, what):
    if not condition:
        raise AssertionError(what)


def structured(result, name):
    check(not result.is_error, f"{name} failed: {result.content}")
    check(result.structured_content is not None, f"{name}: no structuredContent")
    text = json.loads(result.content[0].text)
    check(text == result.structured_content, f"{name}: text and structuredContent differ")
    return result.structured_content


async def every_tool(session, era):
    listed = await session.list_tools()
    names = [t.name for t in listed.tools]
    check(names == TOOLS, f"tools in order: {names}")
    for tool in listed.tools:
        check(tool.output_schema is not None, f"{tool.name} has an outputSchema")
        check(tool.annotations is not None and tool.title, f"{tool.name} has title and annotations")
    # Each success below has passed the SDK's own outputSchema validation
    # (call_tool validates structuredContent before returning).
    doc = structured(await session.call_tool("sql_exec", {"query": "SELECT id, name FROM t1 ORDER BY id"}), "sql_exec")
    check(doc["rows"][0] == {"id": 1, "name": "one"}, f"typed rows: {doc['rows'][:1]}")
    doc = structured(await session.call_tool("sql_file", {"filepath": "queries/count.sql"}), "sql_file")
    check(doc["rows"] == [{"n": 3}], f"sql_file rows: {doc}")
    doc = structured(await session.call_tool("sql_schema", {"tables": ["t1"]}), "sql_schema")
    check(doc["tables"][0]["name"] == "t1", f"schema: {doc}")
    doc = structured(await session.call_tool("sql_health", {}), "sql_health")
    check(doc["healthy"] is True and "version" in doc, f"health: {doc}")
    doc = structured(
        await session.call_tool("sql_backup", {"outputPath": f"every-tool-{era}.sql", "tables": ["t1"]}),
        "sql_backup",
    )
    check(doc["success"] and (BACKUPS / f"every-tool-{era}.sql").is_file(), f"backup: {doc}")
    failed = await session.call_tool("sql_exec", {"query": "SELECT * FROM no_such_table"})
    check(failed.is_error, "a database error is isError")
    error = json.loads(failed.content[0].text)
    check(error["code"] == "42P01", f"SQLSTATE in the error: {error}")
    bad = await session.call_tool("sql_exec", {"query": 7})
    check(bad.is_error and "query" in bad.content[0].text, f"a bad argument is named: {bad.content}")
    print(f"ok: every tool, {era} era", flush=True)


async def legacy_era():
    async with stdio_client(params()) as (read, write):
        async with ClientSession(read, write) as session:
            result = await session.initialize()
            check(result.protocol_version == "2025-11-25", f"negotiated {result.protocol_version}")
            print(f"ok: ClientSession.initialize negotiated {result.protocol_version}", flush=True)
            await every_tool(session, "legacy")


async def modern_era():
    async with Client(params()) as client:
        session = client.session
        check(session.protocol_version == "2026-07-28", f"Client negotiated {session.protocol_version}")
        check(session.discover_result is not None, "Client adopted server/discover")
        print(f"ok: Client probed server/discover and adopted {session.protocol_version}", flush=True)
        await every_tool(session, "modern")
        await progress(session)
        await cancel_query(session)
        await cancel_backup(session)


async def progress(session):
    seen = []

    async def on_progress(value, total, message):
        seen.append((value, total, message))

    doc = structured(
        await session.call_tool(
            "sql_backup",
            {"outputPath": "progress.sql", "usePgDump": True, "tables": ["t1", "t2", "t3"]},
            progress_callback=on_progress,
        ),
        "sql_backup with progress",
    )
    check(doc["tables"] == 3, f"three tables: {doc}")
    check(len(seen) >= 3, f"a progress notification per table: {seen}")
    values = [v for v, _, _ in seen]
    check(values == sorted(set(values)), f"progress increases: {values}")
    check(all(t is not None and v <= t for v, t, _ in seen), f"total known: {seen}")
    check(any("t2" in (m or "") for _, _, m in seen), f"messages name tables: {seen}")
    print(f"ok: {len(seen)} progress callbacks during a 3-table backup", flush=True)


async def count(session, sql):
    doc = structured(await session.call_tool("sql_exec", {"query": sql}), "count")
    return doc["rows"][0]["n"]


async def wait_until(what, condition):
    deadline = time.monotonic() + DEADLINE
    while not await condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


SLEEPING = (
    "SELECT count(*) AS n FROM pg_stat_activity "
    "WHERE query LIKE 'SELECT pg_sleep(30)%' AND pid <> pg_backend_pid()"
)


async def cancel_query(session):
    call = asyncio.create_task(session.call_tool("sql_exec", {"query": "SELECT pg_sleep(30)"}))
    await wait_until("pg_sleep(30) to run", lambda: _is(session, SLEEPING, 1))
    call.cancel()
    started = time.monotonic()
    await wait_until("pg_sleep(30) to leave pg_stat_activity", lambda: _is(session, SLEEPING, 0))
    try:
        await call
    except asyncio.CancelledError:
        pass
    print(f"ok: cancelled pg_sleep(30) left pg_stat_activity in {time.monotonic() - started:.2f} s", flush=True)


async def _is(session, sql, n):
    return await count(session, sql) == n


async def cancel_backup(session):
    before = set(BACKUPS.iterdir())
    first = asyncio.Event()

    async def on_progress(value, total, message):
        first.set()

    call = asyncio.create_task(
        session.call_tool(
            "sql_backup",
            {"outputPath": "cancelled.sql", "usePgDump": False},
            progress_callback=on_progress,
        )
    )
    await asyncio.wait_for(first.wait(), DEADLINE)
    call.cancel()

    async def clean():
        return set(BACKUPS.iterdir()) == before

    await wait_until("the cancelled backup's files to be removed", clean)
    try:
        await call
    except asyncio.CancelledError:
        pass
    check(not (BACKUPS / "cancelled.sql").exists(), "no backup left")
    print("ok: a cancelled backup left no files", flush=True)


async def main():
    await legacy_era()
    await modern_era()
    print("all SDK checks passed", flush=True)


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except BaseException as e:  # noqa: BLE001 - the harness reads the message
        import traceback

        traceback.print_exception(e, file=sys.stdout)
        print(f"FAILED: {type(e).__name__}: {e}", flush=True)
        sys.exit(1)
