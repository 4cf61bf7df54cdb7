"""Bounded work per file: broken inputs become AIL000 with a line, and the readers'
scans keep the answers of the patterns they replaced.

The timing side (each known slow input finishes quickly) is in test_hostile_suite.py.
"""

from __future__ import annotations

import random
import re

import pytest

from aiinfralint.parsers.files import parse_bytes
from aiinfralint.parsers.prompt_slots import _double_tags
from aiinfralint.pipeline.suppress import parse_suppressions


def problems(name: str, text: str) -> list[tuple[str, int, int]]:
    out = parse_bytes(name, text.encode())
    return [(p.message, p.line, p.column) for p in out.problems]


# --- prompt templates ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "text", "opener", "line", "column"),
    [
        ("prompts/a.j2", "You help.\n\nHello {{ user.name\nbye\n", "{{", 3, 7),
        ("a.prompt", "---\nmodel: m\n---\n{% if tier %}\nhi {% endif\n", "{%", 5, 4),
        ("a.jinja", "Hi {{ user }}\n{# a comment that never ends\n", "{#", 2, 1),
        ("a.mustache", "{{#items}}x{{/items}}\n{{ name\n", "{{", 2, 1),
        ("a.j2", "{% raw %}\n{{ shown as is\n", "{% raw %}", 1, 1),
    ],
)
def test_unclosed_template_tag_is_ail000_at_the_opener(name, text, opener, line, column):
    found = problems(name, text)
    closer = {"{{": "}}", "{%": "%}", "{#": "#}"}.get(opener, "{% endraw %}")
    assert found == [(f"unclosed `{opener}`: no `{closer}` after it", line, column)]
    # the template is still read up to the broken tag
    assert parse_bytes(name, text.encode()).objects


def test_closed_templates_and_raw_blocks_report_nothing():
    assert (
        problems("a.j2", "{% raw %}{{ not a tag {%{% endraw %}\nHi {{ name }} {# c #} {% if x %}y{% endif %}\n") == []
    )
    assert problems("a.mustache", "{{{ html }}} {{! comment }} {{#s}}x{{/s}}\n") == []
    # a literal `{` (JSON in a prompt) is not a tag opener
    assert problems("a.j2", 'Answer as {"a": 1} for {{ user }}\n') == []


def test_raw_block_text_is_text_not_slots():
    out = parse_bytes("a.j2", b"Hi {{ name }}\n{% raw %}{{ literal }}{% endraw %}\n")
    (tmpl,) = out.objects
    slots = [s.text for s in tmpl.segments if s.kind == "slot"]  # type: ignore[attr-defined]
    assert slots == ["name"]


def test_double_tags_match_the_regex_they_replace():
    old = re.compile(
        r"\{\{\{(?P<triple>.*?)\}\}\}|\{\{(?P<expr>.*?)\}\}|\{%(?P<stmt>.*?)%\}|\{#(?P<comment>.*?)#\}", re.DOTALL
    )
    rng = random.Random(7)
    alphabet = ["{", "}", "{{", "}}", "{%", "%}", "{#", "#}", "{{{", "}}}", "a", "\n", "%", "#", " "]
    for _ in range(20000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
        want = [(m.start(), m.end(), m.lastgroup, m.group(m.lastgroup)) for m in old.finditer(text)]
        got = [(t.start, t.end, t.kind, t.inner) for t in _double_tags(text, [])]
        assert got == want, text


@pytest.mark.parametrize("name", ["a.prompty", "a.prompt"])
def test_front_matter_without_closing_line_is_ail000(name):
    assert problems(name, "---\nname: x\nmodel: gpt-4o\nsystem:\nYou help.\n") == [
        ("front matter opened by `---` is never closed (no `---` line after it)", 1, 1)
    ]
    assert problems(name, "---\nname: x\n---\nsystem:\nYou help.\n") == []


def test_leading_rule_in_a_jinja_prompt_is_not_front_matter():
    assert problems("prompts/a.j2", "---\nYou help {{ user }}.\n") == []


# --- SQL --------------------------------------------------------------------------------

TABLE = "CREATE TABLE docs (id bigint, embedding vector(1536));\n"


def test_unclosed_block_comment_is_ail000():
    assert problems("a.sql", TABLE + "SELECT 1;\n/* never closed\nmore\n") == [
        ("unclosed block comment `/*`: the rest of the file is inside it", 3, 1)
    ]


def test_unclosed_dollar_quote_is_ail000():
    text = TABLE + "CREATE FUNCTION f() RETURNS int AS $body$\nSELECT 1;\n"
    assert problems("a.sql", text) == [("unclosed dollar quote `$body$`: the rest of the file is inside it", 2, 36)]


def test_closed_comments_quotes_and_dollar_names_report_nothing():
    text = TABLE + "/* c */ SELECT $$a$$, $t1$x$t1$, 'it''s', a$b$c FROM t; -- /* not a comment opener\n"
    out = parse_bytes("a.sql", text.encode())
    assert out.problems == [] and len(out.objects) == 1


# --- cron -------------------------------------------------------------------------------

CRONJOB = """apiVersion: batch/v1
kind: CronJob
metadata:
  name: nightly
spec:
  schedule: "{schedule}"
  jobTemplate:
    spec:
      template:
        spec:
          containers:
          - name: train
            image: trainer:1
            resources:
              limits:
                nvidia.com/gpu: 1
"""


@pytest.mark.parametrize(
    ("schedule", "why"),
    [
        ("61 * * * *", "minute 61 is outside 0-59"),
        ("*/0 * * * *", "bad step '0' in minute field"),
        ("0 2 * *", "expected 5 fields"),
        ("0 25 * * *", "hour 25 is outside 0-23"),
        ("0 2 * * mon-xyz", "'xyz' is not a valid day of week"),
    ],
)
def test_invalid_cron_schedule_is_ail000_at_the_schedule_line(schedule, why):
    out = parse_bytes("cron.yaml", CRONJOB.format(schedule=schedule).encode())
    (p,) = out.problems
    assert p.message.startswith("CronJob nightly: invalid cron schedule") and why in p.message
    assert (p.line, p.column) == (6, 3)
    assert len(out.objects) == 1  # the job is still checked


@pytest.mark.parametrize(
    "schedule", ["0 2 * * *", "@daily", "@every 2h", "${NIGHTLY}", "*/15 8-18 * * 1-5", "0 0 31 2 *"]
)
def test_valid_or_templated_cron_schedules_report_nothing(schedule):
    assert parse_bytes("cron.yaml", CRONJOB.format(schedule=schedule).encode()).problems == []


# --- Python -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("x = " + "(" * 300 + "a" + ")" * 300, "Python syntax error (too many nested parentheses)"),
        ('x = f"{' + "(" * 300 + "a" + ")" * 300 + '}"', "Python syntax error (f-string: too many nested parenthesis)"),
        ("x = a" + ".b" * 100_000, "Python file nested too deeply to parse"),
        ("if a:\n    pass\n" + "elif a:\n    pass\n" * 5000, "Python file nested too deeply to parse"),
        ("x = " + "-" * 100_000 + "1", "Python file nested too deeply to parse"),
    ],
)
def test_python_past_the_bounds_is_ail000_in_an_llm_file(code, message):
    """The C parser's own limits: 200 nested brackets, and a tree too deep to build."""
    found = problems("app.py", "import openai\n" + code + "\n")
    assert len(found) == 1 and found[0][0].startswith(message) and found[0][1] >= 1


def test_python_past_the_bounds_without_an_llm_import_is_skipped():
    out = parse_bytes("app.py", ("messages = 1\nx = a" + ".b" * 100_000 + "\n").encode())
    assert out.skipped == "Python file nested too deeply to parse" and not out.problems


@pytest.mark.parametrize(
    "code",
    [
        "x = a" + ".b" * 300,
        "x = a" + "()" * 300,
        "x = a" + "[0]" * 300,
        "x = (a\n" + "  # c\n  .b" * 300 + ")",
        'x = f"{a' + ".b" * 300 + '}"',
        "if a:\n    pass\n" + "elif a:\n    pass\n" * 300,
    ],
)
def test_long_chains_the_c_parser_takes_are_read(code):
    text = (
        "import openai\n"
        + code
        + "\nopenai.chat.completions.create(model='gpt-4o', messages=[{'role': 'system', 'content': 'Be brief.'}])\n"
    )
    out = parse_bytes("app.py", text.encode())
    assert out.problems == [] and len(out.objects) == 1


def test_python_within_the_bounds_is_read():
    code = (
        "import openai\n"
        "x = a" + ".b" * 150 + "\n"
        "if a:\n    pass\n" + "elif a:\n    pass\n" * 150 + 'y = f"Hello. World. {user.name} {{literal}}"\n'
        "z = 1.\nfoo = 2\n"
        "client = openai.OpenAI()\n"
        'client.chat.completions.create(model="gpt-4o", messages=[{"role": "system", "content": "Be brief."}])\n'
    )
    out = parse_bytes("app.py", code.encode())
    assert out.problems == [] and out.objects


# --- suppressions and console files -----------------------------------------------------


def test_suppression_marker_is_read_as_before():
    text = "# aiinfralint: ignore[AIL201, AIL3] paused until=2030-01-01\nx: 1 # aiinfralint: ignore-file[ALL]\n"
    items = parse_suppressions(text).items
    assert [(s.line, s.codes, s.whole_file, s.column, s.until_text) for s in items] == [
        (1, ("AIL201", "AIL3"), False, 3, "2030-01-01"),
        (2, ("ALL",), True, 8, None),
    ]
    assert parse_suppressions("# aiinfralint: ignore[AIL201\n").items == []


def test_console_request_body_positions_are_file_lines():
    text = (
        '# setup\n\nPUT _index_template/docs\n{\n  "index_patterns": ["docs-*"],\n'
        '  "template": {"mappings": {"properties": {"v": {"type": "dense_vector", "dims": 3}}}}\n}\n\n'
        'PUT docs-1\n{"mappings": {"properties": {"v": {"type": "dense_vector"}}}}\n'
        'PUT docs-2\n{"mappings": "dense_vector" [\n'
    )
    out = parse_bytes("setup.http", text.encode())
    assert [o.span.line for o in out.objects] == [3, 9]
    (p,) = out.problems
    assert p.line == 12 and p.message.startswith("PUT docs-2: ")
