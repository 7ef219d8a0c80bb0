"""The ``[linter]`` table of config.toml, HOOKLINE_LINTER_* overrides, and the CLI using them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from campaigns.cli import cli
from linter.config import (
    GrammarConfig,
    LinterConfig,
    linter_config_from_mapping,
    load_linter_config,
)
from linter.config_file import ConfigError, env_name
from linter.model import Severity
from tests.linter.helpers import template

REPO_CONFIG = Path(__file__).resolve().parents[2] / "config.toml"
NO_ENV: dict[str, str] = {}
WITH_ERROR = template("Hi {{ frist_name }},\n")

FULL_TABLE: dict[str, Any] = {
    "linter": {
        "select": ["T", "X001"],
        "ignore": ["T004"],
        "per-file-ignores": {"legacy/*": ["T002"], "*.txt.j2": ["X"]},
        "extend-acronyms": ["CD", "VIP"],
        "attributes": ["store"],
        "word-limit": 180,
        "line-length": 72,
        "severity": {"X001": "error", "T002": "info"},
        "cache": False,
        "grammar": {
            "enabled": False,
            "harper": False,
            "languagetool-url": "http://127.0.0.1:8081",
            "languagetool-path": "/opt/lt",
            "words": ["Hookline"],
        },
    }
}


def load(table: dict[str, Any], **environ: str) -> LinterConfig:
    """A config from a parsed config.toml and exactly these environment variables."""
    return linter_config_from_mapping(table, environ)


class TestFromMapping:
    def test_no_table_gives_the_defaults(self) -> None:
        assert load({}) == LinterConfig()
        assert load({"linter": {}}).select == ("ALL",)

    def test_every_key_is_read(self) -> None:
        config = load(FULL_TABLE)
        assert config.select == ("T", "X001")
        assert config.ignore == ("T004",)
        assert config.per_file_ignores == (("legacy/*", ("T002",)), ("*.txt.j2", ("X",)))
        assert config.extend_acronyms == ("CD", "VIP")
        assert config.attributes == ("store",)
        assert config.word_limit == 180
        assert config.line_length == 72
        assert config.severity == (("X001", Severity.ERROR), ("T002", Severity.INFO))
        assert config.cache is False
        assert config.grammar == GrammarConfig(
            enabled=False,
            languagetool_url="http://127.0.0.1:8081",
            languagetool_path="/opt/lt",
            harper=False,
            words=("Hookline",),
        )

    def test_the_repository_config_loads(self) -> None:
        config = load_linter_config(REPO_CONFIG, environ=NO_ENV)
        assert config.select == ("ALL",)
        assert config.word_limit == 250
        assert config.line_length == 67
        assert "VIP" in config.extend_acronyms
        assert config.grammar.enabled is True

    def test_severity_and_per_file_ignores_are_applied(self) -> None:
        config = load(FULL_TABLE)
        assert config.severity_for("X001", Severity.WARNING) is Severity.ERROR
        assert config.severity_for("T001", Severity.ERROR) is Severity.ERROR
        assert config.ignored_for_path("legacy/old.html.j2") == ("T002",)
        assert config.ignored_for_path("legacy/old.txt.j2") == ("T002", "X")
        assert config.ignored_for_path("deep/down/new.txt.j2") == ("X",)
        assert config.ignored_for_path("new.html.j2") == ()

    def test_fingerprint_follows_the_settings(self) -> None:
        assert load({}).fingerprint() == load({}).fingerprint()
        assert load({}).fingerprint() != load({"linter": {"word-limit": 251}}).fingerprint()


class TestEnvironment:
    def test_names_follow_table_and_key(self) -> None:
        assert env_name("linter", "word-limit") == "HOOKLINE_LINTER_WORD_LIMIT"
        assert env_name("linter.grammar", "languagetool-url") == (
            "HOOKLINE_LINTER_GRAMMAR_LANGUAGETOOL_URL"
        )

    def test_environment_beats_the_file(self) -> None:
        config = load(
            FULL_TABLE,
            HOOKLINE_LINTER_SELECT="S, W001",
            HOOKLINE_LINTER_IGNORE='["P", "C001"]',
            HOOKLINE_LINTER_WORD_LIMIT="300",
            HOOKLINE_LINTER_LINE_LENGTH="80",
            HOOKLINE_LINTER_CACHE="yes",
            HOOKLINE_LINTER_EXTEND_ACRONYMS="ABC,DEF",
            HOOKLINE_LINTER_ATTRIBUTES="",
            HOOKLINE_LINTER_PER_FILE_IGNORES='{"old/*": ["W"]}',
            HOOKLINE_LINTER_SEVERITY='{"P001": "info"}',
            HOOKLINE_LINTER_GRAMMAR_ENABLED="true",
            HOOKLINE_LINTER_GRAMMAR_WORDS="Saigon,Hue",
            HOOKLINE_LINTER_GRAMMAR_LANGUAGETOOL_URL="",
        )
        assert config.select == ("S", "W001")
        assert config.ignore == ("P", "C001")
        assert config.word_limit == 300
        assert config.line_length == 80
        assert config.cache is True
        assert config.extend_acronyms == ("ABC", "DEF")
        assert config.attributes == ()
        assert config.per_file_ignores == (("old/*", ("W",)),)
        assert config.severity == (("P001", Severity.INFO),)
        assert config.grammar.enabled is True
        assert config.grammar.words == ("Saigon", "Hue")
        assert config.grammar.languagetool_url == ""
        # Keys not overridden keep the file's value.
        assert config.grammar.harper is False

    @pytest.mark.parametrize("raw, expected", [("0", False), ("off", False), ("TRUE", True)])
    def test_booleans(self, raw: str, expected: bool) -> None:
        assert load({}, HOOKLINE_LINTER_CACHE=raw).cache is expected

    def test_only_the_given_environ_is_read(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("HOOKLINE_LINTER_WORD_LIMIT", "999")
        assert load({}).word_limit == 250
        assert linter_config_from_mapping({}).word_limit == 999

    def test_unrelated_variables_are_ignored(self) -> None:
        assert load({}, HOOKLINE_LINTER_NO_SUCH_KEY="1", HOOKLINE_SMTP_HOST="x") == LinterConfig()


class TestBadValues:
    @pytest.mark.parametrize(
        "table, key",
        [
            ({"word-limit": "many"}, "word-limit"),
            ({"word-limit": 0}, "word-limit"),
            ({"line-length": -5}, "line-length"),
            ({"select": "ALL"}, "select"),
            ({"ignore": [1, 2]}, "ignore"),
            ({"extend-acronyms": "VIP"}, "extend-acronyms"),
            ({"per-file-ignores": ["legacy/*"]}, "per-file-ignores"),
            ({"per-file-ignores": {"legacy/*": "T002"}}, "per-file-ignores.legacy/*"),
            ({"severity": {"X001": "fatal"}}, "severity.X001"),
            ({"severity": "error"}, "severity"),
            ({"word_limit": 300}, "word_limit"),
            ({"grammar": {"words": "Hookline"}}, "grammar.words"),
            ({"grammar": {"enable": True}}, "enable"),
        ],
    )
    def test_error_names_the_key(self, table: dict[str, Any], key: str) -> None:
        with pytest.raises(ConfigError) as caught:
            load({"linter": table})
        message = str(caught.value)
        assert key in message
        assert "\n" not in message

    def test_unknown_key_lists_the_known_ones(self) -> None:
        with pytest.raises(ConfigError, match=r"unknown key.*word_limit.*known: .*word-limit"):
            load({"linter": {"word_limit": 300}})

    @pytest.mark.parametrize(
        "name, raw",
        [
            ("HOOKLINE_LINTER_WORD_LIMIT", "abc"),
            ("HOOKLINE_LINTER_CACHE", "maybe"),
            ("HOOKLINE_LINTER_SEVERITY", "[1]"),
            ("HOOKLINE_LINTER_SELECT", "[1"),
            ("HOOKLINE_LINTER_PER_FILE_IGNORES", "legacy/*=T002"),
        ],
    )
    def test_bad_environment_value_names_the_variable(self, name: str, raw: str) -> None:
        with pytest.raises(ConfigError, match=name):
            load({}, **{name: raw})

    def test_linter_must_be_a_table(self) -> None:
        with pytest.raises(ConfigError, match=r"\[linter\]"):
            load({"linter": 3})

    def test_missing_explicit_file(self, tmp_path: Path) -> None:
        with pytest.raises(ConfigError, match="config file not found"):
            load_linter_config(tmp_path / "nope.toml", environ=NO_ENV)


@pytest.fixture
def workdir(workdir: Path) -> Path:
    """conftest's empty folder, with one template with a T002 error in mail/."""
    tmp_path = workdir
    (tmp_path / "mail").mkdir()
    (tmp_path / "mail" / "sale.txt.j2").write_text(WITH_ERROR, encoding="utf-8")
    return tmp_path


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    """``hookline lint --format json`` over the template rules, without cache or grammar."""
    base = ["lint", "--no-grammar", "--no-cache", "--format", "json"]
    result = CliRunner().invoke(cli, [*base, *args], env=env)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def codes(result: Result) -> list[str]:
    """The codes in a JSON report."""
    return [finding["code"] for finding in json.loads(result.stdout)]


class TestCli:
    def test_config_toml_in_the_current_folder_is_used(self, workdir: Path) -> None:
        (workdir / "config.toml").write_text('[linter]\nselect = ["T"]\nignore = ["T002"]\n')
        result = run("mail")
        assert (result.exit_code, codes(result)) == (0, [])

    def test_config_option_and_hookline_config_variable(self, workdir: Path) -> None:
        (workdir / "strict.toml").write_text('[linter]\nselect = ["T"]\n[linter.severity]\n')
        (workdir / "lenient.toml").write_text(
            '[linter]\nselect = ["T"]\n[linter.severity]\nT002 = "warning"\n'
        )
        assert run("--config", "strict.toml", "mail").exit_code == 1
        assert run("--config", "lenient.toml", "mail").exit_code == 0
        via_env = run("mail", env={"HOOKLINE_CONFIG": "lenient.toml"})
        assert via_env.exit_code == 0
        assert json.loads(via_env.stdout)[0]["severity"] == "warning"

    def test_environment_overrides_config_toml(self, workdir: Path) -> None:
        (workdir / "config.toml").write_text('[linter]\nselect = ["T"]\n')
        assert codes(run("mail")) == ["T002"]
        env = {"HOOKLINE_LINTER_SEVERITY": '{"T002": "info"}'}
        lenient = run("mail", env=env)
        assert lenient.exit_code == 0
        assert json.loads(lenient.stdout)[0]["severity"] == "info"
        assert run("mail", env={"HOOKLINE_LINTER_IGNORE": "T002"}).stdout == "[]\n"

    def test_per_file_ignores(self, workdir: Path) -> None:
        (workdir / "legacy").mkdir()
        (workdir / "legacy" / "old.txt.j2").write_text(WITH_ERROR, encoding="utf-8")
        (workdir / "config.toml").write_text(
            '[linter]\nselect = ["T"]\n[linter.per-file-ignores]\n"legacy/*" = ["T002"]\n'
        )
        result = run("mail", "legacy")
        paths = [finding["path"] for finding in json.loads(result.stdout)]
        assert paths == ["mail/sale.txt.j2"]

    @pytest.mark.parametrize(
        "toml, key",
        [
            ('[linter]\nword-limit = "many"\n', "word-limit"),
            ('[linter]\nselect = "T"\n', "select"),
            ('[linter.severity]\nT002 = "fatal"\n', "severity.T002"),
            ("[linter]\nwordlimit = 3\n", "wordlimit"),
            ("linter = 3\n", "[linter]"),
            ("[linter]\ngrammar = 3\n", "[linter.grammar]"),
        ],
    )
    def test_bad_config_value_is_one_line_and_exit_2(
        self, workdir: Path, toml: str, key: str
    ) -> None:
        (workdir / "config.toml").write_text(toml, encoding="utf-8")
        result = run("mail")
        assert result.exit_code == 2
        assert result.stdout == ""
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, result.stderr
        assert key in lines[0]
        assert lines[0].startswith("hookline lint: error: ")
        assert "Traceback" not in result.output

    def test_bad_environment_value_is_one_line_and_exit_2(self, workdir: Path) -> None:
        result = run("mail", env={"HOOKLINE_LINTER_WORD_LIMIT": "lots"})
        assert result.exit_code == 2
        assert result.stderr.strip().splitlines() == [
            "hookline lint: error: HOOKLINE_LINTER_WORD_LIMIT: "
            "invalid literal for int() with base 10: 'lots'"
        ]

    def test_missing_config_file_is_exit_2(self, workdir: Path) -> None:
        result = run("--config", "nope.toml", "mail")
        assert result.exit_code == 2
        assert "config file not found: nope.toml" in result.stderr
