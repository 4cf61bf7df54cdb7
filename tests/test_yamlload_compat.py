"""The libyaml (PyYAML) composer loads exactly what the ruamel.yaml composer loads.

``load_documents`` composes with PyYAML's C parser when it is built and with
ruamel.yaml otherwise; ruamel.yaml is the reference. Values, Python types and every
recorded position must agree, and broken input must fail as ``YamlError`` on both.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aiinfralint import yamlsafe as yamlload
from aiinfralint.yamlsafe import MAX_DEPTH, YamlError, YList, YMap, load_documents

needs_libyaml = pytest.mark.skipif(yamlload._libyaml_loader_class() is None, reason="PyYAML is built without libyaml")
pytestmark = needs_libyaml

FUZZ = settings(
    deadline=None,
    max_examples=300,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=True,
)


def shape(value: Any) -> Any:
    """Values, exact types and positions, comparable with ==."""
    if isinstance(value, YMap):
        return (
            "map",
            value.line,
            value.column,
            [(type(k).__name__, k, value.key_pos.get(k), shape(v)) for k, v in value.items()],
            sorted(value.key_pos.items()),
        )
    if isinstance(value, YList):
        return ("seq", value.line, value.column, [shape(v) for v in value], list(value.item_pos))
    if isinstance(value, float) and math.isnan(value):
        return ("float", "nan")
    return (type(value).__name__, value)


def outcome(text: str) -> tuple[list[Any], tuple[str, int, int] | None]:
    docs: list[Any] = []
    try:
        for doc in load_documents(text):
            docs.append(shape(doc))
    except YamlError as exc:
        return docs, (exc.message, exc.line, exc.column)
    return docs, None


def both(text: str) -> tuple[Any, Any]:
    """(ruamel.yaml outcome, libyaml outcome) of one text."""
    saved = yamlload.USE_LIBYAML
    try:
        yamlload.USE_LIBYAML = False
        old = outcome(text)
        yamlload.USE_LIBYAML = None
        new = outcome(text)
    finally:
        yamlload.USE_LIBYAML = saved
    return old, new


VALID = {
    "booleans": "a: yes\nb: no\nc: on\nd: off\ne: True\nf: FALSE\ng: true\nh: y\ni: N\nj: Yes\nk: TRUE\nl: tRUE\n",
    "nulls": "a: ~\nb:\nc: null\nd: Null\ne: NULL\nf: nULL\n~: x\n? n\n",
    "ints": "a: 0o17\nb: 0x1F\nc: 017\nd: 1_000\ne: +5\nf: -0\ng: 0b101\nh: 0777\ni: 09\nj: _\n"
    "k: 12345678901234567890\nl: 0x_1F\nm: -0o7\nn: 0O17\no: 0X1F\np: 1__0\n",
    "floats": "a: .inf\nb: -.Inf\nc: .nan\nd: 1e3\ne: 1.5e-3\nf: 6.8523015e+5\ng: +.INF\nh: .NaN\n"
    "i: 1.\nj: .5\nk: -.5e+3\nl: 685.230_15e+03\nm: 1e\nn: e3\no: .5e3\np: 1_0.5\nq: -.nan\nr: 1E3\n",
    "sexagesimal": "a: 1:30\nb: 190:20:30.15\nc: -1:30\nd: 12:00\n",
    "timestamps": "a: 2001-12-14\nb: 2001-12-14t21:59:43.10-05:00\nc: 2001-12-14 21:59:43.10 -5\n"
    "d: 2001-12-15T02:59:43.1Z\ne: 2001-12-15 2:59:43.10\nf: 2002-1-1\ng: 2001-12-14T21:59:43\n",
    "quoted": "a: 'yes'\nb: \"1\"\nc: '~'\nd: \"\"\ne: ''\nf: 'it''s'\ng: \"tab\\tnl\\n\\u00e9\\x41\"\nh: \"null\"\n",
    "merge": "base: &b {x: 1, y: 2}\nother: &o\n  z: 3\nm:\n  <<: *b\n  y: 9\nn:\n  <<: [*b, *o]\n  w: 0\n"
    "p:\n  !!merge <<: *o\n",
    "anchors": "a: &x [1, 2]\nb: *x\nc: &s scalar\nd: [*s, *x]\n*s : as-key\ne: &e\n  k: v\nf: *e\n",
    "multi document": "a: 1\n---\nb: 2\n...\n---\n- x\n--- plain\n---\n---\n# only a comment\n",
    "explicit tags": "a: !!str 12\nb: !!int '12'\nc: !Ref Bucket\nd: !!python/object:os.system x\n"
    "e: !!int abc\nf: !!float '1.5'\ng: !!bool yes\nh: !!null x\ni: !<tag:yaml.org,2002:str> 1\n"
    "j: ! 12\nk: !!binary aGVsbG8=\nl: !GetAtt [A, B]\nm: !Sub {x: 1}\nn: !!python/object/apply:os.system ['true']\n",
    "tag directive": "%TAG !e! tag:example.com,2000:\n---\na: !e!thing 1\nb: !!int 2\n",
    "yaml 1.1 directive": "%YAML 1.1\n---\na: yes\nb: 0777\nc: 1:30\nd: on\n",
    "yaml 1.2 directive": "%YAML 1.2\n---\na: yes\nb: 0o17\n",
    "flow": "a: {b: [1, 2, {c: d}], e: 'f', g: null}\nh: [ ]\ni: { }\nj: [a, b, ]\nk: {? x, y: , z}\n",
    "json": '{"a": [1, 2.5, -1e5, true, false, null, "x"], "b": {"c": {}, "d": []}, "e": "\\u00e9"}\n',
    "compact json": '{"a":1,"b":[true,null],"c":{"d":"e"}}',
    "comments": "# head\na: 1 # trailing\n# between\nb: # empty value\n  - x # item\n",
    "bom": "\ufeffa: 1\nb: [x]\n",
    "bom json": '\ufeff{"a": 1}\n',
    "crlf": "a: 1\r\nb:\r\n  - x\r\n  - y: 2\r\n    z: 3\r\n",
    "tabs": 'a:\t1\nb: [1,\t2]\nc: "x\ty"\nd: x\ty\n',
    "block scalars": "a: |\n  line\n   more\nb: >-\n  folded\n  text\n\nc: |2+\n    kept\n\nd: |-\n  yes\n",
    "multiline plain": "a: this is\n  continued\n  yes\nb: 'single\n  quoted'\n",
    "complex keys": "? [a, b]\n: c\n? {d: e}\n: f\n1: int key\n0x1F: hex key\nnull: null key\ntrue: bool key\n",
    "duplicate keys": "a: 1\na: 2\nb: {c: 1, c: 2}\n",
    "unicode": "name: café\nemoji: 😀 x\ncjk: 中文\nnel: 'a\x85b'\nsep: 'x\u2028y'\nkey😀: v\n",
    "k8s": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: chat\n  labels: {app: chat}\nspec:\n"
    "  replicas: 2\n  template:\n    spec:\n      containers:\n        - name: vllm\n          image: vllm:v0.6.3\n"
    '          args: ["--port", "8000"]\n          resources:\n            limits:\n'
    "              nvidia.com/gpu: 1\n              memory: 16Gi\n          env:\n"
    '            - {name: X, value: "0"}\n  schedule: "0 2 * * *"\n',
    "scalar documents": "--- 1\n--- .inf\n--- ~\n--- yes\n--- '2'\n--- 2001-01-01\n",
    "special plain": "a: =\nb: <<\nc: -x\nd: .\ne: +\nf: '-'\ng: 1.2.3\nh: 1e3e3\ni: 0x\nj: 0o\nk: 0b\nl: 0b2\n",
    "empty": "",
    "only comments": "# nothing\n# here\n",
    "only dashes": "---\n",
    "explicit end": "a: 1\n...\n",
    "indented sequence": "a:\n- 1\n- 2\nb:\n  - - nested\n    - seq\n  - k: v\n",
}


@pytest.mark.parametrize("text", VALID.values(), ids=VALID.keys())
def test_valid_documents_load_identically(text):
    old, new = both(text)
    assert old[1] is None, old[1]
    assert new == old


def test_yaml_1_2_core_schema_even_under_a_1_1_directive():
    [doc] = load_documents(VALID["booleans"])
    assert [doc[k] for k in "abcdefgh"] == ["yes", "no", "on", "off", True, False, True, "y"]
    [doc] = load_documents(VALID["ints"])
    assert [doc[k] for k in "abcdefgh"] == [15, 31, "017", 1000, 5, 0, 5, "0777"]
    assert type(doc["a"]) is int
    [doc] = load_documents("%YAML 1.1\n---\na: yes\nb: 1:30\nc: 2001-12-14\nd: ~\ne: 1e3\n")
    assert doc == {"a": "yes", "b": "1:30", "c": "2001-12-14", "d": None, "e": 1000.0}


def test_positions_survive_crlf_bom_and_merges():
    [doc] = load_documents(VALID["crlf"])
    assert doc.key_pos == {"a": (1, 1), "b": (2, 1)}
    assert doc["b"].item_pos == [(3, 5), (4, 5)]
    assert doc["b"][1].key_pos == {"y": (4, 5), "z": (5, 5)}
    [doc] = load_documents(VALID["bom"])
    assert doc.key_pos == {"a": (1, 1), "b": (2, 1)}
    [doc] = load_documents(VALID["merge"])
    assert doc["n"].key_pos == {"x": (1, 11), "y": (1, 17), "z": (3, 3), "w": (9, 3)}


BROKEN = {
    "unclosed flow": "a: [1, 2\n",
    "bad indentation": "a:\n  b: 1\n c: 2\n",
    "mapping in plain": "a: b: c\n",
    "undefined alias": "a: *nope\n",
    "tab indentation": "a:\n\tb: 1\n",
    "control character": "a: \x07\n",
    "nul": "a: 1\nb: \x00\n",
    "unclosed quote": "a: 'x\n",
    "bad escape": 'a: "\\q"\n',
    "lone surrogate escape": 'a: "\\ud800"\n',
    "second document broken": "a: 1\n---\nb: [\n",
    "unknown directive version": "%YAML 2.0\n---\na: 1\n",
    "bad tag handle": "a: !e!x 1\n",
    "long implicit key": "a" * 1100 + ": 1\n",
    "stray block end": "- a\nb: 1\n",
    "redefined anchor": "a: &x 1\nb: *x\nc: &x 2\nd: *x\n",  # both C composers refuse it
}


@pytest.mark.parametrize("text", BROKEN.values(), ids=BROKEN.keys())
def test_broken_input_fails_on_both(text):
    old, new = both(text)
    assert old[1] is not None and new[1] is not None
    assert new[0] == old[0]  # the documents before the broken one
    message, line, column = new[1]
    assert message.startswith("invalid YAML: ")
    assert line >= 1 and column >= 1


@pytest.mark.parametrize(
    "text, where",
    [
        ("a: 1\nb: [1, 2\n", (2, 4)),
        ("a: 1\nb: {c: [1]\n\n# trailing\n", (2, 4)),
        ("a: 1\nb: 'open\n", (2, 4)),
        ("\ufeffa: [1\n", (1, 4)),
    ],
)
def test_errors_at_the_end_point_at_the_unclosed_construct(text, where):
    old, new = both(text)
    assert new[1] is not None and new[1][1:] == where
    assert old[1] == new[1]


def test_reader_errors_carry_a_position():
    with pytest.raises(YamlError) as info:
        list(load_documents("a: 1\nb: é\x07\n"))
    assert info.value.message == "invalid YAML: unacceptable character #x0007: control characters are not allowed"
    assert (info.value.line, info.value.column) == (2, 5)


def test_flow_plain_scalars_may_hold_colons_and_question_marks():
    # YAML 1.2 (and libyaml >= 0.2.5) allow these; older libyaml rejected them
    docs = list(load_documents("args: [--url=http://x:8000, a?b]\nsel: {a: b?c}\n"))
    assert docs == [{"args": ["--url=http://x:8000", "a?b"], "sel": {"a": "b?c"}}]


# -- resolution: the same tag as ruamel.yaml's YAML 1.2 resolver, for any plain scalar


def _drop_verbose_whitespace(pattern: str) -> str:
    """What re.X ignores: whitespace outside character classes (no comments here)."""
    out, in_class, escaped = [], False, False
    for ch in pattern:
        if escaped:
            out.append(ch)
            escaped = False
        elif ch == "\\":
            out.append(ch)
            escaped = True
        elif in_class:
            out.append(ch)
            in_class = ch != "]"
        elif ch == "[":
            out.append(ch)
            in_class = True
        elif not ch.isspace():
            out.append(ch)
    return "".join(out)


def test_resolver_table_is_ruamels_yaml_1_2_table():
    from ruamel.yaml.resolver import implicit_resolvers

    reference = []
    for versions, tag, regexp, first in implicit_resolvers:
        if (1, 2) not in versions:
            continue
        pattern = regexp.pattern
        if regexp.flags & re.X:
            assert "#" not in pattern
            pattern = _drop_verbose_whitespace(pattern)
        reference.append((tag, pattern, tuple(first)))
    ours = [(yamlload._TAG_PREFIX + s, p, f) for s, p, f in yamlload._CORE12_RESOLVERS]
    assert ours == reference


def _resolvers() -> tuple[Callable[[str], str], Callable[[str], str]]:
    from ruamel.yaml.nodes import ScalarNode as RScalar
    from ruamel.yaml.resolver import VersionedResolver
    from yaml.nodes import ScalarNode

    ruamel = VersionedResolver()
    ours = yamlload._libyaml_loader_class()("")
    return (
        lambda v: str(ruamel.resolve(RScalar, v, (True, False))),
        lambda v: str(ours.resolve(ScalarNode, v, (True, False))),
    )


PLAIN = [
    "",
    "~",
    "null",
    "Null",
    "NULL",
    "nUll",
    "true",
    "True",
    "TRUE",
    "tRue",
    "false",
    "yes",
    "no",
    "on",
    "off",
    "y",
    "n",
    "0",
    "-0",
    "+0",
    "00",
    "017",
    "0o17",
    "0O17",
    "0o",
    "0x1F",
    "0x",
    "0b1",
    "0b",
    "1_000",
    "_",
    "__",
    "+5",
    "-",
    "+",
    ".",
    "1.",
    ".5",
    "1.5",
    "1e3",
    "1E3",
    "1e+3",
    "1.5e-3",
    ".5e3",
    ".5e+3",
    "-.5e+3",
    "1e",
    "e3",
    ".inf",
    "-.inf",
    "+.Inf",
    ".INF",
    ".nan",
    ".NaN",
    "-.nan",
    "1:30",
    "190:20:30.15",
    "2001-12-14",
    "2001-12-14t21:59:43.10-05:00",
    "2001-12-14 21:59:43.10 -5",
    "2001-12-14T21:59:43Z",
    "2002-1-1",
    "2001-12-14 21:59:43",
    "<<",
    "<",
    "=",
    "==",
    "!",
    "&",
    "*",
    "1.2.3",
    "09",
    "0_8",
    "0x_",
    "12345678901234567890",
]


@pytest.mark.parametrize("value", PLAIN)
def test_plain_scalar_tags_match_ruamel(value):
    ruamel, ours = _resolvers()
    assert ours(value) == ruamel(value)


@FUZZ
@given(value=st.text(alphabet="0123456789_-+.:eEoxbOXBTtZz aflsnuNyYiINf~<=!&*\t", max_size=24))
def test_random_plain_scalar_tags_match_ruamel(value):
    ruamel, ours = _resolvers()
    assert ours(value) == ruamel(value)


@FUZZ
@given(
    pieces=st.lists(
        st.sampled_from(
            [
                "a",
                "b",
                ": ",
                ":",
                "- ",
                "\n",
                "\n  ",
                "[",
                "]",
                "{",
                "}",
                ", ",
                "&x ",
                "*x",
                "<<: ",
                "!!str ",
                "!Ref ",
                "? ",
                "---\n",
                "'q'",
                '"d"',
                "# c",
                "yes",
                "017",
                "1:30",
                "~",
                ".inf",
                "1e3",
                "2001-12-14",
                "|\n  t\n",
                "\t",
                "\r\n",
                "\ufeff",
                "%YAML 1.1\n---\n",
            ]
        ),
        max_size=24,
    )
)
def test_random_documents_agree(pieces):
    text = "".join(pieces)
    (old_docs, old_err), (new_docs, new_err) = both(text)
    if old_err is None:
        assert new_err is None and new_docs == old_docs
    elif new_err is not None:
        assert new_docs == old_docs  # both fail, after the same documents
    # else: libyaml >= 0.2.5 accepts a ':' or '?' inside a flow plain scalar (YAML 1.2)


# -- safety properties on the libyaml path


def test_tags_stay_inert():
    text = "a: !!python/object/apply:os.system ['touch /tmp/x']\nb: !<tag:yaml.org,2002:python/name:os.system> x\n"
    docs = list(load_documents(text))
    assert docs == [{"a": ["touch /tmp/x"], "b": "x"}]


def test_alias_bomb_is_refused():
    lines = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]']
    for i in range(1, 9):
        prev = chr(ord("a") + i - 1)
        cur = chr(ord("a") + i)
        lines.append(f"{cur}: &{cur} [" + ",".join([f"*{prev}"] * 10) + "]")
    with pytest.raises(YamlError, match="alias bomb"):
        list(load_documents("\n".join(lines) + "\n"))


@pytest.mark.parametrize(
    "text",
    [
        "[" * (MAX_DEPTH + 2) + "]" * (MAX_DEPTH + 2),
        "{a: " * (MAX_DEPTH + 50) + "}" * (MAX_DEPTH + 50),
        "".join(" " * i + "a:\n" for i in range(MAX_DEPTH + 50)),
        "- " * (MAX_DEPTH + 50) + "x\n",
        "x: &a 1\ny: " + "[" * (MAX_DEPTH + 50) + "*a" + "]" * (MAX_DEPTH + 50) + "\n",
        "[" * 1500 + "]" * 1500,
    ],
    ids=["flow", "flow maps", "block maps", "dashes", "with alias", "past libyaml's limit"],
)
def test_deep_nesting_fails_the_same_way(text):
    old, new = both(text)
    assert new[1] is not None and new[1][0] == f"nesting deeper than {MAX_DEPTH} levels"
    assert old[1] is not None and old[1][0] == new[1][0]
    if "[" * 1500 not in text:
        assert new[1] == old[1]  # libyaml itself stops at 1000 levels, elsewhere


def test_deepest_allowed_nesting_loads():
    text = "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1)
    old, new = both(text)
    assert old[1] is None and new == old


def test_nothing_but_yamlerror_escapes():
    for text in ("\ud800: x\n", 'a: "\\ud800"\n', "\x00", "\ufffe", "%YAML 1.1\n%YAML 1.1\n---\n"):
        try:
            list(load_documents(text))
        except YamlError:
            pass


# -- switching composers


def test_ruamel_composes_when_switched_off(monkeypatch):
    def boom(text: str) -> Any:
        raise AssertionError("libyaml path used")

    monkeypatch.setattr(yamlload, "_compose_libyaml", boom)
    monkeypatch.setattr(yamlload, "USE_LIBYAML", False)
    assert list(load_documents("a: yes\n")) == [{"a": "yes"}]


def test_ruamel_composes_without_pyyamls_c_extension(monkeypatch):
    calls: list[str] = []
    real = yamlload._compose_ruamel

    def spy(text: str) -> Any:
        calls.append(text)
        return real(text)

    monkeypatch.setattr(yamlload, "_libyaml_loader", False)  # as if yaml.__with_libyaml__ were False
    monkeypatch.setattr(yamlload, "_compose_ruamel", spy)
    assert list(load_documents("a: [1, on]\n")) == [{"a": [1, "on"]}]
    assert calls == ["a: [1, on]\n"]
