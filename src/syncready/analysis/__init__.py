"""Measure a track once: loudness, levels, spectrum, stereo image and the music.

Technical meters run in a single streaming pass; the same pass folds the track to mono at a
reduced rate for the musical analysis (:mod:`syncready.analysis.music`), which runs at the end.

:func:`analyze` streams the file block by block through every meter (a 60-minute file
never sits in memory whole), and caches the :class:`Analysis` by the file's SHA-256 (see
:mod:`syncready.cache`). :func:`analyze_audio` does the same for an in-memory
:class:`~syncready.audio.Audio`. Each meter has ``process(block)`` and ``result()``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import audio, cache
from ..audio import Audio, SourceInfo
from .frames import frame_length
from .levels import Levels, LevelsMeter
from .loudness import Loudness, LoudnessMeter
from .music import Downmix, Music, analyze_music
from .spectrum import Spectrum, SpectrumMeter
from .stereo import Stereo, StereoMeter

ANALYSIS_VERSION = "5"
BLOCK_FRAMES = 1024  # analysis frames per streamed block (about 10 s)


@dataclass
class Analysis:
    """Everything measured about one file; plain data, JSON round-trippable."""

    version: str
    source: SourceInfo
    loudness: Loudness
    levels: Levels
    spectrum: Spectrum
    stereo: Stereo | None
    music: Music


def analyze(path: str | Path, *, use_cache: bool = True) -> Analysis:
    """Analyse the audio file at ``path`` (cached by content hash unless ``use_cache`` is False).

    Raises
    ------
    syncready.errors.BadInputError
        The file cannot be read as audio (see :func:`syncready.audio.probe`).
    """
    info = audio.probe(path)
    key = f"analysis-{info.sha256}-v{ANALYSIS_VERSION}"
    if use_cache:
        hit = cache.load(key, Analysis)
        if hit is not None and hit.version == ANALYSIS_VERSION:
            return dataclasses.replace(hit, source=info)
    block = frame_length(info.sample_rate) * BLOCK_FRAMES
    result = _measure(audio.blocks(path, block_frames=block, info=info), info)
    if use_cache:
        cache.store(key, result)
    return result


def analyze_audio(sound: Audio) -> Analysis:
    """Analyse an in-memory :class:`~syncready.audio.Audio` (never cached)."""
    info = sound.source or SourceInfo(
        path=None, container="memory", codec="FLOAT", sample_rate=sound.sample_rate,
        channels=sound.channels, frames=sound.frames, bit_depth=32, lossy=False, sha256="",
    )
    step = frame_length(sound.sample_rate) * BLOCK_FRAMES
    chunks = (sound.samples[:, i : i + step] for i in range(0, sound.frames, step))
    return _measure(chunks, info)


def _measure(blocks: Iterable[np.ndarray], info: SourceInfo) -> Analysis:
    """Run every meter over ``blocks`` in one pass."""
    args = (info.sample_rate, info.channels, info.frames)
    loudness = LoudnessMeter(info.sample_rate, info.channels)
    levels = LevelsMeter(*args)
    spectrum = SpectrumMeter(*args)
    stereo = StereoMeter(*args) if info.channels >= 2 else None
    downmix = Downmix(*args)
    meters = [m for m in (loudness, levels, spectrum, stereo, downmix) if m is not None]
    for block in blocks:
        for meter in meters:
            meter.process(block)
    level_facts = levels.result()
    return Analysis(
        version=ANALYSIS_VERSION,
        source=info,
        loudness=loudness.result(),
        levels=level_facts,
        spectrum=spectrum.result(),
        stereo=stereo.result() if stereo else None,
        music=analyze_music(downmix.result(), downmix.rate, level_facts, info.duration_s),
    )
