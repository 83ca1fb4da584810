"""Delivery profiles: the targets and tolerances a track is checked against.

A profile is a TOML file. The shipped ones live in ``syncready/checks/profiles``; a user
file may start with ``extends = "NAME"`` to inherit a shipped profile and override only
some keys. Every key is optional except where :class:`Profile` has no default. Units are
in the key names (``_lufs``, ``_lu``, ``_dbtp``, ``_dbfs``, ``_db``, ``_s``, ``_hz``).
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from ..errors import UsageError


@dataclass(frozen=True)
class Delivery:
    """The file a library wants: container, rate, depth; ``mastered`` False for premasters."""

    container: str = "WAV"
    sample_rate: int = 48000
    bit_depth: int = 24
    lossless: bool = True
    mastered: bool = True


@dataclass(frozen=True)
class LoudnessTargets:
    """Loudness targets (BS.1770-4); None disables the matching check."""

    integrated_lufs: float | None = None
    integrated_tolerance_lu: float = 1.0
    true_peak_max_dbtp: float | None = -1.0
    loud_true_peak_max_dbtp: float | None = None  # stricter ceiling when louder than the target
    max_short_term_lufs: float | None = None
    max_momentary_lufs: float | None = None
    sample_peak_min_dbfs: float | None = None  # premaster headroom window
    sample_peak_max_dbfs: float | None = None
    lra_max_lu: float | None = None


@dataclass(frozen=True)
class SignalLimits:
    """Limits for the technical checks."""

    head_max_s: float = 0.1
    tail_silence_max_s: float = 10.0
    end_level_max_db: float = -20.0
    clip_events_max: int = 0
    dc_offset_max_dbfs: float = -40.0
    dropouts_max: int = 0
    min_bandwidth_hz: float = 18000.0
    correlation_min: float = 0.0
    window_correlation_min: float = -0.5
    mono_drop_max_db: float = 3.0
    balance_max_db: float = 1.5
    level_jump_max_lu: float = 12.0
    level_jump_window_s: float = 3.0
    noise_floor_max_dbfs: float = -60.0
    min_duration_s: float = 0.4


@dataclass(frozen=True)
class MusicLimits:
    """Limits for the musical checks; severities are "fail", "warn" or "info"."""

    lead_in_max_beats: float = 4.0
    abrupt_ending: str = "fail"
    fade_ending: str = "warn"
    section_max_s: float = 60.0
    loop_bars: int = 8
    loop_min_score: float = 0.75
    group_level_spread_max_db: float = 4.0
    speech_share_max: float = 0.6


@dataclass(frozen=True)
class StemLimits:
    """What ``check --stems`` and ``stems check`` ask of a stem set; severities as in music."""

    required: str = "info"  # severity when a delivery comes without stems
    null_max_db: float = -60.0  # residual of mix - sum(stems) re the mix: passes at or below
    null_fail_db: float = -30.0  # fails above; warns in between
    offset_max_ms: float = 0.5
    instrumental: str = "info"  # severity when a vocal track has no instrumental version


@dataclass(frozen=True)
class Profile:
    """A named delivery profile."""

    name: str
    description: str = ""
    delivery: Delivery = field(default_factory=Delivery)
    loudness: LoudnessTargets = field(default_factory=LoudnessTargets)
    signal: SignalLimits = field(default_factory=SignalLimits)
    music: MusicLimits = field(default_factory=MusicLimits)
    stems: StemLimits = field(default_factory=StemLimits)
    source: str = ""


DEFAULT_PROFILE = "sync-library"
SEVERITIES = ("fail", "warn", "info")
SAMPLE_RATES = (8000, 384000)  # the delivery rates accepted, Hz (inclusive)
BIT_DEPTHS = (16, 24, 32)
SIGNED_KEYS = ("_lufs", "_dbtp", "_dbfs", "_db", "correlation_min")  # levels and correlations may be negative
_SECTIONS = {"delivery": Delivery, "loudness": LoudnessTargets, "signal": SignalLimits, "music": MusicLimits,
             "stems": StemLimits}


def available() -> list[str]:
    """Names of the shipped profiles, sorted."""
    folder = resources.files("syncready.checks") / "profiles"
    return sorted(p.name.removesuffix(".toml") for p in folder.iterdir() if p.name.endswith(".toml"))


def load(name_or_path: str | Path = DEFAULT_PROFILE) -> Profile:
    """Load a shipped profile by name or a user profile from a ``.toml`` path.

    Raises
    ------
    UsageError
        Unknown name, unreadable file, invalid TOML, unknown keys or wrong value types.
    """
    data, source = _read(name_or_path)
    return _build(data, source)


def _read(name_or_path: str | Path, seen: tuple[str, ...] = ()) -> tuple[dict, str]:
    text_name = str(name_or_path)
    if text_name.endswith(".toml") or Path(text_name).is_file():
        path = Path(text_name)
        try:
            data = tomllib.loads(path.read_text())
        except OSError as exc:
            raise UsageError(f"{path}: cannot read profile ({exc.strerror or exc})") from None
        except UnicodeDecodeError:
            raise UsageError(f"{path}: not a TOML profile (not UTF-8 text)") from None
        except tomllib.TOMLDecodeError as exc:
            raise UsageError(f"{path}: not a valid TOML profile ({exc})") from None
        data.setdefault("name", path.stem)
        source = str(path)
    else:
        if text_name not in available():
            raise UsageError(f"unknown profile {text_name!r}; choose one of {', '.join(available())} or give a .toml path")
        resource = resources.files("syncready.checks") / "profiles" / f"{text_name}.toml"
        data = tomllib.loads(resource.read_text())
        data.setdefault("name", text_name)
        source = text_name
    parent = data.pop("extends", None)
    if parent is not None:
        if parent in seen:
            raise UsageError(f"{source}: profile inheritance loops through {parent!r}")
        base, _ = _read(parent, seen + (source,))
        data = _merge(base, data)
    return data, source


def _merge(base: dict, override: dict) -> dict:
    merged = dict(base)
    for key, value in override.items():
        merged[key] = _merge(base[key], value) if isinstance(value, dict) and isinstance(base.get(key), dict) else value
    return merged


def _build(data: dict, source: str) -> Profile:
    kwargs: dict = {"source": source}
    for key, value in data.items():
        if key in _SECTIONS:
            kwargs[key] = _section(_SECTIONS[key], value, f"{source} [{key}]")
        elif key in ("name", "description"):
            kwargs[key] = str(value)
        else:
            raise UsageError(f"{source}: unknown profile key {key!r}")
    return Profile(**kwargs)


def _section(cls: type, values: dict, where: str):
    """Build one profile section, checking each key exists, has its default's kind and a
    usable value (:func:`_usable`)."""
    if not isinstance(values, dict):
        raise UsageError(f"{where}: expected a table")
    defaults = cls()
    for key, value in values.items():
        if not hasattr(defaults, key):
            raise UsageError(f"{where}: unknown key {key!r}")
        problem = _usable(key, value, getattr(defaults, key))
        if problem:
            raise UsageError(f"{where}: {key} = {value!r}: {problem}")
    return cls(**values)


def _usable(key: str, value, default) -> str | None:
    """Why ``value`` cannot stand for ``key`` (whose default is ``default``), or None.

    Kinds follow the default (a None default takes a number); numbers are finite, whole where
    the default is an int, and not negative unless the key is a level or a correlation
    (:data:`SIGNED_KEYS`); severities are one of :data:`SEVERITIES`; the delivery rate and depth
    are ones a file can have.
    """
    if isinstance(default, (bool, str)):
        if not isinstance(value, type(default)):
            return f"expected {'true or false' if isinstance(default, bool) else 'a string'}"
        if default in SEVERITIES and value not in SEVERITIES:
            return f"expected one of {', '.join(SEVERITIES)}"
        return None if isinstance(value, bool) or value.strip() else "expected a non-empty string"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return "expected a number"
    if not math.isfinite(value):
        return "expected a finite number"
    if isinstance(default, int) and value != int(value):
        return "expected a whole number"
    if key == "sample_rate" and not SAMPLE_RATES[0] <= value <= SAMPLE_RATES[1]:
        return f"expected a rate from {SAMPLE_RATES[0]} to {SAMPLE_RATES[1]} Hz"
    if key == "bit_depth" and value not in BIT_DEPTHS:
        return f"expected one of {', '.join(map(str, BIT_DEPTHS))}"
    if value < 0 and not key.endswith(SIGNED_KEYS):
        return "expected zero or more"
    return None
