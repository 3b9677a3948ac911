"""Drives the memctx binary with the official MCP Python SDK (PyPI `mcp`), as a real client over stdio.

Usage: python mcp_sdk_client.py MEMCTX_BINARY MODE   (MODE: legacy | auto | 2026-07-28)
Prints one JSON object with what it saw; exits non-zero on the first failure, saying what failed.
"""

import asyncio
import json
import os
import sys

from mcp import Client, StdioServerParameters


def fail(message: str) -> None:
    print(json.dumps({"ok": False, "error": message}))
    sys.exit(1)


# Arguments for every tool: a valid call each (ids come from the first saves).
def arguments_for(name: str, ids: dict) -> dict:
    table = {
        "saveCheckpoint": {"description": "Wired memctx into the MCP client", "content": "stdio, newline-delimited JSON", "tags": ["mcp"]},
        "getCheckpoint": {"id": ids.get("checkpoint")},
        "listCheckpoints": {"limit": 5},
        "createSession": {"title": "MCP SDK session"},
        "getSession": {"id": ids.get("session")},
        "listSessions": {"limit": 5},
        "updateSession": {"id": ids.get("session"), "contextSummary": "checked by the Python SDK"},
        "deleteSession": {"id": ids.get("session")},
        "savePattern": {"patternType": "workflow", "name": "Connect an MCP client", "template": "stdio, initialize, tools/list"},
        "getPattern": {"id": ids.get("pattern")},
        "listPatterns": {"limit": 5},
        "searchPatterns": {"query": "MCP client", "mode": "lexical"},
        "searchSessions": {"query": "MCP SDK", "mode": "lexical"},
        "searchCheckpoints": {"query": "MCP client", "mode": "lexical"},
        "search": {"query": "MCP", "mode": "lexical"},
        "loadContext": {"query": "MCP client", "tokenBudget": 500},
        "stats": {},
        "health": {},
        "sync": {},
    }
    return table.get(name, {})


async def main() -> None:
    binary, mode = sys.argv[1], sys.argv[2]
    env = dict(os.environ)
    env.setdefault("MEMCTX_LOG_LEVEL", "error")
    params = StdioServerParameters(command=binary, args=["serve"], env=env)
    seen: dict = {"mode": mode}
    async with Client(params, mode=mode) as client:
        seen["protocolVersion"] = client.protocol_version
        tools = await client.list_tools()
        names = [tool.name for tool in tools.tools]
        seen["tools"] = names
        if "saveCheckpoint" not in names:
            fail(f"no saveCheckpoint tool in {names}")
        ids: dict = {}
        # Writes first (their ids feed the reads), deletion last.
        order = ["saveCheckpoint", "createSession", "savePattern"] + [n for n in names if n not in ("saveCheckpoint", "createSession", "savePattern", "deleteSession")] + ["deleteSession"]
        called = []
        for name in order:
            if name not in names:
                continue
            result = await client.call_tool(name, arguments_for(name, ids))
            if result.is_error:
                fail(f"{name} answered isError: {result.content}")
            structured = result.structured_content or {}
            if name == "saveCheckpoint":
                ids["checkpoint"] = structured["checkpoint"]["id"]
            if name == "createSession":
                ids["session"] = structured["session"]["id"]
            if name == "savePattern":
                ids["pattern"] = structured["pattern"]["id"]
            text = result.content[0].text if result.content else ""
            if json.loads(text) != structured:
                fail(f"{name}: the text block is not the structured content")
            called.append(name)
        seen["called"] = called
        # Progress: a call with a progress callback hears it before the result.
        updates = []

        async def on_progress(progress, total, message):
            updates.append((progress, total))

        await client.call_tool("stats", {}, progress_callback=on_progress)
        if not updates or updates[-1][0] != updates[-1][1]:
            fail(f"no progress reported for a call with a progress callback: {updates}")
        seen["progress"] = len(updates)
        # A bad argument is a tool error the model can read, not a protocol error.
        bad = await client.call_tool("listSessions", {"limit": 0})
        if not bad.is_error or "limit" not in bad.content[0].text:
            fail(f"a bad argument did not come back as a tool error: {bad}")
        resources = await client.list_resources()
        uris = [str(resource.uri) for resource in resources.resources]
        checkpoint_uri = f"memctx://checkpoints/{ids['checkpoint']}"
        if checkpoint_uri not in uris:
            fail(f"{checkpoint_uri} not among the resources {uris[:5]}")
        read = await client.read_resource(checkpoint_uri)
        content = json.loads(read.contents[0].text)
        if content["checkpoint"]["id"] != ids["checkpoint"]:
            fail("resources/read returned another checkpoint")
        seen["resources"] = len(uris)
        prompts = await client.list_prompts()
        if "resume" not in [prompt.name for prompt in prompts.prompts]:
            fail("no resume prompt")
        prompt = await client.get_prompt("resume", {"query": "MCP client"})
        seen["prompt"] = prompt.messages[0].content.text[:80]
    seen["ok"] = True
    print(json.dumps(seen))


asyncio.run(main())
