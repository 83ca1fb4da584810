"""The catalog's tables (SQLAlchemy 2 declarative models).

Conventions
-----------
- A :class:`Track` is one song; its :class:`Version` rows are the mixes and edits of it
  ("Main", "Main Inst", "Com 30"...); each version has one or more :class:`File` rows.
  ``Track.main_file_id`` names the file the track is searched and ranked by (the first file
  added, or the delivery's main master).
- A file's :class:`Analysis` holds the searchable facts (seconds, BPM, LUFS) and the
  section labels as one space-padded string (``" intro verse chorus "``) so that "has a
  chorus" is an indexed-free ``LIKE '% chorus %'`` on one column.
- :class:`Check` is one file's verdict against one delivery profile (``pass``, ``warn`` or
  ``fail``) with its counts and effort (see :mod:`.store`); its :class:`Finding` rows are the
  checks that did not pass.
- :class:`Party` is a person or company; :class:`Right` gives a party a ``role`` (writer,
  publisher, master_owner) and a share in percent of a track; :class:`ReleasePath` is whether
  the track is ready for a release path (demo, content, streaming, sync) per the rights advice.
- ``Track.vocal``: True (vocal), False (instrumental) or None (not known): from the rights
  record's vocal contributions or an instrumental version name, never guessed from audio.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, DateTime, Float, ForeignKey, Integer, LargeBinary, String, Text, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    """Declarative base of every catalog table."""


class Track(Base):
    __tablename__ = "tracks"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(300), index=True)
    notes: Mapped[str] = mapped_column(Text, default="")
    vocal: Mapped[bool | None] = mapped_column(Boolean, index=True)
    main_file_id: Mapped[int | None] = mapped_column(ForeignKey("files.id", name="fk_tracks_main_file_id_files", use_alter=True, ondelete="SET NULL"), index=True)
    added_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    versions: Mapped[list[Version]] = relationship(back_populates="track", cascade="all, delete-orphan")
    rights: Mapped[list[Right]] = relationship(back_populates="track", cascade="all, delete-orphan")
    release_paths: Mapped[list[ReleasePath]] = relationship(back_populates="track", cascade="all, delete-orphan")
    main_file: Mapped[File | None] = relationship(foreign_keys=[main_file_id], post_update=True)


class Version(Base):
    __tablename__ = "versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    track_id: Mapped[int] = mapped_column(ForeignKey("tracks.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))

    track: Mapped[Track] = relationship(back_populates="versions")
    files: Mapped[list[File]] = relationship(back_populates="version", cascade="all, delete-orphan")


class File(Base):
    __tablename__ = "files"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("versions.id", ondelete="CASCADE"), index=True)
    path: Mapped[str] = mapped_column(String(1000), unique=True)
    kind: Mapped[str] = mapped_column(String(20), default="master")
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    fingerprint: Mapped[bytes | None] = mapped_column(LargeBinary)
    fingerprint_kind: Mapped[str | None] = mapped_column(String(20))
    sound: Mapped[bytes | None] = mapped_column(LargeBinary)

    version: Mapped[Version] = relationship(back_populates="files")
    analysis: Mapped[Analysis | None] = relationship(back_populates="file", cascade="all, delete-orphan")
    checks: Mapped[list[Check]] = relationship(back_populates="file", cascade="all, delete-orphan")


class Analysis(Base):
    __tablename__ = "analyses"

    id: Mapped[int] = mapped_column(primary_key=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("files.id", ondelete="CASCADE"), unique=True)
    analysis_version: Mapped[str] = mapped_column(String(10))
    duration_s: Mapped[float] = mapped_column(Float, index=True)
    sample_rate: Mapped[int] = mapped_column(Integer)
    channels: Mapped[int] = mapped_column(Integer)
    container: Mapped[str] = mapped_column(String(20))
    tempo_bpm: Mapped[float | None] = mapped_column(Float, index=True)
    key: Mapped[str | None] = mapped_column(String(20), index=True)
    meter: Mapped[int | None] = mapped_column(Integer)
    sections: Mapped[str] = mapped_column(String(500), default=" ")
    ending: Mapped[str | None] = mapped_column(String(20))
    integrated_lufs: Mapped[float | None] = mapped_column(Float)
    true_peak_dbtp: Mapped[float | None] = mapped_column(Float)

    file: Mapped[File] = relationship(back_populates="analysis")


class Check(Base):
    __tablename__ = "checks"

    id: Mapped[int] = mapped_column(primary_key=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("files.id", ondelete="CASCADE"), index=True)
    profile: Mapped[str] = mapped_column(String(60))
    verdict: Mapped[str] = mapped_column(String(10))
    fails: Mapped[int] = mapped_column(Integer)
    warns: Mapped[int] = mapped_column(Integer)
    effort: Mapped[int] = mapped_column(Integer)

    file: Mapped[File] = relationship(back_populates="checks")
    findings: Mapped[list[Finding]] = relationship(back_populates="check_run", cascade="all, delete-orphan")


class Finding(Base):
    __tablename__ = "findings"

    id: Mapped[int] = mapped_column(primary_key=True)
    check_id: Mapped[int] = mapped_column(ForeignKey("checks.id", ondelete="CASCADE"), index=True)
    check: Mapped[str] = mapped_column(String(60))
    severity: Mapped[str] = mapped_column(String(10))
    message: Mapped[str] = mapped_column(Text)
    fix: Mapped[str | None] = mapped_column(Text)

    check_run: Mapped[Check] = relationship(back_populates="findings")


class Party(Base):
    __tablename__ = "parties"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(300), unique=True)
    ipi: Mapped[str | None] = mapped_column(String(20))
    pro: Mapped[str | None] = mapped_column(String(40))


class Right(Base):
    __tablename__ = "rights"

    id: Mapped[int] = mapped_column(primary_key=True)
    track_id: Mapped[int] = mapped_column(ForeignKey("tracks.id", ondelete="CASCADE"), index=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("parties.id"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    share: Mapped[float] = mapped_column(Float)

    track: Mapped[Track] = relationship(back_populates="rights")
    party: Mapped[Party] = relationship()


class ReleasePath(Base):
    __tablename__ = "release_paths"

    id: Mapped[int] = mapped_column(primary_key=True)
    track_id: Mapped[int] = mapped_column(ForeignKey("tracks.id", ondelete="CASCADE"), index=True)
    path: Mapped[str] = mapped_column(String(20))
    ready: Mapped[bool] = mapped_column(Boolean)

    track: Mapped[Track] = relationship(back_populates="release_paths")
