"""File names of a delivery: templates, version names and ASCII-safe folding.

A :class:`Naming` turns (title, version, bpm) into a file stem. Its ``pattern`` is a Python
format string over ``{title}``, ``{version}`` and ``{bpm}``; ``version`` is the library's name
for the asset (``"Main"``, ``"Main Inst"``, ``"Com 30"``, ``"Loop 8 Bars"``...), looked up in
``versions`` by the asset's key (``main``, ``instrumental``, ``cut30``, ``loop8``, ``sting``; a
key not in the table is title-cased). With ``bpm`` on and a tempo known, ``" {bpm}BPM"`` is
added after the version (patterns that name ``{bpm}`` place it themselves).

Every name is folded to ASCII (diacritics dropped: "Café" -> "Cafe") and cleared of characters
that break on Windows (``<>:"/\\|?*`` and control characters become ``-``; trailing dots and
spaces go; reserved device names such as ``CON`` get a ``_``). User templates are TOML files::

    pattern = "{title}_{version}"
    bpm = true
    [versions]
    main = "Full"
    cut30 = "30s"
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..errors import UsageError

VERSION_NAMES = {
    "main": "Main",
    "instrumental": "Main Inst",
    "instrumental_dsp": "Main Inst (DSP)",
    "acappella": "A Cappella",
    "underscore": "Underscore",
    "no_drums": "No Drums",
    "bass_drums": "Bass and Drums",
    "tv_mix": "TV Mix",
    "no_bass": "No Bass",
    "sting": "Sting",
}
WINDOWS_BAD = re.compile(r'[<>:"/\\|?*\x00-\x1f]')
RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}


@dataclass(frozen=True)
class Naming:
    """A naming convention: ``pattern`` over title/version/bpm, the version names, BPM on/off."""

    pattern: str = "{title}-{version}"
    versions: dict[str, str] = field(default_factory=lambda: dict(VERSION_NAMES))
    bpm: bool = False

    def version(self, key: str) -> str:
        """The library's name of asset ``key`` (``cut30`` -> "Com 30", ``loop8`` -> "Loop 8 Bars")."""
        if key in self.versions:
            return self.versions[key]
        if m := re.fullmatch(r"cut(\d+(?:\.\d+)?)", key):
            return f"Com {m.group(1)}"
        if m := re.fullmatch(r"loop(\d+)", key):
            return f"Loop {m.group(1)} Bars"
        return key.replace("_", " ").title()

    def stem(self, title: str, key: str, bpm: float | None = None) -> str:
        """The ASCII-safe file stem of asset ``key`` of the song ``title``."""
        tempo = "" if bpm is None else f"{round(bpm)}"
        version = self.version(key)
        if self.bpm and tempo and "{bpm}" not in self.pattern:
            version = f"{version} {tempo}BPM"
        try:
            name = self.pattern.format(title=title, version=version, bpm=tempo)
        except (KeyError, IndexError, ValueError) as exc:
            raise UsageError(f"naming pattern {self.pattern!r}: {exc}; use {{title}}, {{version}} and {{bpm}}") from None
        return safe_name(name)


BUILTINS = {
    "default": Naming(),
    "underscore": Naming("{title}_{version}"),
    "bpm": Naming(bpm=True),
    "compact": Naming("{title}-{version}", versions={**VERSION_NAMES, "instrumental": "Inst",
                                                                  "instrumental_dsp": "Inst (DSP)", "acappella": "Acap"}),
}


def safe_name(text: str) -> str:
    """``text`` folded to ASCII and safe as a file name on Windows, macOS and Linux."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    cleaned = WINDOWS_BAD.sub("-", folded)
    cleaned = re.sub(r"\s+", " ", cleaned).strip().rstrip(". ")
    if not cleaned:
        return "untitled"
    if cleaned.split(".")[0].upper() in RESERVED:
        cleaned = f"_{cleaned}"
    return cleaned


def load(spec: str | Path | None, *, bpm: bool | None = None) -> Naming:
    """A built-in naming by name (:data:`BUILTINS`) or a user TOML template; ``bpm`` overrides.

    Raises
    ------
    UsageError
        An unknown name, an unreadable or malformed TOML file.
    """
    spec = "default" if spec is None else str(spec)
    if spec in BUILTINS:
        naming = BUILTINS[spec]
    elif spec.endswith(".toml"):
        naming = _from_toml(Path(spec))
    else:
        raise UsageError(f"unknown naming {spec!r}; choose one of {', '.join(BUILTINS)} or give a .toml file")
    return naming if bpm is None else replace(naming, bpm=bpm)


def _from_toml(path: Path) -> Naming:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(f"{path}: cannot read the naming template ({exc.strerror})") from None
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{path}: not valid TOML ({exc})") from None
    unknown = set(data) - {"pattern", "versions", "bpm"}
    if unknown or not isinstance(data.get("pattern", ""), str) or not isinstance(data.get("versions", {}), dict):
        raise UsageError(f"{path}: a naming template has pattern (text), bpm (true/false) and [versions]")
    return Naming(data.get("pattern", Naming.pattern), {**VERSION_NAMES, **data.get("versions", {})}, bool(data.get("bpm", False)))
