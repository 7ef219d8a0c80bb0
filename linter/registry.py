"""Rules, their codes, and which ones a run enables.

A rule is a class with a stable ``code`` (``W001``), a kebab-case ``name``, a default
``severity`` and a docstring in three parts (*What it does*, *Why is this bad?*,
*Example*) that ``hookline lint --explain CODE`` prints. Defining the class registers
it; every module in :mod:`linter.rules` is imported on first use.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from linter.model import Severity, Violation

if TYPE_CHECKING:
    from linter.context import TemplateContext
    from linter.view import ReaderView

_REGISTRY: dict[str, type[Rule]] = {}
ALL = "ALL"


class Rule:
    """Base class of every rule. Subclasses set the class attributes and override a check."""

    code: ClassVar[str] = ""
    name: ClassVar[str] = ""
    severity: ClassVar[Severity] = Severity.ERROR
    summary: ClassVar[str] = ""
    # Which templates the rule applies to.
    channels: ClassVar[frozenset[str]] = frozenset({"email", "letter"})
    kinds: ClassVar[frozenset[str]] = frozenset({"html", "text"})
    # "view": checked on each rendering; "template": checked once on the source.
    scope: ClassVar[str] = "view"
    fixable: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.code:
            if cls.code in _REGISTRY and _REGISTRY[cls.code] is not cls:
                raise ValueError(f"rule code {cls.code} is defined twice")
            _REGISTRY[cls.code] = cls

    def check(self, view: ReaderView) -> Iterable[Violation]:
        """Findings on one rendering of the template (scope "view")."""
        return ()

    def check_template(self, ctx: TemplateContext) -> Iterable[Violation]:
        """Findings on the template source itself (scope "template")."""
        return ()

    def applies_to(self, channel: str, kind: str) -> bool:
        """Whether the rule checks templates of this channel and kind."""
        return channel in self.channels and kind in self.kinds


_loaded = False


def _load_rules() -> None:
    global _loaded  # noqa: PLW0603 - one import of the rule modules per process
    if _loaded:
        return
    import linter.rules as package

    for module in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"{package.__name__}.{module.name}")
    _loaded = True


def all_rules() -> dict[str, type[Rule]]:
    """Every rule, by code, in code order."""
    _load_rules()
    return dict(sorted(_REGISTRY.items()))


def get_rule(code: str) -> type[Rule] | None:
    """The rule with this code (case-insensitive), or None."""
    return all_rules().get(code.upper())


def _specificity(code: str, selectors: Iterable[str]) -> int:
    best = -1
    for raw in selectors:
        selector = raw.strip().upper()
        if selector == ALL:
            best = max(best, 0)
        elif code.startswith(selector):
            best = max(best, len(selector))
    return best


@dataclass(frozen=True)
class RuleSelection:
    """``--select`` and ``--ignore`` by code or prefix; the most specific one wins.

    As in ruff, ``select = ["ALL"]`` with ``ignore = ["P"]`` and ``select = ["P001"]``
    enables P001 only among the P rules; on a tie, ignore wins.
    """

    select: tuple[str, ...] = (ALL,)
    ignore: tuple[str, ...] = ()
    extra_ignore: tuple[str, ...] = field(default=())

    def enabled(self, code: str) -> bool:
        """Whether the rule with this code runs."""
        selected = _specificity(code, self.select)
        ignored = _specificity(code, self.ignore + self.extra_ignore)
        return selected >= 0 and selected > ignored

    def unknown_selectors(self) -> list[str]:
        """Selectors that match no rule: a typo in --select or config."""
        codes = list(all_rules())
        unknown = []
        for selector in (*self.select, *self.ignore):
            normal = selector.strip().upper()
            if normal != ALL and not any(code.startswith(normal) for code in codes):
                unknown.append(selector)
        return unknown

    def rules(self, channel: str, kind: str) -> list[Rule]:
        """Instances of the enabled rules that apply to this channel and kind."""
        return [
            rule_class()
            for code, rule_class in all_rules().items()
            if self.enabled(code) and rule_class().applies_to(channel, kind)
        ]
