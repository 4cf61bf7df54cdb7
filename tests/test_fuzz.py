"""Property-based robustness: arbitrary and broken input never escapes a parser.

Every file ends as model objects, parse problems (AIL000) or a skip with a reason; no
exception leaves `parse_bytes`, no parser's own safety net ("internal error in ...")
fires, and nothing takes more than a few seconds. Examples are bounded so the whole
module runs in well under a minute.
"""

from __future__ import annotations

import json
import signal
from contextlib import contextmanager

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aiinfralint.parsers.base import ParseOutput
from aiinfralint.parsers.files import parse_bytes

FUZZ = settings(
    deadline=None,
    max_examples=60,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=True,  # the same examples on every CI run; a failure is reproducible
)
NAMES = (
    "x.yaml",
    "x.yml",
    "x.json",
    "prompts/x.j2",
    "prompts/x.jinja2",
    "x.prompt",
    "x.prompty",
    "x.mustache",
    "prompts/x.txt",
    "prompts/x.md",
    "x.sql",
    "app.py",
    "config.yaml",
    "templates/x.yaml",
)
TIME_LIMIT_S = 10


@contextmanager
def time_limit(seconds: int = TIME_LIMIT_S):
    """Fail (instead of hanging CI) if one file takes longer than `seconds`."""

    def _alarm(signum, frame):  # type: ignore[no-untyped-def]
        raise TimeoutError(f"parsing took longer than {seconds} s")

    old = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def check_file(name: str, data: bytes) -> ParseOutput:
    with time_limit():
        out = parse_bytes(name, data)
    assert isinstance(out, ParseOutput)
    assert out.objects or out.problems or out.skipped or out.claimed, (name, data[:200])
    for p in out.problems:
        assert "internal error" not in p.message, (name, p.message, data[:400])
        assert p.line >= 1 and p.column >= 1
        assert isinstance(p.message, str) and p.message
    for o in out.objects:
        assert o.span.path == name
        assert o.span.line >= 1
    return out


# --- arbitrary bytes -------------------------------------------------------------------


@FUZZ
@given(name=st.sampled_from(NAMES), data=st.binary(max_size=2048))
def test_arbitrary_bytes(name: str, data: bytes) -> None:
    check_file(name, data)


@FUZZ
@given(name=st.sampled_from(NAMES), text=st.text(max_size=1024))
def test_arbitrary_text(name: str, text: str) -> None:
    check_file(name, text.encode("utf-8", errors="surrogatepass"))


# --- structurally broken YAML ----------------------------------------------------------

YAML_PIECES = (
    "apiVersion: apps/v1\n",
    "apiVersion: batch/v1\n",
    "apiVersion: aiinfralint/v1\n",
    "kind: Deployment\n",
    "kind: CronJob\n",
    "kind: List\n",
    "kind: QuotaContract\n",
    "kind: AIFeature\n",
    "kind: VectorIndex\n",
    "metadata:\n",
    "  name: chat\n",
    "  namespace: ml\n",
    "  annotations:\n",
    "    aiinfralint/ignore: AIL201\n",
    "spec:\n",
    "  template:\n",
    "    spec:\n",
    "      containers:\n",
    "        - name: vllm\n",
    "          image: vllm/vllm-openai:latest\n",
    "          resources:\n",
    "            limits:\n",
    "              nvidia.com/gpu: 8\n",
    "              nvidia.com/gpu: -1\n",
    "              nvidia.com/gpu: '8'\n",
    "              nvidia.com/gpu: [1, 2]\n",
    "  schedule: '0 2 * * *'\n",
    "  schedule: 61 25 * * *\n",
    "  schedule: {}\n",
    "  jobTemplate: ~\n",
    "items:\n",
    "- ",
    "  - ",
    "---\n",
    "...\n",
    "{",
    "}",
    "[",
    "]",
    ", ",
    ": ",
    "? ",
    "&a ",
    "*a ",
    "*missing\n",
    "<<: *a\n",
    "!!python/object/apply:os.system ['true']\n",
    "!Ref x\n",
    "!!binary aGVsbG8=\n",
    "|\n",
    ">-\n",
    "'",
    '"',
    "\t",
    "%YAML 1.2\n",
    "%TAG ! tag:x,2024:\n",
    "model_list:\n",
    "  - model_name: gpt-4o\n",
    "    litellm_params:\n",
    "      model: azure/gpt-4o\n",
    "router_settings:\n",
    "litellm_settings:\n",
    "messages:\n",
    "  - role: system\n",
    "    content: 'Today is {{ date }}'\n",
    "  budget:\n",
    "    usd_per_month: 1e309\n",
    "    reset: '25:99 Mars/Olympus'\n",
    "  traffic:\n",
    "    segments: 7\n",
    "dense_vector\n",
    "rollover: {max_age: 1d}\n",
    "collection_name: docs\n",
    "null\n",
    "true\n",
    "0x1F\n",
    ".inf\n",
    "- - - -\n",
    "key: value: other\n",
    "\n",
    "# aiinfralint: ignore[AIL201]\n",
    "\ufeff",
    "\u2028",
    "\x85",
)


@FUZZ
@given(
    name=st.sampled_from(("x.yaml", "config.yaml", "x.yml", "x.json")),
    pieces=st.lists(st.sampled_from(YAML_PIECES), max_size=60),
)
def test_broken_yaml(name: str, pieces: list[str]) -> None:
    check_file(name, "".join(pieces).encode())


VALID_MANIFEST = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: chat
  namespace: ml
spec:
  replicas: 2
  template:
    metadata:
      labels: {app: chat}
    spec:
      nodeSelector:
        cloud.google.com/gke-accelerator: nvidia-l4
      containers:
        - name: vllm
          image: vllm/vllm-openai:v0.6.3
          args: ["--model", "meta-llama/Llama-3.1-8B-Instruct"]
          resources:
            limits:
              nvidia.com/gpu: 1
---
apiVersion: batch/v1
kind: CronJob
metadata:
  name: nightly
spec:
  schedule: "0 2 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          containers:
            - name: train
              resources:
                limits:
                  nvidia.com/gpu: 8
"""


@st.composite
def mutated(draw, base: str) -> str:  # type: ignore[no-untyped-def]
    """A real document with lines deleted, duplicated, swapped, re-indented or cut."""
    lines = base.split("\n")
    for _ in range(draw(st.integers(1, 8))):
        if not lines:
            break
        i = draw(st.integers(0, len(lines) - 1))
        op = draw(st.sampled_from(("del", "dup", "indent", "dedent", "cut", "swap", "insert", "tab")))
        if op == "del":
            del lines[i]
        elif op == "dup":
            lines.insert(i, lines[i])
        elif op == "indent":
            lines[i] = " " * draw(st.integers(1, 5)) + lines[i]
        elif op == "dedent":
            lines[i] = lines[i].lstrip()
        elif op == "cut":
            lines[i] = lines[i][: draw(st.integers(0, max(0, len(lines[i]))))]
        elif op == "swap":
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif op == "insert":
            lines.insert(i, draw(st.sampled_from(YAML_PIECES)).rstrip("\n"))
        else:
            lines[i] = lines[i].replace("  ", "\t", 1)
    return "\n".join(lines)


@FUZZ
@given(text=mutated(VALID_MANIFEST))
def test_mutated_manifest(text: str) -> None:
    check_file("deploy.yaml", text.encode())


# --- JSON ------------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=5)
        | st.dictionaries(
            st.sampled_from(
                (
                    "apiVersion",
                    "kind",
                    "metadata",
                    "spec",
                    "items",
                    "name",
                    "containers",
                    "resources",
                    "limits",
                    "nvidia.com/gpu",
                    "messages",
                    "role",
                    "content",
                    "model_list",
                    "x",
                )
            ),
            children,
            max_size=6,
        )
    ),
    max_leaves=40,
)


@FUZZ
@given(value=json_values, cut=st.integers(0, 400))
def test_json_shapes_and_truncations(value: object, cut: int) -> None:
    doc = {
        "apiVersion": "v1",
        "kind": "List",
        "items": [value, {"apiVersion": "apps/v1", "kind": "Deployment", "spec": value}],
    }
    text = json.dumps(doc)
    check_file("x.json", text.encode())
    check_file("x.json", text[:cut].encode())


# --- Jinja / prompt templates ----------------------------------------------------------

TEMPLATE_PIECES = (
    "{{",
    "}}",
    "{%",
    "%}",
    "{#",
    "#}",
    "{{ user.name }}",
    "{{ now() }}",
    "{{ date | default('x') }}",
    "{% if tier %}",
    "{% endif %}",
    "{% for x in items %}",
    "{% endfor %}",
    "{% raw %}",
    "{% endraw %}",
    "{% set x = 1 %}",
    "{{- x -}}",
    "{x}",
    "${x}",
    "{{{x}}}",
    "{{#each}}",
    "{{/each}}",
    "{{> partial}}",
    "system:\n",
    "user:\n",
    "assistant:\n",
    "# system:\n",
    "---\n",
    "model: gpt-4o\n",
    "<<<",
    "\n",
    "You are a helpful assistant. ",
    "Today is ",
    "{# aiinfralint: ignore[AIL101] #}",
    "{{ request_id }}",
    "{{ cache_control }}",
    "\\",
    "'",
    '"',
    "\u0000",
)


@FUZZ
@given(
    name=st.sampled_from(
        ("prompts/x.j2", "prompts/x.jinja", "x.prompt", "x.prompty", "x.mustache", "prompts/x.txt", "prompts/x.md")
    ),
    pieces=st.lists(st.sampled_from(TEMPLATE_PIECES), max_size=60),
)
def test_broken_templates(name: str, pieces: list[str]) -> None:
    check_file(name, "".join(pieces).encode())


# --- SQL -------------------------------------------------------------------------------

SQL_PIECES = (
    "CREATE EXTENSION IF NOT EXISTS vector;\n",
    "CREATE TABLE ",
    "docs ",
    "(",
    ")",
    ",",
    ";",
    "\n",
    "id bigserial PRIMARY KEY",
    "embedding vector(1536)",
    "embedding vector()",
    "embedding vector(-1)",
    "created_at timestamptz NOT NULL",
    "PARTITION BY RANGE (created_at)",
    "PARTITION BY LIST (tenant)",
    "CREATE TABLE docs_2024_01 PARTITION OF docs FOR VALUES FROM ('2024-01-01') TO ('2024-02-01')",
    "CREATE INDEX ON docs USING hnsw (embedding vector_cosine_ops)",
    "USING ivfflat",
    "WITH (lists = 100)",
    "'",
    '"',
    "$$",
    "$tag$",
    "--",
    "/*",
    "*/",
    "-- aiinfralint: ignore[AIL401]\n",
    "E'\\\\'",
    "pg_partman",
    "SELECT partman.create_parent('public.docs', 'created_at', 'native', 'daily');",
)


@FUZZ
@given(pieces=st.lists(st.sampled_from(SQL_PIECES), max_size=60))
def test_broken_sql(pieces: list[str]) -> None:
    check_file("db/x.sql", "".join(pieces).encode())


# --- Python ----------------------------------------------------------------------------

PY_PIECES = (
    "client = openai.OpenAI()\n",
    "client.chat.completions.create(",
    "model='gpt-4o', ",
    "messages=[",
    "{'role': 'system', 'content': ",
    "f'Today is {datetime.now()}'",
    "SYSTEM",
    "'You are helpful.'",
    "}",
    "]",
    ")",
    "(",
    "\n",
    "    ",
    "def build(user):\n",
    "    return ",
    "SYSTEM = ",
    "SYSTEM += ",
    "'%s' % x",
    "'{}'.format(x)",
    "json.dumps(d)",
    "json.dumps(d, sort_keys=True)",
    "anthropic.Anthropic().messages.create(",
    "system=",
    "[{'type': 'text', 'text': SYSTEM, 'cache_control': {'type': 'ephemeral'}}]",
    "ChatPromptTemplate.from_messages(",
    "SystemMessage(content=",
    "lambda: ",
    "*args",
    "**kw",
    "if x:\n",
    "else:\n",
    "class A:\n",
    "@decorator\n",
    "'''",
    '"""',
    "f'{",
    "}'",
    "#",
    "\\\n",
    "async def f():\n",
    "await ",
    "yield ",
    "match x:\n",
    "case 1:\n",
    "print(",
    "x = ",
    "x" * 50,
    "[" * 50,
    "]" * 50,
    "' '.join([",
    "textwrap.dedent(",
    "\t",
)


@FUZZ
@given(pieces=st.lists(st.sampled_from(PY_PIECES), max_size=80))
def test_broken_python(pieces: list[str]) -> None:
    check_file("app.py", ("import openai\n" + "".join(pieces)).encode())


@FUZZ
@given(source=st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=500))
def test_python_text(source: str) -> None:
    check_file("app.py", ("import openai\n" + source).encode())
