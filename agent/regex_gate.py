"""A literal pre-check for the reader's regular expressions: the words every match of a pattern must
contain, so a pattern none of whose words are in the question is neither compiled nor run on it.

A process's first question used to compile some 340 patterns (~0.15 s of `leadpilot ask`'s cold
start), most of them phrase tables of which the question says no word. `could_match(pattern,
text)` is False only when no match is possible: the pattern's parse tree (Python's own regex
parser) gives sets of literal strings such that every match contains one string of each set; if a
set has none in the text, the pattern cannot match there. What a pattern needs is kept per
process and — with `keep_in(folder)` — in a small file, so a new process neither parses nor
compiles what the question cannot match. Anything the analysis cannot read (a class, a
back-reference, a case-insensitive non-ASCII letter) makes no claim: the pattern is run as before.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path
from typing import Any

try:  # Python's own regex parser: the same tree `re.compile` builds from
    from re import _constants as _sre
    from re import _parser as _sre_parse
except ImportError:  # pragma: no cover — another Python: no pre-check, every pattern runs
    _sre = _sre_parse = None

_MAX_KEPT = 2000  # patterns remembered in the file, newest kept (a pattern made from a question's words comes and goes)
_FILE_VERSION = 1

# A pattern's needs: None (no claim) or (case_insensitive, ((s, ...), (s, ...), ...)): every match
# contains one string of each tuple (lower-cased ASCII when case-insensitive).
Needs = tuple[bool, tuple[tuple[str, ...], ...]] | None

_known: dict[tuple[str, int], Needs] = {}
_stored: dict[str, Any] = {}
_state: dict[str, Any] = {"path": None, "loaded": False, "dirty": False}


def could_match(pattern: str, text: str, flags: int = 0) -> bool:
    """False only when `pattern` (with `flags`) cannot match anywhere in `text`."""
    needs = _needs(pattern, flags)
    if needs is None:
        return True
    case_insensitive, groups = needs
    if case_insensitive:
        if not text.isascii():
            return True  # Unicode case folding ("ſ" matches "s"): no claim
        text = text.lower()
    for group in groups:  # plain loops: this runs a hundred times per question
        for word in group:
            if word in text:
                break
        else:
            return False
    return True


def keep_in(folder: Path | str | None) -> None:
    """Keep what patterns need in `folder` (read on first use, written by `save`)."""
    path = Path(folder) / "regex-needs.json" if folder is not None else None
    if path != _state["path"]:
        _state.update(path=path, loaded=False)


def save() -> None:
    """Write what was learned since the file was read (atomically; a failure only costs speed)."""
    path = _state["path"]
    if path is None or not _state["dirty"]:
        return
    _state["dirty"] = False
    stored = dict(list(_stored.items())[-_MAX_KEPT:])
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        temporary.write_text(json.dumps({"version": _FILE_VERSION, "needs": stored}), encoding="utf-8")
        os.replace(temporary, path)
    except OSError:
        pass


def _needs(pattern: str, flags: int) -> Needs:
    key = (pattern, flags)
    try:
        return _known[key]
    except KeyError:
        pass
    if not _state["loaded"]:
        _load()
    digest = hashlib.blake2b(f"{flags}:{pattern}".encode(), digest_size=12).hexdigest()
    if digest in _stored:
        found = _stored[digest]
        needs = None if found is None else (bool(found[0]), tuple(tuple(group) for group in found[1]))
    else:
        needs = analyse(pattern, flags)
        _stored[digest] = None if needs is None else [needs[0], [list(group) for group in needs[1]]]
        _state["dirty"] = _state["path"] is not None
    _known[key] = needs
    return needs


def _load() -> None:
    _state["loaded"] = True
    path = _state["path"]
    if path is None:
        return
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    if isinstance(data, dict) and data.get("version") == _FILE_VERSION and isinstance(data.get("needs"), dict):
        _stored.update(data["needs"])


def analyse(pattern: str, flags: int = 0) -> Needs:
    """What every match of `pattern` contains (see `Needs`), or None when nothing can be said."""
    if _sre_parse is None:
        return None
    try:
        parsed = _sre_parse.parse(pattern, flags)
    except (re.error, RecursionError):
        return None
    found = _Found()
    case_insensitive = bool(parsed.state.flags & re.IGNORECASE)
    groups = _sequence(list(parsed), case_insensitive, found)
    if found.case_insensitive:  # the text is compared lower-cased: so is every string
        groups = [tuple(word.lower() for word in group) for group in groups]
    groups = [group for group in dict.fromkeys(groups) if group]
    if not groups:
        return None
    return found.case_insensitive, tuple(groups)


class _Found:
    """Whether any literal kept was read case-insensitively (then the text is compared lower-cased)."""

    case_insensitive = False


def _sequence(items: list, case_insensitive: bool, found: _Found) -> list[tuple[str, ...]]:
    """Every group of strings one of which each match of the concatenation `items` contains: runs
    of adjacent literals, and what each nested part needs."""
    groups: list[tuple[str, ...]] = []
    run: list[str] = []

    def end_run() -> None:
        if run:
            groups.append(("".join(run),))
            run.clear()

    for op, av in items:
        if op is _sre.LITERAL:
            char = chr(av)
            if case_insensitive:
                if not char.isascii():
                    end_run()
                    continue
                char = char.lower()
                found.case_insensitive = True
            run.append(char)
        elif op is _sre.AT:
            continue  # \b, ^, $: zero-width, the literals around it are still adjacent
        else:
            end_run()
            best = _part(op, av, case_insensitive, found)
            if best is not None:
                groups.append(best)
    end_run()
    return groups


def _part(op, av, case_insensitive: bool, found: _Found) -> tuple[str, ...] | None:
    """One group of strings every match of this part contains, or None."""
    if op is _sre.SUBPATTERN:
        _group, add_flags, del_flags, inner = av
        if add_flags & re.IGNORECASE:
            case_insensitive = True
        if del_flags & re.IGNORECASE:
            case_insensitive = False
        return _best(_sequence(list(inner), case_insensitive, found))
    if op is _sre.ATOMIC_GROUP:
        return _best(_sequence(list(av), case_insensitive, found))
    if op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT, _sre.POSSESSIVE_REPEAT):
        low, _high, inner = av
        return _best(_sequence(list(inner), case_insensitive, found)) if low >= 1 else None
    if op is _sre.BRANCH:
        words: list[str] = []
        for alternative in av[1]:
            best = _best(_sequence(list(alternative), case_insensitive, found))
            if best is None:
                return None  # an alternative that needs nothing: the whole branch needs nothing
            words.extend(best)
        return tuple(dict.fromkeys(words))
    return None  # classes, any character, look-arounds, back-references: no claim


def _best(groups: list[tuple[str, ...]]) -> tuple[str, ...] | None:
    """The most telling group: longest shortest string, then fewest strings."""
    groups = [group for group in groups if group and all(group)]
    if not groups:
        return None
    return max(groups, key=lambda group: (min(len(word) for word in group), -len(group)))


class Gated:
    """A module-level pattern compiled on its first possible match: `search`, `match`,
    `fullmatch`, `finditer`, `findall` and `sub` answer at once (no match) when the text lacks the
    words every match needs, as `re` would."""

    __slots__ = ("pattern", "flags", "_compiled")

    def __init__(self, pattern: str, flags: int = 0):
        self.pattern, self.flags = pattern, flags
        self._compiled: re.Pattern[str] | None = None

    def compiled(self) -> re.Pattern[str]:
        if self._compiled is None:
            self._compiled = re.compile(self.pattern, self.flags)
        return self._compiled

    def search(self, text: str, *span: int) -> re.Match[str] | None:
        return self.compiled().search(text, *span) if could_match(self.pattern, text, self.flags) else None

    def match(self, text: str, *span: int) -> re.Match[str] | None:
        return self.compiled().match(text, *span) if could_match(self.pattern, text, self.flags) else None

    def fullmatch(self, text: str, *span: int) -> re.Match[str] | None:
        return self.compiled().fullmatch(text, *span) if could_match(self.pattern, text, self.flags) else None

    def finditer(self, text: str, *span: int):
        return self.compiled().finditer(text, *span) if could_match(self.pattern, text, self.flags) else iter(())

    def findall(self, text: str, *span: int) -> list:
        return self.compiled().findall(text, *span) if could_match(self.pattern, text, self.flags) else []

    def sub(self, replacement, text: str, count: int = 0) -> str:
        return self.compiled().sub(replacement, text, count) if could_match(self.pattern, text, self.flags) else text

    @property
    def groupindex(self):
        return self.compiled().groupindex

    def __repr__(self) -> str:
        return f"Gated({self.pattern!r})"
