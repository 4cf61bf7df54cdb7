"""Python prompts written with agent frameworks, grown message lists, and volatility from data flow."""

from __future__ import annotations

import textwrap
from pathlib import Path

from fixture_harness import actual_findings

from aiinfralint.model.prompt import CONSTANT, IDENTITY, REQUEST, TIME, UNKNOWN, PromptTemplate
from aiinfralint.parsers.base import FileInput
from aiinfralint.parsers.files import parse_bytes
from aiinfralint.parsers.python_prompts import claims, mentions_prompt_api


def _templates(code: str, path: str = "app.py") -> list[PromptTemplate]:
    out = parse_bytes(path, textwrap.dedent(code).encode())
    assert not out.problems, out.problems
    return [o for o in out.objects if isinstance(o, PromptTemplate)]


def _one(code: str) -> PromptTemplate:
    [t] = _templates(code)
    return t


def _slots(t: PromptTemplate) -> dict[str, tuple[str | None, str | None]]:
    return {s.text: (s.volatility, s.nondeterministic) for s in t.segments if s.kind == "slot"}


# --- frameworks ------------------------------------------------------------------------------


def test_pydantic_ai_prompt_functions_follow_the_constructor_instructions():
    t = _one(
        """
        from datetime import date
        from pydantic_ai import Agent, RunContext

        support_agent = Agent[int, str]("openai:gpt-4o", instructions="You are a support agent in our bank.")

        @support_agent.instructions
        async def add_customer_name(ctx: RunContext[int]) -> str:
            customer_name = await ctx.deps.db.customer_name(id=ctx.deps.customer_id)
            return f"The customer's name is {customer_name!r}"

        @support_agent.system_prompt()
        def today() -> str:
            return f"Today is {date.today()}."
        """
    )
    assert t.name == "support_agent" and t.model == "gpt-4o"
    assert t.static_text().startswith("You are a support agent in our bank.The customer's name is ")
    assert _slots(t)["customer_name"][0] == IDENTITY
    assert _slots(t)["date.today()"][0] == TIME
    assert {s.role for s in t.segments} == {"system"}
    assert t.agent_loop == "agent constructor `Agent(instructions=...)`"


def test_pydantic_ai_prompt_functions_of_an_agent_built_elsewhere_are_one_prompt():
    t = _one(
        """
        from pydantic_ai import RunContext
        from .agents import agent

        @agent.system_prompt
        async def system_prompt() -> str:
            return "Given the following PostgreSQL table of records, write a SQL query."
        """
    )
    assert t.name == "agent" and t.agent_loop is not None and "pydantic-ai" in t.agent_loop
    assert t.static_text() == "Given the following PostgreSQL table of records, write a SQL query."


def test_agents_sdk_instructions_given_as_a_function_or_lambda_are_its_returned_text():
    ts = _templates(
        """
        from datetime import datetime
        from agents import Agent, RunContextWrapper

        def dynamic_instructions(context: RunContextWrapper[dict], agent: Agent[dict]) -> str:
            return f"The user's name is {context.context.user_name}. Help them with their questions."

        agent = Agent(name="Triage agent", instructions=dynamic_instructions)
        clock = Agent(name="Clock", instructions=lambda ctx, a: f"Now is {datetime.now()}. Be brief.")
        plain = Agent(name="Plain", instructions="Answer in French.")
        """
    )
    by_name = {t.name: t for t in ts}
    assert by_name["agent"].static_text() == "The user's name is . Help them with their questions."
    assert _slots(by_name["agent"])["context.context.user_name"][0] == IDENTITY
    assert _slots(by_name["clock"])["datetime.now()"][0] == TIME
    assert by_name["plain"].static_text() == "Answer in French."
    assert all(t.agent_loop == "agent constructor `Agent(instructions=...)`" for t in ts)


def test_langgraph_llamaindex_and_responses_prompts():
    ts = _templates(
        """
        from langgraph.prebuilt import create_react_agent
        from langchain_core.messages import SystemMessage
        from llama_index.core.agent.workflow import FunctionAgent
        from llama_index.core.chat_engine import SimpleChatEngine
        from openai import OpenAI

        graph = create_react_agent("anthropic:claude-3-7-sonnet-latest", tools=[], prompt="Answer briefly.")
        graph2 = create_react_agent(model, tools=[], prompt=SystemMessage(content=f"Request {request_id}."))
        fa = FunctionAgent(tools=[], llm=llm, system_prompt="You are a research agent.")
        engine = SimpleChatEngine.from_defaults(system_prompt="You are a chat engine.")

        def respond(question: str) -> str:
            client = OpenAI()
            return client.responses.create(model="gpt-4.1", instructions="Answer.", input=question).output_text
        """
    )
    by_name = {t.name: t for t in ts}
    assert by_name["graph"].static_text() == "Answer briefly."
    assert by_name["graph"].model == "claude-3-7-sonnet-latest"
    assert by_name["graph"].agent_loop == "agent constructor `create_react_agent(prompt=...)`"
    assert _slots(by_name["graph2"])["request_id"][0] == REQUEST
    assert by_name["fa"].agent_loop == "agent constructor `FunctionAgent(system_prompt=...)`"
    assert by_name["engine"].static_text() == "You are a chat engine." and by_name["engine"].agent_loop is None
    assert by_name["respond()"].static_text() == "Answer." and by_name["respond()"].model == "gpt-4.1"


def test_pydantic_ai_file_passes_the_prefilter():
    text = "from pydantic_ai import Agent\n\n@agent.system_prompt\ndef p() -> str:\n    return 'x'\n"
    assert mentions_prompt_api(text)


# --- message lists ---------------------------------------------------------------------------


def test_a_list_grown_with_append_insert_and_plus_equals_is_read_in_send_order():
    t = _one(
        """
        from openai import OpenAI
        client = OpenAI()

        def build(question, user_id):
            messages = []
            messages.append(dict(role="system", content="You are a billing assistant."))
            messages.insert(0, {"role": "developer", "content": f"Tenant {user_id}"})
            messages += [{"role": "user", "content": question}]
            return client.chat.completions.create(model="gpt-4o", messages=messages)
        """
    )
    assert [s.role for s in t.segments] == ["developer", "developer", "system", "user"]
    assert t.static_text() == "Tenant You are a billing assistant."
    assert t.agent_loop is None


def test_messages_appended_in_the_loop_that_calls_the_model_is_an_agent_loop():
    t = _one(
        """
        import openai

        def main():
            messages = [{"role": "system", "content": "You are a kind helpful assistant."}]
            while True:
                messages.append({"role": "user", "content": input("User: ")})
                completion = openai.ChatCompletion.create(model="gpt-3.5-turbo", messages=messages)
                messages.append({"role": "assistant", "content": completion.choices[0].message.content})
        """
    )
    assert t.agent_loop == "`messages` appended to in the loop that calls the model"
    assert t.static_text() == "You are a kind helpful assistant."


def test_cache_control_set_by_subscript_or_typed_block_and_on_a_user_turn():
    ts = _templates(
        """
        import anthropic
        from anthropic.types import TextBlockParam
        client = anthropic.Anthropic()
        RULES = "Follow the house rules."

        def typed(question):
            block = TextBlockParam(type="text", text=RULES)
            block["cache_control"] = {"type": "ephemeral"}
            return client.messages.create(model="claude-sonnet-4-5", system=[block],
                                          messages=[{"role": "user", "content": question}])

        def keyword(question):
            return client.messages.create(model="claude-sonnet-4-5", messages=[{"role": "system", "content": [
                TextBlockParam(type="text", text=RULES, cache_control={"type": "ephemeral", "ttl": "1h"})]}])

        def last_turn(question):
            messages = [{"role": "user", "content": [{"type": "text", "text": RULES}]}]
            messages.append({"role": "user", "content": [{"type": "text", "text": question}]})
            messages[0]["content"][-1]["cache_control"] = {"type": "ephemeral"}
            return client.messages.create(model="claude-sonnet-4-5", messages=messages)
        """
    )
    by_name = {t.name: t for t in ts}
    [bp] = by_name["typed()"].breakpoints
    assert (bp.after, bp.span.line) == (0, 9)
    [bp] = by_name["keyword()"].breakpoints
    assert bp.ttl == "1h"
    [bp] = by_name["last_turn()"].breakpoints
    t = by_name["last_turn()"]
    assert t.roles == ("user",) and (bp.after, bp.span.line) == (0, 20)
    assert t.prefix_region() == (1, "before the last cache breakpoint")


# --- volatility by data flow -----------------------------------------------------------------


def test_a_value_computed_once_at_import_is_the_same_for_every_call():
    t = _one(
        """
        import time, uuid
        from datetime import date
        import anthropic
        client = anthropic.Anthropic()
        book_content = fetch(URL)
        TODAY = date.today()
        BOOT = time.time()
        RUN = uuid.uuid4()

        def ask(question):
            return client.messages.create(model="claude-sonnet-4-5", system=[{"type": "text",
                "text": f"{book_content} {TODAY} {BOOT} {RUN} {question}", "cache_control": {"type": "ephemeral"}}])
        """
    )
    slots = _slots(t)
    assert slots["book_content"] == (CONSTANT, None)
    assert slots["TODAY"] == (CONSTANT, None)
    assert slots["BOOT"][0] == CONSTANT and "once per process" in (slots["BOOT"][1] or "")
    assert slots["RUN"][0] == CONSTANT and "once per process" in (slots["RUN"][1] or "")
    assert slots["question"] == (UNKNOWN, None)  # a parameter: a per-call value
    reason = next(s.volatility_reason for s in t.segments if s.text == "book_content")
    assert reason == "`book_content` is computed once, at import"


def test_a_value_set_before_the_sending_loop_is_fixed_and_one_set_inside_it_is_not():
    ts = _templates(
        """
        import time
        from openai import OpenAI
        client = OpenAI()

        def session(questions):
            manual = open("manual.txt").read()
            for q in questions:
                stamp = time.time()
                client.chat.completions.create(model="gpt-4o", messages=[
                    {"role": "system", "content": f"{manual} {stamp}"}, {"role": "user", "content": q}])

        for q in QUESTIONS:
            ctx = retrieve(q)
            client.chat.completions.create(model="gpt-4o", messages=[{"role": "system", "content": ctx}])
        """
    )
    by_name = {t.name: t for t in ts}
    slots = _slots(by_name["session()"])
    assert slots["manual"][0] == CONSTANT
    assert slots["stamp"][0] == TIME
    assert _slots(by_name["<module>"])["ctx"][0] == UNKNOWN  # assigned in the loop at module level


def test_anthropic_caching_example_is_silent_and_a_clock_in_the_block_is_not(tmp_path: Path) -> None:
    code = """
        import time
        import anthropic
        client = anthropic.Anthropic()
        book_content = fetch_article_content("https://www.gutenberg.org/cache/epub/1342/pg1342.txt")
        system_message = f"<file_contents> {book_content} </file_contents>"

        def simulate_conversation(questions, history):
            for question in questions:
                client.messages.create(model="claude-3-5-sonnet-20241022", max_tokens=300,
                    system=[{"type": "text", "text": system_message, "cache_control": {"type": "ephemeral"}}],
                    messages=history.get_turns())
        """
    (tmp_path / "app.py").write_text(textwrap.dedent(code))
    assert not actual_findings(tmp_path)  # neither AIL102 nor AIL103 (the book's length is unknown)
    clock = code.replace('"text": system_message', '"text": f"{time.time()} " + system_message')
    (tmp_path / "app.py").write_text(textwrap.dedent(clock))
    assert [code for _, _, code in actual_findings(tmp_path)] == ["AIL102"]


def test_a_pydantic_ai_module_is_claimed_and_its_yaml_namesake_is_not():
    text = "from pydantic_ai import Agent\n"
    assert claims(FileInput(path="a.py", text=text))
    assert not claims(FileInput(path="a.yaml", text=text))


def test_a_document_parameter_under_a_breakpoint_is_shared_by_the_calls_about_that_document(tmp_path: Path) -> None:
    code = """
        import anthropic
        client = anthropic.Anthropic()
        DOCUMENT_CONTEXT_PROMPT = "<document>{doc_content}</document>"

        def situate_context(doc: str, chunk: str):
            return client.messages.create(model="claude-3-haiku-20240307", max_tokens=1000, messages=[
                {"role": "user", "content": [
                    {"type": "text", "text": DOCUMENT_CONTEXT_PROMPT.format(doc_content=doc),
                     "cache_control": {"type": "ephemeral"}},
                    {"type": "text", "text": f"Situate this chunk: {chunk}"},
                ]},
            ])
        """
    t = _one(code)
    assert _slots(t)["doc"][0] == CONSTANT and _slots(t)["chunk"][0] == UNKNOWN
    (tmp_path / "contextual.py").write_text(textwrap.dedent(code))
    assert not actual_findings(tmp_path)
    (tmp_path / "contextual.py").write_text(textwrap.dedent(code.replace("doc_content=doc", "doc_content=chunk")))
    assert [code for _, _, code in actual_findings(tmp_path)] == ["AIL102"]


def test_a_breakpoint_on_a_block_without_text_is_not_a_short_prefix(tmp_path: Path) -> None:
    code = """
        import anthropic
        client = anthropic.Anthropic()

        def ask(pdf_data, question):
            return client.messages.create(model="claude-sonnet-4-5", max_tokens=300, messages=[
                {"role": "user", "content": [
                    {"type": "document", "source": {"type": "base64", "data": pdf_data},
                     "cache_control": {"type": "ephemeral"}},
                    {"type": "text", "text": question},
                ]},
            ])
        """
    t = _one(code)
    assert [s.text for s in t.segments][:1] == ["document block"] and t.breakpoints[0].after == 0
    (tmp_path / "pdf.py").write_text(textwrap.dedent(code))
    assert not actual_findings(tmp_path)  # no AIL103: the document's size is not read


def test_a_langgraph_prompt_that_is_a_function_or_runnable_is_not_a_system_text():
    for prompt in (
        "RunnableLambda(lambda state: [HumanMessage(content=state['messages'][-1].content)])",
        "lambda state: [SystemMessage(content=f'Now {datetime.now()}')] + state['messages']",
        "build",
    ):
        code = f"""
            from datetime import datetime
            from langchain_core.messages import HumanMessage, SystemMessage
            from langchain_core.runnables import RunnableLambda
            from langgraph.prebuilt import create_react_agent

            def build(state):
                return [SystemMessage(content="Be brief.")] + state["messages"]

            def main(model):
                prompt = {prompt}
                return create_react_agent(model, [], prompt=prompt)
        """
        assert [t for t in _templates(code) if "create_react_agent" in (t.agent_loop or "")] == [], prompt
    [t] = _templates("""
        from datetime import datetime
        from langgraph.prebuilt import create_react_agent

        def main(model):
            return create_react_agent(model, [], prompt=f"Now {datetime.now()}. Be brief.")
    """)
    assert t.agent_loop and any(s.volatility == TIME for s in t.segments)
