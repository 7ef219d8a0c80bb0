"""Subject-line rules: an email has a subject (S001) that is concrete (S002), names a
benefit (S003) and doesn't shout (S004). Letters have no subject, so these rules check
email templates only. Word lists live in ``linter/data/<lang>/subject.toml``."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

from linter.language import LanguageData, strip_marks
from linter.model import Severity, Span, Violation
from linter.registry import Rule
from linter.rules.capitals import is_shouting
from linter.text_units import contains_phrase, folded_tokens
from linter.view import ReaderView

EMAIL_ONLY = frozenset({"email"})
# Words as C001 reads them: letters and digits, with inner apostrophes ("DON'T").
_WORDS = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
_DIGIT = re.compile(r"\d")
_VALUE_START = re.compile(r"""=\s*(?:\"\"\"|'''|"|')?""")
# Contact fields whose values may appear in a greeting subject ("Hi An").
_NAME_FIELDS = ("first_name", "last_name")


@dataclass(frozen=True)
class _SubjectLine:
    """The front-matter line that sets ``subject``, to point findings at a column."""

    line: int
    text: str
    value_start: int
    value_end: int

    @classmethod
    def of(cls, view: ReaderView) -> _SubjectLine:
        span = view.doc.key_span("subject")
        text = view.doc.index.line_text(span.line)
        match = _VALUE_START.search(text)
        start = match.end() if match else 0
        end = len(text.rstrip().rstrip("\"'")) if match else len(text)
        return cls(span.line, text, start, max(start, end))

    def value(self) -> Span:
        """The subject's value on its line, without the quotes."""
        return Span.point(self.line, self.value_start + 1, self.value_end - self.value_start)

    def find(self, needle: str, after: int = 0) -> tuple[int, Span] | None:
        """Where ``needle`` appears in the value at or after index ``after``, if it does."""
        if not needle:
            return None
        pattern = re.compile(re.escape(needle), re.IGNORECASE)
        match = pattern.search(self.text, max(after, self.value_start))
        if match is None:
            return None
        return match.end(), Span.point(self.line, match.start() + 1, len(match.group(0)))

    def narrow(self, needle: str) -> Span:
        """The first occurrence of ``needle`` in the value, else the whole value."""
        found = self.find(needle)
        return found[1] if found else self.value()


def _source_subject(view: ReaderView) -> str:
    return view.doc.front.subject or ""


def _is_year(token: str, view: ReaderView) -> bool:
    """Whether a token is a bare year ("2025"), which names neither a topic nor a gain."""
    return bool(re.match(str(view.language.value("subject.year", r"^$")), token))


# --- S001 -----------------------------------------------------------------------------


class SubjectMissing(Rule):
    """## What it does
    Checks that an email has a `subject` in its front matter and that it renders to
    some text for every preview. A subject built only from an empty variable renders
    as nothing.

    ## Why is this bad?
    The subject is the first thing the reader sees and decides on. The material opens
    its e-mail tactics with "Chọn tiêu đề hợp lý" (choose a fitting subject) and asks to
    "Sử dụng hàng tiêu đề cụ thể" (use a specific subject line). A mail with no subject
    looks like spam and gives no reason to open it.

    ## Example
    ```
    +++
    lang = "en"
    +++
    Hi {{ first_name }}, you save 60% on every jazz CD until Friday.
    ```

    Use instead:
    ```
    +++
    subject = "Save 60% on every jazz CD until Friday"
    +++
    Hi {{ first_name }}, you save 60% on every jazz CD until Friday.
    ```
    """

    code = "S001"
    name = "subject-missing"
    severity = Severity.ERROR
    summary = "An email has no subject, or its subject renders empty"
    channels = EMAIL_ONLY

    def check(self, view: ReaderView) -> Iterator[Violation]:
        if view.doc.front.subject is None:
            yield Violation(
                "Email has no `subject` in its front matter", view.doc.key_span("subject")
            )
        elif not (view.subject or "").strip():
            yield Violation(
                "Subject renders empty; write a subject that names the offer",
                view.doc.key_span("subject"),
            )


# --- S002 -----------------------------------------------------------------------------


def _bare_tokens(text: str) -> list[str]:
    """Words lower-cased and without diacritics: "khỏe" and "khoẻ" both give "khoe"."""
    return [strip_marks(token).replace("’", "'") for token in folded_tokens(text)]


def _bare_phrases(view: ReaderView, *keys: str) -> list[list[str]]:
    return _bare_phrases_of(view.language, keys)


@cache
def _bare_phrases_of(language: LanguageData, keys: tuple[str, ...]) -> list[list[str]]:
    # The word lists are fixed data: fold them once per language, not once per view.
    phrases = [_bare_tokens(phrase) for key in keys for phrase in language.strings(key)]
    return [phrase for phrase in phrases if phrase]


def _name_tokens(view: ReaderView) -> set[str]:
    """The contact names the subject may have been rendered with (placeholders, previews)."""
    sources: list[Any] = [view.language.value("placeholders", {}), *view.doc.front.previews]
    names: set[str] = set()
    for source in sources:
        for field_name in _NAME_FIELDS:
            value = source.get(field_name) if isinstance(source, dict) else None
            if isinstance(value, str):
                names.update(_bare_tokens(value))
    return names


def _covered(tokens: list[str], phrases: list[list[str]]) -> bool:
    """Whether ``tokens`` is a sequence of ``phrases`` and nothing else."""
    reachable = [False] * (len(tokens) + 1)
    reachable[0] = True
    for index in range(len(tokens)):
        if not reachable[index]:
            continue
        for phrase in phrases:
            end = index + len(phrase)
            if tokens[index:end] == phrase:
                reachable[end] = True
    return reachable[-1]


class SubjectVague(Rule):
    """## What it does
    Checks that the subject says something concrete. It fires when the subject is only
    a greeting or a teaser ("Hello", "How are you?", "Quick question", "Newsletter",
    "Update", "Xin chào", "Bạn có khoẻ không?"), possibly with filler words and the
    contact's name ("Hi {{ first_name }}"), and when it starts with a fake "Re:",
    "Fwd:" or "TR:" (a campaign is never a reply). Words are compared without
    diacritics, so "khỏe" and "khoẻ" match. The phrases are in `subject.toml`.

    ## Why is this bad?
    The material says: "Tránh xa các tiêu đề gây nhầm lẫn hoặc bí hiểm" (stay away from
    confusing or mysterious subjects), "Thẳng thắn với người nhận email" (be straight
    with the recipient), and "Sẽ bị coi là thư rác khi gửi đi các bức thư điện tử với
    tiêu đề “Bạn có khoẻ không” hay “Xin chào”" (mail sent with the subject "How are
    you" or "Hello" will be treated as spam).

    ## Example
    ```
    subject = "Hi {{ first_name }}"
    ```

    Use instead:
    ```
    subject = "{{ first_name }}, save 60% on every jazz CD until Friday"
    ```
    """

    code = "S002"
    name = "subject-vague"
    severity = Severity.ERROR
    summary = "The subject is a greeting or teaser that says nothing concrete"
    channels = EMAIL_ONLY

    def check(self, view: ReaderView) -> Iterator[Violation]:
        subject = view.subject or ""
        if not subject.strip():
            return  # S001's finding
        line = _SubjectLine.of(view)
        for pattern in view.language.patterns("subject.reply_prefixes"):
            match = pattern.match(subject)
            if match:
                prefix = match.group(0).strip()
                yield Violation(
                    f'Subject starts with "{prefix}": a campaign is never a reply or a '
                    "forward, so the prefix misleads the reader",
                    line.narrow(prefix),
                )
                return
        names = _name_tokens(view)
        tokens = [
            token
            for token in _bare_tokens(subject)
            if token not in names and not _is_year(token, view)
        ]
        phrases = _bare_phrases(view, "greetings", "subject.vague", "subject.filler")
        if _covered(tokens, phrases):
            yield Violation(
                f'Subject "{_source_subject(view)}" is a greeting or teaser that says '
                "nothing concrete; name the offer and what the reader gains",
                line.value(),
            )


# --- S003 -----------------------------------------------------------------------------


class SubjectNoBenefit(Rule):
    """## What it does
    Checks that the subject names a benefit to the reader: a figure (a number, a
    percentage or a money amount; a bare year doesn't count) or a benefit word such as
    "save", "free", "gift", "off", "discount", "tiết kiệm", "giảm", "miễn phí", "quà",
    "tặng" or "ưu đãi". The words are in `subject.toml`.

    ## Why is this bad?
    The material defines the effective subject: "Tiêu đề hiệu quả: cho thấy lợi ích và
    mối liên quan trực tiếp với lời chào hàng của bạn" (an effective subject shows the
    benefit and its direct link to your offer), with the example "Hãy tiết kiệm 60% tiền
    mua đĩa CD" (save 60% on buying CDs). A subject without a gain gives no reason to
    open the mail.

    ## Example
    ```
    subject = "Our jazz collection"
    ```

    Use instead:
    ```
    subject = "Save 60% on every jazz CD until Friday"
    ```
    """

    code = "S003"
    name = "subject-no-benefit"
    severity = Severity.WARNING
    summary = "The subject names no benefit to the reader (no figure, saving, gift...)"
    channels = EMAIL_ONLY

    def check(self, view: ReaderView) -> Iterator[Violation]:
        subject = view.subject or ""
        if not subject.strip():
            return
        tokens = [token.replace("’", "'") for token in folded_tokens(subject)]
        if any(_DIGIT.search(token) and not _is_year(token, view) for token in tokens):
            return
        if any(
            contains_phrase(tokens, phrase) for phrase in view.language.strings("subject.benefit")
        ):
            return
        yield Violation(
            f'Subject "{_source_subject(view)}" names no benefit to the reader; show the '
            'gain, as in "Save 60% on CDs"',
            _SubjectLine.of(view).value(),
        )


# --- S004 -----------------------------------------------------------------------------


class SubjectShouting(Rule):
    """## What it does
    Checks that the subject has no word in capitals (three letters or more, in any
    script: "ĐẶC BIỆT" counts) other than a known acronym or ISO currency code, and no
    more than one "!". Add your own acronyms with `extend-acronyms` in config.toml.

    ## Why is this bad?
    The material says: "Tránh dùng toàn chữ hoa và quá nhiều câu cảm thán" (avoid all
    capitals and too many exclamations). In a subject, capitals and "!!" read as
    shouting and are a classic spam signal.

    ## Example
    ```
    subject = "FREE jazz CDs!!"
    ```

    Use instead:
    ```
    subject = "Free delivery on every jazz CD until Friday"
    ```
    """

    code = "S004"
    name = "subject-shouting"
    severity = Severity.ERROR
    summary = 'The subject has a word in capitals or more than one "!"'
    channels = EMAIL_ONLY

    def check(self, view: ReaderView) -> Iterator[Violation]:
        subject = view.subject or ""
        line = _SubjectLine.of(view)
        after = 0
        for start, end in self._shouting_runs(subject, view):
            run = subject[start:end]
            found = line.find(run, after)
            span = line.value()
            if found is not None:
                after, span = found
            yield Violation(f'Subject has "{run}" in capitals; write it in sentence case', span)
        count = subject.count("!")
        if count > 1:
            found = line.find("!")
            second = line.find("!", found[0]) if found else None
            yield Violation(
                f'Subject has {count} "!"; use one at most',
                second[1] if second else line.value(),
            )

    @staticmethod
    def _shouting_runs(subject: str, view: ReaderView) -> Iterator[tuple[int, int]]:
        """Spans of capitalised words, neighbours joined ("ĐẶC BIỆT" is one run)."""
        run: tuple[int, int] | None = None
        extra = view.config.extend_acronyms
        for match in _WORDS.finditer(subject):
            if not is_shouting(match.group(0), view.language, extra):
                if run:
                    yield run
                run = None
            elif run and not subject[run[1] : match.start()].strip():
                run = (run[0], match.end())
            else:
                if run:
                    yield run
                run = match.span()
        if run:
            yield run
