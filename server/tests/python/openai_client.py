"""The official `openai` Python package against PromptDev's /v1 API, unchanged.

Run by the Rust test `openai_compat::the_openai_python_client_works` with a server and
the fake LLM it started: PD_BASE_URL (…/v1), PD_API_KEY (chat scope), PD_MODEL (a
persona), PD_HALTED_USER (a user an operator halted), PD_PAUSE_NOTICE. Exits non-zero
with the failed assertion on stderr; prints one JSON line of what it saw.
"""

import json
import os
import sys

import openai

base_url = os.environ["PD_BASE_URL"]
client = openai.OpenAI(base_url=base_url, api_key=os.environ["PD_API_KEY"], max_retries=0)
model = os.environ["PD_MODEL"]
seen = {}

# GET /v1/models lists the persona.
models = [m.id for m in client.models.list()]
assert model in models, models
seen["models"] = models

# Plain: the reply of the fake LLM, with usage and PromptDev's session id.
r = client.chat.completions.create(
    model=model,
    user="py-user",
    messages=[
        {"role": "system", "content": "ignored: the persona's template is the system prompt"},
        {"role": "user", "content": "hello from python"},
    ],
)
assert r.object == "chat.completion", r
assert r.choices[0].message.role == "assistant"
assert r.choices[0].message.content == "echo: hello from python", r.choices[0].message.content
assert r.choices[0].finish_reason == "stop"
assert r.usage.prompt_tokens > 0 and r.usage.total_tokens == r.usage.prompt_tokens + r.usage.completion_tokens
session_id = r.model_extra["promptdev"]["session_id"]
seen["plain"] = r.choices[0].message.content

# Streamed, in the same chat (named by metadata.session_id).
stream = client.chat.completions.create(
    model=model,
    user="py-user",
    messages=[{"role": "user", "content": "and streamed"}],
    stream=True,
    metadata={"session_id": str(session_id)},
)
pieces, finish, last = [], None, None
for chunk in stream:
    assert chunk.object == "chat.completion.chunk"
    if chunk.choices and chunk.choices[0].delta.content:
        pieces.append(chunk.choices[0].delta.content)
    if chunk.choices and chunk.choices[0].finish_reason:
        finish = chunk.choices[0].finish_reason
        last = chunk
assert "".join(pieces) == "echo: and streamed", pieces
assert len(pieces) > 1, "the reply arrives in pieces"
assert finish == "stop"
assert last.model_extra["promptdev"]["session_id"] == session_id
seen["streamed"] = "".join(pieces)

# A halted user gets the pause notice, plain and streamed; no LLM is called.
halted = os.environ["PD_HALTED_USER"]
notice = os.environ["PD_PAUSE_NOTICE"]
r = client.chat.completions.create(model=model, user=halted, messages=[{"role": "user", "content": "anyone there?"}])
assert r.choices[0].message.content == notice, r.choices[0].message.content
assert r.model_extra["promptdev"]["status"] == "paused"
text = "".join(
    c.choices[0].delta.content or ""
    for c in client.chat.completions.create(
        model=model, user=halted, messages=[{"role": "user", "content": "still there?"}], stream=True
    )
    if c.choices
)
assert text == notice, text
seen["halted"] = text

# Errors come as the library's typed exceptions.
try:
    client.chat.completions.create(model=model, messages=[{"role": "user", "content": "who am I?"}])
    raise AssertionError("no user must be refused")
except openai.BadRequestError as e:
    assert e.status_code == 400 and "user" in str(e), e
try:
    client.chat.completions.create(model="no-such-persona", user="py-user", messages=[{"role": "user", "content": "x"}])
    raise AssertionError("an unknown model must be refused")
except openai.NotFoundError as e:
    assert e.code == "model_not_found", e
try:
    openai.OpenAI(base_url=base_url, api_key="pd_wrong", max_retries=0).models.list()
    raise AssertionError("a wrong key must be refused")
except openai.AuthenticationError:
    pass

print(json.dumps(seen))
sys.exit(0)
