"""Stem roles: what each stem file is, from its name or a small mapping file.

Conventions
-----------
- The roles are :data:`ROLES`. ``vocals`` is the lead vocal (a 4-stem separation's whole
  vocal), ``backing_vocals`` the rest of the singing, ``lead`` a lead or hook instrument (the
  melody when nobody sings), ``harmony`` chords and pads (keys, guitars, strings, synths),
  ``residual`` what makes a set null against its mix.
- A name is matched on its stem (file name without suffix), lower-cased, with separators
  (``_ - . space``) and digit runs as word breaks, against :data:`PATTERNS` in order: the
  first role whose pattern matches wins ("bass drum" is drums, "backing vox" backing vocals).
- A mapping file is TOML: ``[roles]`` with file names (or their stems) as keys and roles as
  values; it wins over names. A name that nothing matches is never guessed: :func:`assign`
  raises and names every unknown file, so the caller can ask the user.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from pathlib import Path

from ..errors import UsageError

ROLES = ("vocals", "backing_vocals", "drums", "percussion", "bass", "lead", "harmony", "fx", "other", "residual")

PATTERNS: tuple[tuple[str, str], ...] = (
    ("residual", r"residual|remainder|leftover"),
    ("backing_vocals", r"backing|bgv|bvs?|backs|choir|harmon(y|ies) ?(vocals?|vox)|(vocals?|vox) ?harmon(y|ies)|doubles?|adlibs?"),
    ("drums", r"drums?|kit|kick|snare|hi ?hats?|hats|cymbals?|toms?|overheads?|beat|bass ?drum|breaks?"),
    ("percussion", r"perc(ussion)?|shakers?|congas?|bongos?|tamb(ourine)?|claps?"),
    ("vocals", r"(lead ?)?(vocals?|vox|voc|voice|vocal ?lead|singer|sung|lyrics?|acapella|a ?cappella)"),
    ("bass", r"bass(line)?|sub ?bass|808s?|sub"),
    ("lead", r"lead|melody|hook|topline|solo|whistle|flute"),
    ("harmony", r"keys?|piano|rhodes|organ|guitars?|gtrs?|pads?|strings?|synths?|chords?|brass|horns?|harmony|arp|plucks?|bells?|orchestra"),
    ("fx", r"s?fx|effects?|risers?|impacts?|sweeps?|atmos(phere)?|ambien(ce|t)|noise"),
    ("other", r"other|accompaniment|instrumental|music|rest"),
)
_COMPILED = tuple((role, re.compile(rf"(^| )({pattern})( |$)")) for role, pattern in PATTERNS)


def words(path: str | Path) -> str:
    """The stem of ``path`` as lower-case words separated by single spaces (digit runs are words)."""
    text = re.sub(r"(\d+)", r" \1 ", Path(path).stem.lower())
    return " ".join(re.split(r"[\s_\-.()\[\]]+", text)).strip()


def from_name(path: str | Path) -> str | None:
    """The role a file name says, or None."""
    text = words(path)
    for role, pattern in _COMPILED:
        if pattern.search(text):
            return role
    return None


def read_mapping(path: str | Path) -> dict[str, str]:
    """The ``[roles]`` table of a mapping file, validated.

    Raises
    ------
    UsageError
        Unreadable file, bad TOML, no ``[roles]`` table, or an unknown role.
    """
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(f"{path}: cannot read the roles file ({exc.strerror})") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: not valid TOML: {exc}") from None
    table = data.get("roles")
    if not isinstance(table, dict):
        raise UsageError(f'{path}: needs a [roles] table, e.g. [roles] "track 3.wav" = "bass"')
    for name, role in table.items():
        if role not in ROLES:
            raise UsageError(f"{path}: {name!r} has unknown role {role!r}; roles are {', '.join(ROLES)}")
    return dict(table)


def assign(paths: Sequence[str | Path], mapping: dict[str, str] | None = None) -> dict[Path, str]:
    """The role of every stem file: the mapping first (by file name or stem), then the name.

    Raises
    ------
    UsageError
        Naming every file whose role is unknown, and how to say it.
    """
    mapping = mapping or {}
    roles: dict[Path, str] = {}
    unknown = []
    for p in map(Path, paths):
        role = mapping.get(p.name) or mapping.get(p.stem) or from_name(p)
        if role is None:
            unknown.append(p.name)
        else:
            roles[p] = role
    if unknown:
        raise UsageError(
            f"cannot tell the role of {', '.join(unknown)}: rename them (e.g. bass.wav, lead-vocal.wav) "
            f'or map them in a roles file, --roles roles.toml with [roles] "{unknown[0]}" = "harmony" '
            f"(roles: {', '.join(ROLES)})")
    return roles
