"""C2PA content credentials (syncready.rights.credentials) with a certificate chain made here."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from conftest import music_like
from syncready.audio import Audio, load, save
from syncready.errors import UsageError
from syncready.rights.credentials import SOURCE_TYPES, manifest, sign, verify
from syncready.rights.record import Record
from syncready.rights.tags import TagFields, tag

pytest.importorskip("c2pa", reason="the c2pa extra (c2pa-python) is not installed")
x509 = pytest.importorskip("cryptography.x509")
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID  # noqa: E402

RATE = 44100
RECORD = {
    "work": {"title": "Night Drive", "iswc": "T-034.524.680-1",
             "writers": [{"name": "Ann Example", "role": "lyricist", "share": 100.0}]},
    "master": {"artist": "Ann Example", "release_date": dt.date(2025, 6, 1), "isrc": {"main": "USABC2500001"},
               "owners": [{"name": "Example Records", "share": 100.0}]},
    "generation": {"service": "Suno", "model": "v4", "date": dt.date(2025, 1, 10)},
    "contributions": [{"element": "melody", "origin": "ai"}, {"element": "lyrics", "origin": "human"}],
}


def _usage(ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not ca, content_commitment=False, key_encipherment=False, data_encipherment=False,
        key_agreement=False, key_cert_sign=ca, crl_sign=ca, encipher_only=False, decipher_only=False,
    )


def _pem_key(key) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


@pytest.fixture(scope="module")
def chain(tmp_path_factory) -> tuple[Path, Path, Path]:
    """(chain.pem: end-entity then CA, key.pem, other-key.pem): ES256, made for this test run."""
    folder = tmp_path_factory.mktemp("pki")
    now = dt.datetime.now(dt.timezone.utc)

    def certificate(subject: str, key, issuer: x509.Name, issuer_key, ca: bool) -> x509.Certificate:
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject),
                                     x509.NameAttribute(NameOID.ORGANIZATION_NAME, "syncready tests")]))
            .issuer_name(issuer).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=0 if ca else None), critical=True)
            .add_extension(_usage(ca), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        )
        if not ca:
            builder = builder.add_extension(
                x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False
            ).add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False)
        return builder.sign(issuer_key, hashes.SHA256())

    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test CA"),
                         x509.NameAttribute(NameOID.ORGANIZATION_NAME, "syncready tests")])
    ca = certificate("Test CA", ca_key, ca_name, ca_key, True)
    signer = certificate("Test Signer", key, ca.subject, ca_key, False)
    pem = serialization.Encoding.PEM
    (folder / "chain.pem").write_bytes(signer.public_bytes(pem) + ca.public_bytes(pem))
    (folder / "key.pem").write_bytes(_pem_key(key))
    (folder / "other-key.pem").write_bytes(_pem_key(ec.generate_private_key(ec.SECP256R1())))
    return folder / "chain.pem", folder / "key.pem", folder / "other-key.pem"


@pytest.fixture
def record() -> Record:
    return Record.model_validate(RECORD, strict=False)


@pytest.fixture
def track(tmp_path) -> Path:
    path = tmp_path / "song.wav"
    save(Audio(music_like(0.5, RATE), RATE), path, overwrite=True)
    return path


def test_sign_and_verify_wav(tmp_path, chain, record, track):
    cert, key, _ = chain
    tag(track, TagFields(title="Night Drive", disclosure=record.disclosure_summary()))
    samples = load(track).samples

    out = sign(track, cert, key, record, out=tmp_path / "signed.wav")

    report = verify(out)
    assert report["manifest"] and report["valid"]
    assert not report["trusted"]  # a private CA: untrusted, and the message says so
    assert [f["code"] for f in report["failures"]] == ["signingCredential.untrusted"]
    assert "untrusted" in report["message"]
    assert report["claim_generator"] == "syncready 0.1.0"
    assert report["signer"]["common_name"] == "Test Signer"
    actions = report["assertions"]["c2pa.actions.v2"]["actions"]
    assert [a["action"] for a in actions] == ["c2pa.created", "c2pa.edited"]
    assert actions[0]["digitalSourceType"] == SOURCE_TYPES["composite"]
    assert actions[0]["softwareAgent"] == {"name": "Suno", "version": "v4"}
    work = report["assertions"]["stds.schema-org.CreativeWork"]
    assert (work["isrcCode"], work["recordingOf"]["iswcCode"]) == ("USABC2500001", "T-034.524.680-1")
    assert work["recordingOf"]["lyricist"] == [{"@type": "Person", "name": "Ann Example"}]
    assert work["copyrightNotice"] == "2025 Example Records"
    assert np.array_equal(load(out).samples, samples)
    assert verify(track)["manifest"] is False


def test_tagging_after_signing_breaks_the_signature(chain, record, track):
    cert, key, _ = chain
    sign(track, cert, key, record)
    assert verify(track)["valid"]

    tag(track, TagFields(title="Changed afterwards"))

    report = verify(track)
    assert report["manifest"] and not report["valid"] and report["state"] == "Invalid"
    assert "assertion.dataHash.mismatch" in [f["code"] for f in report["failures"]]
    assert "sign last" in report["message"]


@pytest.mark.parametrize("suffix", ["flac", "mp3"])
def test_sign_flac_and_mp3(tmp_path, chain, record, suffix):
    cert, key, _ = chain
    path = tmp_path / f"song.{suffix}"
    if suffix == "flac":
        save(Audio(music_like(0.5, RATE), RATE), path, bit_depth=16)
    else:
        sf.write(path, music_like(0.5, RATE).T, RATE, format="MP3", subtype="MPEG_LAYER_III")
    sign(path, cert, key, record)
    assert verify(path)["valid"]


def test_mismatched_key_is_refused_and_nothing_written(tmp_path, chain, record, track):
    cert, _, other = chain
    before = track.read_bytes()
    with pytest.raises(UsageError, match="does not match"):
        sign(track, cert, other, record, out=tmp_path / "signed.wav")
    with pytest.raises(UsageError, match="does not match"):
        sign(track, cert, other, record)
    assert track.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["song.wav"]


def test_unsupported_format_is_refused(tmp_path, chain, record):
    cert, key, _ = chain
    path = tmp_path / "song.ogg"
    sf.write(path, music_like(0.5, RATE).T, RATE, format="OGG", subtype="VORBIS")
    with pytest.raises(UsageError, match="WAV, MP3, FLAC"):
        sign(path, cert, key, record)


def test_source_type_follows_the_contributions(record):
    def source(rec: Record) -> str:
        return manifest(rec)["assertions"][0]["data"]["actions"][0]["digitalSourceType"]

    everything_ai = record.model_copy(update={"contributions": [record.contributions[0]]})
    no_ai = record.model_copy(update={"contributions": [record.contributions[1]], "generation": None})
    assert source(record) == SOURCE_TYPES["composite"]
    assert source(everything_ai) == SOURCE_TYPES["ai"]
    assert source(no_ai) == SOURCE_TYPES["human"]


def test_sign_and_verify_from_the_command_line(tmp_path, chain, record, track):
    import json
    import subprocess
    import sys

    from syncready.rights.record import dumps

    def syncready(*args):
        return subprocess.run([sys.executable, "-m", "syncready", *map(str, args)], capture_output=True, text=True, timeout=300)

    cert, key, other = chain
    rights = tmp_path / "song.rights.toml"
    rights.write_text(dumps(record))
    before = track.read_bytes()
    run = syncready("sign", track, "--cert", cert, "--key", other, "--rights", rights, "-o", tmp_path / "x.wav")
    assert run.returncode == 2 and not (tmp_path / "x.wav").exists() and "Traceback" not in run.stderr
    run = syncready("sign", track, "--cert", cert, "--key", key, "--rights", rights, "-o", tmp_path / "signed.wav")
    assert run.returncode == 0, run.stderr
    assert track.read_bytes() == before
    run = syncready("verify", tmp_path / "signed.wav", "--json", "-")
    doc = json.loads(run.stdout)
    assert run.returncode == 0 and doc["valid"] is True and doc["trusted"] is False
    assert syncready("tag", tmp_path / "signed.wav", "--rights", rights).returncode == 0  # tagging after signing ...
    assert syncready("verify", tmp_path / "signed.wav").returncode == 1  # ... breaks the signature
    assert syncready("verify", track).returncode == 1  # no credentials at all
