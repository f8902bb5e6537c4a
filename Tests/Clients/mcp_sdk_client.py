"""The official MCP Python SDK as a client of promptc's tools, over Streamable HTTP or stdio.

Run by the Swift test `MCPSDKTests`. It opens CLIENTS clients at once (each its own session or
process), waits until all have connected, then each lists the tools and makes the calls; it
prints one JSON line of what it saw, for the test to check.

Usage: python mcp_sdk_client.py http URL PLAN_JSON
       python mcp_sdk_client.py stdio COMMAND_JSON PLAN_JSON
PLAN_JSON: {"clients": N, "headers": {...}, "calls": [{"tool": NAME, "arguments": {...}}]}
COMMAND_JSON: {"command": PATH, "args": [...], "env": {...}}
"""

import json
import sys

import anyio
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client


def server_for(transport: str, target: str, headers: dict):
    if transport == "http":
        return streamable_http_client(target, http_client=create_mcp_http_client(headers=headers))
    command = json.loads(target)
    return StdioServerParameters(command=command["command"], args=command["args"], env=command.get("env"))


async def one_client(transport: str, target: str, plan: dict, connected: anyio.Event, everyone: list, index: int, seen: list):
    async with Client(server_for(transport, target, plan.get("headers", {})), cache=None) as client:
        everyone.append(index)
        if len(everyone) == plan["clients"]:
            connected.set()
        await connected.wait()  # every client has its session before any calls a tool
        listed = await client.list_tools()
        tools = {
            tool.name: {"description": tool.description, "input": tool.input_schema, "output": tool.output_schema}
            for tool in listed.tools
        }
        results = []
        for call in plan["calls"]:
            result = await client.call_tool(call["tool"], call["arguments"])
            texts = [block.text for block in result.content if block.type == "text"]
            assert len(texts) == 1, result.content
            if not result.is_error:
                # The text block carries the same JSON as the structured content.
                assert json.loads(texts[0]) == result.structured_content, (texts[0], result.structured_content)
            results.append({
                "is_error": result.is_error,
                "structured": result.structured_content,
                "text": json.loads(texts[0]),
                "meta": result.meta,
            })
        seen[index] = {"tools": tools, "results": results}


async def main() -> None:
    transport, target, plan = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    seen: list = [None] * plan["clients"]
    connected = anyio.Event()
    everyone: list = []
    with anyio.fail_after(60):
        async with anyio.create_task_group() as group:
            for index in range(plan["clients"]):
                group.start_soon(one_client, transport, target, plan, connected, everyone, index, seen)
    print(json.dumps({"clients": seen}))


anyio.run(main)
