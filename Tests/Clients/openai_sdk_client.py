"""The official OpenAI Python SDK as a client of promptc's OpenAI-compatible API.

Run by the Swift test `OpenAISDKTests` against a gateway whose providers are fake servers on
loopback; each scenario asserts what the SDK gets and prints one JSON line of what it saw.
Usage: python openai_sdk_client.py BASE_URL SCENARIO
"""

import json
import sys

import openai


def main() -> None:
    base_url, scenario = sys.argv[1], sys.argv[2]
    client = openai.OpenAI(base_url=base_url, api_key="unused-by-promptc", max_retries=2, timeout=20)
    seen = SCENARIOS[scenario](client)
    print(json.dumps(seen))


def plain(client: openai.OpenAI) -> dict:
    """A group whose first model fails: the answer comes from the next, named after the group."""
    raw = client.chat.completions.with_raw_response.create(
        model="chat", messages=[{"role": "user", "content": "Say hello in French"}]
    )
    completion = raw.parse()
    assert completion.model == "chat", completion.model
    assert completion.choices[0].message.content == "Bonjour", completion.choices[0].message
    assert completion.choices[0].finish_reason == "stop"
    assert completion.usage is not None and completion.usage.total_tokens > 0
    return {"model_header": raw.headers.get("x-promptc-model"), "attempts": raw.headers.get("x-promptc-attempts")}


def stream(client: openai.OpenAI) -> dict:
    """The same group, streamed, with the usage in the last chunk."""
    chunks = list(
        client.chat.completions.create(
            model="chat",
            messages=[{"role": "user", "content": "Say hello in French"}],
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "Bonjour", text
    assert chunks[-1].choices == [] and chunks[-1].usage is not None, chunks[-1]
    assert all(c.model == "chat" for c in chunks)
    return {"chunks": len(chunks), "total_tokens": chunks[-1].usage.total_tokens}


WEATHER = {
    "type": "function",
    "function": {
        "name": "weather",
        "description": "Current weather in a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}


def tools(client: openai.OpenAI) -> dict:
    """A tool call, and the tool's result sent back for the final answer."""
    messages = [{"role": "user", "content": "What is the weather in Rome?"}]
    first = client.chat.completions.create(model="tools", messages=messages, tools=[WEATHER])
    call = first.choices[0].message.tool_calls[0]
    assert first.choices[0].finish_reason == "tool_calls"
    assert call.function.name == "weather", call
    assert json.loads(call.function.arguments) == {"city": "Rome"}, call.function.arguments
    messages.append(first.choices[0].message.model_dump(exclude_none=True))
    messages.append({"role": "tool", "tool_call_id": call.id, "content": json.dumps({"celsius": 24})})
    second = client.chat.completions.create(model="tools", messages=messages, tools=[WEATHER])
    assert second.choices[0].message.content == "It is 24 degrees in Rome.", second.choices[0].message
    return {"call_id": call.id}


def midstream(client: openai.OpenAI) -> dict:
    """A model that breaks off after the first chunk: the SDK raises, it does not end quietly."""
    received = 0
    try:
        for _ in client.chat.completions.create(
            model="flaky", messages=[{"role": "user", "content": "hi"}], stream=True
        ):
            received += 1
    except openai.APIError as error:
        assert received >= 1, "the failure should come after the first chunk"
        return {"raised": type(error).__name__, "code": (error.body or {}).get("code"), "chunks": received}
    raise AssertionError("the stream ended quietly after a mid-stream failure")


def exhausted(client: openai.OpenAI) -> dict:
    """Every model fails: one error, and the SDK does not run the chain again (x-should-retry)."""
    try:
        client.chat.completions.create(model="down", messages=[{"role": "user", "content": "hi"}])
    except openai.InternalServerError as error:
        assert error.status_code == 502, error.status_code
        return {"status": error.status_code, "code": error.body.get("code") if isinstance(error.body, dict) else None}
    raise AssertionError("an exhausted chain must raise")


def models(client: openai.OpenAI) -> dict:
    return {"ids": [model.id for model in client.models.list()]}


SCENARIOS = {
    "plain": plain,
    "stream": stream,
    "tools": tools,
    "midstream": midstream,
    "exhausted": exhausted,
    "models": models,
}

if __name__ == "__main__":
    main()
