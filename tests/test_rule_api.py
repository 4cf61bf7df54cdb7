"""The rule API: typed options validated with the configuration, and their generated docs."""

from __future__ import annotations

from pathlib import Path

import pytest

from aiinfralint.cli import main
from aiinfralint.config import Config, ConfigError, RuleOptions, parse_text
from aiinfralint.docs import render_rule
from aiinfralint.rules.registry import builtin_rules, find_rule


def _check(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, body: str) -> int:
    (tmp_path / "pyproject.toml").write_text(body, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return main(["check", ".", "--no-cache", "--format", "json"])


def test_every_option_has_a_description_and_the_page_lists_it():
    for rule in builtin_rules():
        assert issubclass(rule.Options, RuleOptions)
        page = render_rule(rule)
        for name, info in rule.Options.model_fields.items():
            assert info.description, f"{rule.code} option {name} has no description"
            assert f"- `{name.replace('_', '-')}` (" in page


def test_rules_read_typed_options():
    cfg = Config.model_validate(
        {"rules": {"scale-to-zero-llm-serving": {"load-gbps": 4}, "AIL203": {"start-overhead-seconds": 5}}}
    )
    rule = find_rule("AIL203")
    options = cfg.options_for(rule)
    assert options.bandwidth() == 4.0 and options.start_overhead_seconds == 5.0
    assert rule(options).options is options


def test_a_code_table_wins_over_the_slug_table():
    cfg = Config.model_validate(
        {"rules": {"streaming-proxy-timeout": {"min-timeout-seconds": 10}, "AIL205": {"min_timeout_seconds": 20}}}
    )
    assert cfg.rule_options("AIL205", "streaming-proxy-timeout").min_timeout_seconds == 20


def test_a_bad_option_built_in_code_is_a_config_error():
    with pytest.raises(ConfigError, match="margn: unknown key; did you mean margin"):
        find_rule("AIL103")({"margn": 0.2})


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        (
            "[tool.aiinfralint.rules.AIL202]\ndefault-run-hour = 2\n",
            "pyproject.toml: [tool.aiinfralint.rules.AIL202] default-run-hour: unknown key; did you mean default-run-hours?",
        ),
        (
            '[tool.aiinfralint.rules.AIL101]\nmin-static-tokens-after = "many"\n',
            '[tool.aiinfralint.rules.AIL101] min-static-tokens-after: must be a whole number, got "many"',
        ),
        (
            "[tool.aiinfralint.rules.missing-carbon-line-item]\nmin-kgco2e-per-month = -1\n",
            "[tool.aiinfralint.rules.missing-carbon-line-item] min-kgco2e-per-month: must be at least 0, got -1",
        ),
        ("[tool.aiinfralint.rules.AIL999]\nx = 1\n", "[tool.aiinfralint.rules] AIL999: unknown rule"),
        (
            "[tool.aiinfralint.rules.scale-to-zero-llm-servng]\nload-gbps = 1\n",
            "unknown rule; did you mean scale-to-zero-llm-serving?",
        ),
    ],
)
def test_bad_rule_options_are_exit_two_naming_the_key(tmp_path, monkeypatch, capsys, body, needle):
    assert _check(tmp_path, monkeypatch, body) == 2
    err = capsys.readouterr().err
    assert needle in err, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_an_option_documented_on_the_page_is_accepted(tmp_path, monkeypatch):
    # min-kgco2e-per-month was documented but refused as "takes no options" before it was typed
    assert _check(tmp_path, monkeypatch, "[tool.aiinfralint.rules.AIL501]\nmin-kgco2e-per-month = 5\n") == 0


def test_load_time_checks_still_refuse_absurd_values():
    with pytest.raises(ConfigError, match="must be at most"):
        parse_text(b"[rules.AIL203]\nload-gbps = 1e300\n", Path(".aiinfralint.toml"))


def test_a_run_builds_one_estimator(monkeypatch):
    from aiinfralint.estimate import estimator as module
    from aiinfralint.pipeline import engine

    built: list[object] = []
    original = module.Estimator.__init__

    def counting(self, *args, **kwargs):
        built.append(self)
        original(self, *args, **kwargs)

    monkeypatch.setattr(module.Estimator, "__init__", counting)
    root = Path(__file__).resolve().parents[1]
    # demo-platform has prompts and GPU workloads: the prompt, k8s and carbon rules all price
    engine.run(engine.RunOptions(paths=["demo-platform"], cwd=root, use_cache=False, jobs=1))
    assert len(built) == 1


def test_the_context_estimator_is_cached():
    from aiinfralint.model.project import Project
    from aiinfralint.rules.base import RuleContext

    ctx = RuleContext(project=Project([]), config=Config.model_construct())
    assert ctx.estimator is ctx.estimator
