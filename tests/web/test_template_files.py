"""Template paths from the browser: only templates inside the folder, written atomically."""

from __future__ import annotations

from pathlib import Path

import pytest

from campaigns.web.template_files import (
    TemplatePathError,
    check_relative,
    list_templates,
    normalise,
    resolve,
    skeleton,
    write_atomic,
)
from campaigns.web.template_lint import lint_text
from linter.config import load_linter_config

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    "path",
    [
        "",
        "../config.toml.j2",
        "en/../../secret.j2",
        "/etc/passwd.j2",
        "C:/x.j2",
        "en\\x.html.j2",
        "en//x.html.j2",
        "./en/x.html.j2",
        ".hidden/x.html.j2",
        "en/x.html",
        "en/.j2",
        "en/x.html.j2\0",
    ],
)
def test_unsafe_or_malformed_paths_are_refused(path: str) -> None:
    with pytest.raises(TemplatePathError):
        check_relative(path)


def test_a_nested_template_path_is_accepted_and_tidied() -> None:
    assert check_relative(" en/jazz-sale.html.j2 ") == "en/jazz-sale.html.j2"


def test_a_symlink_leading_out_of_the_folder_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "templates"
    root.mkdir()
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "x.html.j2").write_text("secret", encoding="utf-8")
    (root / "link").symlink_to(outside, target_is_directory=True)
    (root / "escape.html.j2").symlink_to(outside / "x.html.j2")
    with pytest.raises(TemplatePathError, match="outside"):
        resolve(root, "link/x.html.j2")
    with pytest.raises(TemplatePathError, match="outside"):
        resolve(root, "escape.html.j2")
    assert [entry.path for entry in list_templates(root)] == []


def test_a_symlink_inside_the_folder_is_followed(tmp_path: Path) -> None:
    root = tmp_path / "templates"
    (root / "en").mkdir(parents=True)
    (root / "en" / "a.html.j2").write_text("x", encoding="utf-8")
    (root / "alias.html.j2").symlink_to(root / "en" / "a.html.j2")
    assert resolve(root, "alias.html.j2") == (root / "en" / "a.html.j2").resolve()


def test_write_atomic_replaces_the_file_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "en" / "x.html.j2"
    write_atomic(target, "one\n")
    target.chmod(0o640)
    write_atomic(target, "two ✓\n")
    assert target.read_text(encoding="utf-8") == "two ✓\n"
    assert [entry.name for entry in target.parent.iterdir()] == ["x.html.j2"]
    assert target.stat().st_mode & 0o777 == 0o640


def test_form_text_gets_unix_line_ends() -> None:
    assert normalise("a\r\nb\rc\n") == "a\nb\nc\n"


def test_the_list_reads_channel_language_and_subject() -> None:
    entries = {entry.path: entry for entry in list_templates(ROOT / "templates")}
    jazz = entries["en/jazz-sale.html.j2"]
    assert (jazz.channel, jazz.lang) == ("email", "en")
    assert jazz.subject is not None and "jazz CD" in jazz.subject
    assert entries["letters/reply-card-gift.html.j2"].channel == "letter"


@pytest.mark.parametrize("channel", ["email", "letter"])
def test_new_template_skeletons_lint_clean(channel: str) -> None:
    config = load_linter_config(ROOT / "config.toml")
    folder = "letters" if channel == "letter" else "en"
    lint = lint_text(config, f"templates/{folder}/new.html.j2", skeleton(channel))
    assert [(f.code, f.message) for f in lint.findings] == []
    assert lint.summary == "No findings"
