"""The demucs backend: a trained Demucs model the user has locally, run by demucs' own code.

Needs the ``demucs`` extra (``pip install 'syncready[demucs]'``: demucs >= 4.1 and torch);
torch and demucs are imported only when this backend runs.

Where the model comes from (nothing is ever downloaded)
--------------------------------------------------------
``model`` (``--model PATH``) is one of

- a checkpoint file: ``.th``, the torch package ``{klass, args, kwargs, state}`` that demucs
  writes (``demucs.states.serialize_model``), read with ``demucs.states.load_model``; or
  ``.safetensors``, demucs 4.1's hub format, read with ``demucs.hf.load_safetensors_model``.
  Either is unpickled or imported as demucs' classes: load only files you trust;
- a bag of models: a ``.yaml`` file (``models: [signature, ...]``, optional ``weights`` and
  ``segment``) whose signatures are ``.th`` (``SIG.th`` or ``SIG-CHECKSUM.th``) or
  ``SIG.safetensors`` files beside it;
- a folder, a demucs model repository: its ``htdemucs.yaml``, else its only ``.yaml``, else
  its only checkpoint file.

Without ``model``: the pretrained ``htdemucs`` (signature :data:`HTDEMUCS_SIGNATURE`) where
demucs caches it after a download, the torch hub cache (``torch.hub.get_dir()/checkpoints``,
demucs < 4.1) or the Hugging Face cache (``adefossez/HTDemucs``, demucs 4.1).

Running it
----------
The mix is resampled to the model's rate with :func:`syncready.audio.resample`, scaled to
unit standard deviation (as demucs' own command does) and cut into groups of the model's
channel count (two: L/R, then C/LFE...; a lone last channel is doubled). ``apply_model`` runs
with ``split=True`` (the model's segment length), :data:`OVERLAP` and :data:`SHIFTS`, on CUDA
when torch sees one, else on the CPU. The stems are scaled back, resampled to the mix's rate
and cut or padded to its length. Sources outside the four roles (``guitar``, ``piano`` of a
6-stem model) are added to ``other``. A model's stems do not sum exactly to the mix: the null
residual is reported, not hidden.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..audio import Audio, resample
from ..errors import UsageError
from .separate import ROLES, Separation

HTDEMUCS_SIGNATURE = "955717e8"
"""The pretrained htdemucs model's signature (its file names start with it)."""
HF_REPO = "adefossez/HTDemucs"
"""Hugging Face repository demucs 4.1 fetches htdemucs from (only its local cache is read)."""
SHIFTS = 1
"""Random time shifts averaged by ``apply_model`` (0: none)."""
OVERLAP = 0.25
"""Overlap of the segments ``apply_model`` cuts the mix into, as a share of a segment."""
_CHECKPOINT_SUFFIXES = (".th", ".safetensors")


def separate(audio: Audio, model: str | None = None) -> Separation:
    """Split ``audio`` with a Demucs model (see the module notes).

    Parameters
    ----------
    audio : Audio
        The mix, any rate and channel count.
    model : str or None
        Checkpoint file, bag ``.yaml`` or model folder; None for the cached htdemucs.

    Returns
    -------
    Separation

    Raises
    ------
    UsageError
        demucs is not installed, no model is found, or the file is not a demucs model.
    """
    try:
        import torch
        from demucs.apply import apply_model
    except ImportError as exc:
        raise UsageError("the demucs backend needs the demucs extra: pip install 'syncready[demucs]' "
                         f"({exc})") from None
    path = Path(model) if model is not None else _cached_htdemucs()
    net = load(path)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    x = resample(audio, net.samplerate).samples
    scale = float(np.std(x)) or 1.0
    groups = _channel_groups(audio.channels, net.audio_channels)
    batch = torch.from_numpy(np.stack([x[g] for g in groups]) / scale)
    with torch.inference_mode():
        out = apply_model(net, batch, shifts=SHIFTS, split=True, overlap=OVERLAP, device=device).cpu().numpy()
    out *= scale  # (groups, sources, model channels, frames)

    stems = {role: np.zeros_like(audio.samples) for role in ROLES}
    folded = [s for s in net.sources if s not in ROLES]
    for index, source in enumerate(net.sources):
        rows = np.zeros((audio.channels, out.shape[-1]), np.float32)
        for group, channels in zip(out[:, index], groups):
            rows[channels[: len(set(channels))]] = group[: len(set(channels))]
        back = resample(Audio(rows, net.samplerate), audio.sample_rate).samples[:, : audio.frames]
        stems[source if source in ROLES else "other"][:, : back.shape[1]] += back
    notes = [f"demucs: {type(net).__name__} with sources {', '.join(net.sources)} at {net.samplerate} Hz, "
             f"shifts={SHIFTS}, overlap {OVERLAP}, on {device}"]
    if folded:
        notes.append(f"demucs: {', '.join(folded)} added to other")
    return Separation(stems, str(path), notes)


def load(path: Path):
    """The model (or bag of models) at ``path``, in eval mode; see the module notes.

    Raises
    ------
    UsageError
        Nothing usable at ``path``, or it cannot be read as a demucs model.
    """
    if path.is_dir():
        path = _pick_in_folder(path)
    elif not path.is_file():
        raise UsageError(f"{path}: no such model file or folder")
    try:
        if path.suffix == ".yaml":
            net = _load_bag(path)
        elif path.suffix in _CHECKPOINT_SUFFIXES:
            net = _load_checkpoint(path)
        else:
            raise UsageError(f"{path}: not a demucs model (expected .th, .safetensors, .yaml or a folder)")
    except UsageError:
        raise
    except Exception as exc:  # torch.load and demucs raise many types on a foreign file
        raise UsageError(f"{path}: cannot be loaded as a demucs model ({type(exc).__name__}: {exc})") from None
    return net.eval()


def _load_checkpoint(path: Path):
    """One model from a ``.th`` package or a ``.safetensors`` file."""
    if path.suffix == ".safetensors":
        from demucs.hf import load_safetensors_model

        return load_safetensors_model(path)
    from demucs.states import load_model

    return load_model(path)


def _load_bag(path: Path):
    """A ``BagOfModels`` from a bag ``.yaml``, its signatures resolved beside it."""
    import yaml
    from demucs.apply import BagOfModels

    bag = yaml.safe_load(path.read_text())
    if not isinstance(bag, dict) or not bag.get("models"):
        raise UsageError(f"{path}: not a demucs bag of models (no 'models' list)")
    models = [_load_checkpoint(_signature_file(path.parent, str(sig))) for sig in bag["models"]]
    return BagOfModels(models, bag.get("weights"), bag.get("segment"))


def _signature_file(folder: Path, signature: str) -> Path:
    """The checkpoint of ``signature`` in ``folder``: SIG.safetensors, SIG.th or SIG-CHECKSUM.th."""
    candidates = [folder / f"{signature}.safetensors", folder / f"{signature}.th", *sorted(folder.glob(f"{signature}-*.th"))]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise UsageError(f"{folder}: the bag names model {signature}, but no {signature}.th or "
                     f"{signature}.safetensors is there")


def _pick_in_folder(folder: Path) -> Path:
    """The bag or checkpoint a model folder stands for."""
    bags = sorted(folder.glob("*.yaml"))
    checkpoints = sorted(p for p in folder.iterdir() if p.suffix in _CHECKPOINT_SUFFIXES)
    preferred = folder / "htdemucs.yaml"
    if preferred.is_file():
        return preferred
    if len(bags) == 1:
        return bags[0]
    if not bags and len(checkpoints) == 1:
        return checkpoints[0]
    found = ", ".join(p.name for p in bags or checkpoints) or "no .yaml, .th or .safetensors file"
    raise UsageError(f"{folder}: cannot tell which demucs model to use ({found}); pass one file with --model")


def _cached_htdemucs() -> Path:
    """htdemucs from demucs' download caches, or a UsageError naming where it looked."""
    import torch

    hub = Path(torch.hub.get_dir()) / "checkpoints"
    found = sorted(hub.glob(f"{HTDEMUCS_SIGNATURE}-*.th"))
    if found:
        return found[0]
    looked = [str(hub)]
    try:
        from huggingface_hub import try_to_load_from_cache
        from huggingface_hub.constants import HF_HUB_CACHE
    except ImportError:
        pass
    else:
        bag = try_to_load_from_cache(HF_REPO, "htdemucs.yaml")
        if isinstance(bag, str):
            return Path(bag)
        looked.append(f"{HF_HUB_CACHE} ({HF_REPO})")
    raise UsageError(f"no demucs model given and no cached htdemucs in {' or '.join(looked)}; syncready never "
                     "downloads weights: pass --model PATH (a .th/.safetensors checkpoint, a bag .yaml or a "
                     "demucs model folder)")


def _channel_groups(channels: int, model_channels: int) -> list[list[int]]:
    """Channel indices fed to the model together: consecutive runs of ``model_channels``, the
    last run filled up by repeating its last channel."""
    groups = []
    for first in range(0, channels, model_channels):
        group = list(range(first, min(first + model_channels, channels)))
        groups.append(group + [group[-1]] * (model_channels - len(group)))
    return groups
