"""The rights record of generated audio: ``TITLE.rights.toml`` saying what generated each element.

Every element named is ``origin = "ai"``, made by the generation's ``service``; no writer is
claimed (the human chose the brief or the prompt, which the record keeps in ``prompts``). The
record names the audio file beside it and its SHA-256.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path


def title_slug(title: str) -> str:
    """A file-name-safe form of the title (ASCII letters, digits, dashes)."""
    slug = "".join(c if c.isascii() and c.isalnum() else "-" for c in title).strip("-")
    return "-".join(filter(None, slug.split("-"))) or "bed"


def write_record(folder: Path, audio_path: Path, *, title: str, generation: dict, made: dict[str, str]) -> Path:
    """Write ``folder/<slug of title>.rights.toml`` and return its path.

    ``generation``: the record's ``[generation]`` fields (``service``, ``model``, ``plan``,
    ``terms_version``, ``job_id``, ``prompts``; ``date`` is today); ``made``: element (melody,
    harmony, arrangement, instruments, mix, master...) -> what generated it.
    """
    from ..digest import file_sha256
    from ..outputs import write_text
    from ..rights.record import Record, dumps

    today = dt.date.today()
    record = Record.model_validate({
        "schema_version": 1,
        "work": {"title": title},
        "generation": {"date": today, **generation},
        "contributions": [{"element": element, "origin": "ai", "who": generation["service"], "description": text}
                          for element, text in made.items()],
        "audio": {"path": audio_path.name, "sha256": file_sha256(audio_path), "date": today},
    })
    path = folder / f"{title_slug(title)}.rights.toml"
    write_text(path, dumps(record))
    return path
