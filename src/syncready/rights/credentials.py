"""C2PA content credentials: sign a track's provenance into the file, and read it back.

Needs the ``c2pa`` extra (``pip install 'syncready[c2pa]'``: c2pa-python, the c2pa-rs library,
and cryptography); it is imported only when :func:`sign` or :func:`verify` runs.

What :func:`sign` writes (:func:`manifest` builds it from the rights record)
------------------------------------------------------------------------
* Claim generator ``syncready`` with the package version; the title is the work's title.
* A ``c2pa.actions`` assertion: ``c2pa.created`` by the generation service (``softwareAgent``:
  service and model) with an IPTC ``digitalSourceType``: ``trainedAlgorithmicMedia`` when every
  recorded contribution is ``"ai"`` (or none is recorded but a generation is),
  ``compositeWithTrainedAlgorithmicMedia`` when some AI is involved among human work,
  ``digitalCreation`` when the record names no AI at all; its description is the record's
  disclosure line. Then ``c2pa.edited`` by syncready.
* A ``stds.schema-org.CreativeWork`` assertion: a schema.org ``MusicRecording`` (name, artist,
  ISRC of the version, copyright holders and notice, release date, AI disclosure) of a
  ``MusicComposition`` (ISWC, composers, lyricists, publishers).

Conventions
-----------
* Sign last: the manifest hashes the whole file but itself, so any later change (re-tagging
  included) makes :func:`verify` report ``assertion.dataHash.mismatch`` and ``valid`` False.
* The certificate chain is PEM: the signing (end-entity) certificate first, then its
  intermediates. The key is an unencrypted PEM private key; its type sets the algorithm
  (EC P-256/P-384/P-521: ES256/ES384/ES512, RSA: PS256, Ed25519). C2PA wants the end-entity
  certificate to carry the digitalSignature key usage and an extended key usage such as
  emailProtection or documentSigning, and to be issued by a CA (not self-signed).
* No trust list is configured, so a signature from a self-signed or private CA verifies as
  ``valid`` but not ``trusted`` (code ``signingCredential.untrusted``): other C2PA readers
  will show it as untrusted too.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from .. import __version__, audio
from ..errors import ContractError, UsageError
from ..outputs import atomic_path
from .tags import fields_from_record

if TYPE_CHECKING:
    from .record import Record

__all__ = ["FORMATS", "SOURCE_TYPES", "manifest", "sign", "verify"]

FORMATS = {"WAV": "audio/wav", "MP3": "audio/mpeg", "FLAC": "audio/flac"}
"""Containers (as :func:`syncready.audio.probe` names them) signed and read, with their MIME type."""

_IPTC = "http://cv.iptc.org/newscodes/digitalsourcetype/"
SOURCE_TYPES = {
    "ai": _IPTC + "trainedAlgorithmicMedia",
    "composite": _IPTC + "compositeWithTrainedAlgorithmicMedia",
    "human": _IPTC + "digitalCreation",
}
"""IPTC digital source types used for ``c2pa.created``, by how much of the track AI made."""

_EXTRA = "content credentials need the c2pa extra: pip install 'syncready[c2pa]'"


def manifest(record: Record, version: str = "main") -> dict:
    """The C2PA manifest definition :func:`sign` embeds (see the module notes).

    Parameters
    ----------
    record : syncready.rights.record.Record
        The rights record.
    version : str
        The recording version whose ISRC goes into the CreativeWork assertion.

    Returns
    -------
    dict
        A c2pa-rs ManifestDefinition (JSON-able).
    """
    fields = fields_from_record(record, version)
    generation = record.generation
    origins = [c.origin for c in record.contributions]
    if all(o == "ai" for o in origins) and (origins or generation is not None):
        source = SOURCE_TYPES["ai"]
    elif generation is not None or any(o != "human" for o in origins):
        source = SOURCE_TYPES["composite"]
    else:
        source = SOURCE_TYPES["human"]
    created: dict = {"action": "c2pa.created", "digitalSourceType": source, "description": fields.disclosure}
    if generation is not None:
        created["softwareAgent"] = {"name": generation.service, **({"version": generation.model} if generation.model else {})}
    edited = {"action": "c2pa.edited", "softwareAgent": {"name": "syncready", "version": __version__}}
    composition = _prune({
        "@type": "MusicComposition", "name": fields.title, "iswcCode": fields.iswc,
        "composer": [{"@type": "Person", "name": n} for n in fields.composers],
        "lyricist": [{"@type": "Person", "name": n} for n in fields.lyricists],
        "publisher": [{"@type": "Organization", "name": n} for n in fields.publishers],
    })
    work = _prune({
        "@context": "https://schema.org", "@type": "MusicRecording", "name": fields.title,
        "byArtist": {"@type": "MusicGroup", "name": fields.artist} if fields.artist else None,
        "isrcCode": fields.isrc, "recordingOf": composition,
        "copyrightHolder": [{"@type": "Organization", "name": o.name} for o in record.master.owners],
        "copyrightNotice": fields.copyright,
        "datePublished": record.master.release_date.isoformat() if record.master.release_date else None,
        "creditText": fields.disclosure,
    })
    return {
        "claim_generator_info": [{"name": "syncready", "version": __version__}],
        "title": fields.title,
        "assertions": [
            {"label": "c2pa.actions", "data": {"actions": [created, edited]}},
            {"label": "stds.schema-org.CreativeWork", "data": work},
        ],
    }


def sign(
    path: str | os.PathLike,
    cert_chain_pem: str | os.PathLike | bytes,
    key_pem: str | os.PathLike | bytes,
    record: Record,
    *,
    out: str | os.PathLike | None = None,
    version: str = "main",
) -> Path:
    """Embed a signed C2PA manifest describing the track's provenance and rights.

    Parameters
    ----------
    path : path
        A WAV, MP3 or FLAC file, already tagged (sign last).
    cert_chain_pem, key_pem : path or bytes
        The certificate chain and private key: PEM files, or their bytes.
    record : syncready.rights.record.Record
        The rights record the manifest is built from (:func:`manifest`).
    out : path or None
        Where the signed copy goes (not ``path``); None replaces ``path`` atomically.
    version : str
        The recording version whose ISRC is stated.

    Returns
    -------
    pathlib.Path
        The file written; it keeps the permissions of ``path``.

    Raises
    ------
    UsageError
        The c2pa extra is missing; unreadable or invalid PEM; a key that does not match the
        certificate or of an unsupported type; a certificate C2PA refuses; a format other
        than WAV/MP3/FLAC; ``out`` naming the input. Nothing is written.
    BadInputError
        ``path`` is not audio, truncated or corrupt.
    ContractError
        The signed file does not verify (nothing kept).
    """
    c2pa = _c2pa()
    name = os.fspath(path)
    mime = _mime(name)
    chain, key = _pem(cert_chain_pem, "certificate chain"), _pem(key_pem, "private key")
    algorithm = _algorithm(chain, key)
    definition = manifest(record, version)
    target = Path(name if out is None else out)
    with atomic_path(target, () if out is None else (name,)) as temp:
        try:
            signer = c2pa.Signer.from_info(c2pa.C2paSignerInfo(algorithm, chain, key, None))
            with c2pa.Builder(definition) as builder, open(name, "rb") as src, open(temp, "w+b") as dst:
                builder.sign(signer, mime, src, dst)
        except c2pa.C2paError as exc:
            raise UsageError(f"{name}: cannot sign: {exc}") from None
        shutil.copymode(name, temp)
        check = verify(temp)
        if not check["valid"]:
            raise ContractError(f"{name}: the signed file does not verify ({check['message']}); nothing written")
    return target


def verify(path: str | os.PathLike) -> dict:
    """Read a file's C2PA manifest and validate it.

    Parameters
    ----------
    path : path
        A WAV, MP3 or FLAC file.

    Returns
    -------
    dict
        ``file``; ``manifest`` (bool: one is embedded); ``valid`` (the signature and the hashes
        of the file and assertions hold: not tampered with); ``trusted`` (the signer chains to
        a trust anchor: never, as no trust list is configured); ``state`` (c2pa's
        ``"Trusted"``, ``"Valid"`` or ``"Invalid"``, None without a manifest); ``title``;
        ``claim_generator`` (``"name version"``); ``signer`` (``issuer``, ``common_name``,
        ``alg``, ``time``); ``assertions`` (label -> data); ``failures`` (list of ``code``,
        ``explanation``); ``message`` (one line for people).

    Raises
    ------
    UsageError
        The c2pa extra is missing, or a format other than WAV/MP3/FLAC.
    BadInputError
        ``path`` is not audio, truncated or corrupt.
    """
    c2pa = _c2pa()
    name = os.fspath(path)
    mime = _mime(name)
    result: dict = {
        "file": name, "manifest": False, "valid": False, "trusted": False, "state": None, "title": None,
        "claim_generator": None, "signer": None, "assertions": {}, "failures": [],
    }
    try:
        with open(name, "rb") as f, c2pa.Reader(mime, f) as reader:
            active = reader.get_active_manifest() or {}
            state = reader.get_validation_state()
            results = reader.get_validation_results() or {}
    except c2pa.C2paError.ManifestNotFound:
        return {**result, "message": "no content credentials (no C2PA manifest in the file)"}
    except c2pa.C2paError as exc:
        return {**result, "manifest": True, "state": "Invalid", "message": f"unreadable C2PA manifest: {exc}"}
    failures = [{"code": f.get("code"), "explanation": f.get("explanation")}
                for f in results.get("activeManifest", {}).get("failure", [])]
    generator = (active.get("claim_generator_info") or [{}])[0]
    info = active.get("signature_info") or {}
    result.update(
        manifest=True, state=state, valid=state in ("Valid", "Trusted"), trusted=state == "Trusted",
        title=active.get("title"),
        claim_generator=" ".join(str(generator[k]) for k in ("name", "version") if generator.get(k)) or None,
        signer={k: info.get(k) for k in ("issuer", "common_name", "alg", "time")},
        assertions={a["label"]: a.get("data") for a in active.get("assertions", [])},
        failures=failures,
    )
    result["message"] = _message(result)
    return result


def _message(result: dict) -> str:
    if not result["valid"]:
        codes = sorted({f["code"] for f in result["failures"] if f["code"] != "signingCredential.untrusted"})
        hint = " (the file changed after signing: sign last)" if "assertion.dataHash.mismatch" in codes else ""
        return f"INVALID content credentials: {', '.join(codes) or 'validation failed'}{hint}"
    who = (result["signer"] or {}).get("common_name") or "unknown signer"
    if result["trusted"]:
        return f"valid content credentials, signed by {who} (trusted)"
    return (f"valid content credentials, signed by {who}; the signer is not on a trust list "
            "(self-signed or private CA), so C2PA readers show it as untrusted")


def _c2pa() -> ModuleType:
    try:
        import c2pa
    except ImportError:
        raise UsageError(_EXTRA) from None
    return c2pa


def _mime(name: str) -> str:
    container = audio.probe(name).container
    if container not in FORMATS:
        raise UsageError(f"{name}: cannot sign or verify {container} files; content credentials support {', '.join(FORMATS)}")
    return FORMATS[container]


def _pem(source: str | os.PathLike | bytes, what: str) -> bytes:
    if isinstance(source, bytes):
        return source
    try:
        return Path(source).read_bytes()
    except OSError as exc:
        raise UsageError(f"{os.fspath(source)}: cannot read the {what} ({exc.strerror or exc})") from None


def _algorithm(chain: bytes, key: bytes) -> str:
    """The C2PA algorithm name for ``key``, after checking that it matches the chain's first certificate."""
    from cryptography import x509
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

    try:
        certificate = x509.load_pem_x509_certificates(chain)[0]
    except ValueError:
        raise UsageError("the certificate chain is not PEM certificates") from None
    try:
        private = serialization.load_pem_private_key(key, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise UsageError("the private key is not an unencrypted PEM private key") from None
    spki = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    if private.public_key().public_bytes(*spki) != certificate.public_key().public_bytes(*spki):
        raise UsageError("the private key does not match the signing certificate (the first in the chain)")
    if isinstance(private, ec.EllipticCurvePrivateKey):
        by_curve = {"secp256r1": "es256", "secp384r1": "es384", "secp521r1": "es512"}
        if private.curve.name in by_curve:
            return by_curve[private.curve.name]
    if isinstance(private, rsa.RSAPrivateKey):
        return "ps256"
    if isinstance(private, ed25519.Ed25519PrivateKey):
        return "ed25519"
    raise UsageError("unsupported key type; C2PA signs with EC P-256/P-384/P-521, RSA or Ed25519 keys")


def _prune(data: dict) -> dict:
    """``data`` without None values and empty lists."""
    return {k: v for k, v in data.items() if v is not None and v != []}
