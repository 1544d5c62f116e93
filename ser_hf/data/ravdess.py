"""RAVDESS speech (Livingstone & Russo 2018) as a `datasets.Dataset`.

File names carry the labels: `03-01-EE-II-SS-RR-AA.wav` = modality (03 audio-only), vocal channel
(01 speech), emotion EE (01..08 = neutral, calm, happy, sad, angry, fearful, disgust, surprised),
intensity II (01 normal, 02 strong; neutral has only normal), statement SS (01 "Kids are talking by
the door", 02 "Dogs are sitting by the door"), repetition RR (01, 02), actor AA (01..24; odd male,
even female). In the original release Actor_07's 03-01-03-01-02-01-07 and 03-01-03-01-02-02-07 are
the same recording: the splits keep both repetitions of a sentence together, so it never crosses one.

Sources, in the order `load_ravdess` tries them: an extracted folder (`Actor_XX/*.wav|flac`), the
Zenodo zip `Audio_Speech_Actors_01-24.zip` as downloaded, a Hub dataset id, or (nothing given) a
download of that zip from Zenodo into the Hugging Face cache, checksum verified.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import zipfile
from pathlib import Path

from ..audio import AUDIO_SUFFIXES
from ..configuration_ser import EMOTIONS
from .common import CorpusError, build_dataset

logger = logging.getLogger(__name__)

ZENODO_URL = "https://zenodo.org/records/1188976/files/Audio_Speech_Actors_01-24.zip?download=1"
ZENODO_MD5 = "bc696df654c87fed845eb13823edef8a"
ZIP_NAME = "Audio_Speech_Actors_01-24.zip"
NAME_PATTERN = re.compile(r"^(\d\d)-(\d\d)-(\d\d)-(\d\d)-(\d\d)-(\d\d)-(\d\d)\.(wav|flac)$", re.IGNORECASE)


def parse_name(name: str) -> dict:
    """Metadata of one RAVDESS speech file name; ValueError naming the file for anything else."""
    match = NAME_PATTERN.match(os.path.basename(name))
    if not match:
        raise ValueError(f"{name}: not a RAVDESS file name (expected 03-01-EE-II-SS-RR-AA.wav or .flac)")
    modality, channel, emotion, intensity, statement, repetition, actor = (int(g) for g in match.groups()[:7])
    if modality != 3 or channel != 1:
        raise ValueError(
            f"{name}: modality {modality:02d} / vocal channel {channel:02d} is not audio-only speech (03-01)"
        )
    checks = [
        (1 <= emotion <= 8, f"emotion code {emotion:02d} is not 01..08"),
        (intensity in (1, 2), f"intensity code {intensity:02d} is not 01 or 02"),
        (statement in (1, 2), f"statement code {statement:02d} is not 01 or 02"),
        (repetition in (1, 2), f"repetition code {repetition:02d} is not 01 or 02"),
        (1 <= actor <= 24, f"actor {actor:02d} is not 01..24"),
    ]
    for ok, problem in checks:
        if not ok:
            raise ValueError(f"{name}: {problem}")
    return {
        "label": emotion - 1,
        "actor": actor,
        "gender": "male" if actor % 2 else "female",
        "intensity": "normal" if intensity == 1 else "strong",
        "statement": statement,
        "repetition": repetition,
    }


def ravdess_records(paths: list[str], strict: bool = False) -> list[dict]:
    """Rows for the RAVDESS files among `paths`; other names are skipped (or refused with `strict`)."""
    records, invalid = [], []
    for path in sorted(paths):
        try:
            meta = parse_name(path)
        except ValueError as error:
            if strict:
                raise
            if NAME_PATTERN.match(os.path.basename(path)):  # RAVDESS-shaped, but a code is out of range
                invalid.append(str(error))
            continue
        records.append({"path": str(path), "id": Path(path).stem, "corpus": "ravdess", **meta})
    if invalid:
        logger.warning(
            f"skipped {len(invalid)} file(s) named like RAVDESS recordings but with invalid codes: "
            + "; ".join(invalid[:5])
            + (" ..." if len(invalid) > 5 else "")
        )
    return records


def _from_folder(folder: Path, strict: bool) -> list[dict]:
    paths = [str(p) for p in folder.rglob("*") if p.suffix.lower() in AUDIO_SUFFIXES]
    records = ravdess_records(paths, strict=strict)
    if not records:
        raise CorpusError(
            f"{folder}: no RAVDESS speech files found (expected Actor_XX/03-01-EE-II-SS-RR-AA.wav or .flac)"
        )
    return records


def _extract_zip(zip_path: Path, cache_dir: Path) -> Path:
    """Extracts the Zenodo zip once into `cache_dir` (keyed by the zip's size and mtime)."""
    stat = zip_path.stat()
    target = cache_dir / f"ravdess-{stat.st_size}-{int(stat.st_mtime)}"
    done = target / ".complete"
    if not done.exists():
        try:
            with zipfile.ZipFile(zip_path) as archive:
                archive.extractall(target)
        except zipfile.BadZipFile as error:
            raise CorpusError(f"{zip_path}: not a valid zip file ({error})") from None
        done.touch()
    return target


def md5sum(path: Path) -> str:
    digest = hashlib.md5()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def download_zip(cache_dir: Path) -> Path:
    """Downloads the Zenodo zip into `cache_dir` and verifies its md5; a clear error when offline."""
    import requests
    from huggingface_hub import constants

    target = cache_dir / ZIP_NAME
    if target.exists() and md5sum(target) == ZENODO_MD5:
        return target
    advice = (
        "pass --data with a local RAVDESS folder (Actor_XX/...), the downloaded Audio_Speech_Actors_01-24.zip, "
        "or a Hub dataset id, or set SER_HF_RAVDESS_DIR"
    )
    if constants.HF_HUB_OFFLINE:
        raise CorpusError(f"cannot download RAVDESS from Zenodo: HF_HUB_OFFLINE is set; {advice}")
    partial = target.with_suffix(".part")
    try:
        with requests.get(ZENODO_URL, stream=True, timeout=30) as response:
            response.raise_for_status()
            cache_dir.mkdir(parents=True, exist_ok=True)
            with open(partial, "wb") as handle:
                handle.writelines(response.iter_content(1 << 20))
    except requests.RequestException as error:
        raise CorpusError(f"cannot download RAVDESS from Zenodo ({error}); {advice}") from None
    if md5sum(partial) != ZENODO_MD5:
        partial.unlink()
        raise CorpusError(f"the download from {ZENODO_URL} does not have md5 {ZENODO_MD5}; try again or {advice}")
    partial.replace(target)
    return target


def default_cache_dir() -> Path:
    from huggingface_hub import constants

    return Path(constants.HF_HOME) / "ser_hf"


def load_ravdess(
    source: str | os.PathLike | None = None, cache_dir: str | os.PathLike | None = None, strict: bool = False
):
    """RAVDESS speech as a `datasets.Dataset` with columns audio, label, actor, gender, intensity,
    statement, repetition, corpus and id.

    `source`: a folder, the Zenodo zip, a Hub dataset id, or None ($SER_HF_RAVDESS_DIR, else Zenodo).
    """
    cache = Path(cache_dir) if cache_dir else default_cache_dir()
    if source is None:
        source = os.environ.get("SER_HF_RAVDESS_DIR") or download_zip(cache)
    path = Path(os.fspath(source)).expanduser()
    if path.is_dir():
        records = _from_folder(path, strict)
    elif path.is_file() and path.suffix.lower() == ".zip":
        records = _from_folder(_extract_zip(path, cache), strict)
    elif path.exists():
        raise CorpusError(f"{path}: expected a RAVDESS folder or {ZIP_NAME}")
    elif re.fullmatch(r"[\w.-]+/[\w.-]+", str(source)) and not str(source).startswith((".", "/")):
        return _from_hub(str(source))
    else:
        raise CorpusError(f"{source}: no such folder or file, and not a Hub dataset id")
    return build_dataset(records, EMOTIONS)


def _from_hub(repo_id: str):
    """A RAVDESS dataset from the Hub with an `audio` column and RAVDESS file names (or our columns)."""
    import datasets

    try:
        dataset = datasets.load_dataset(repo_id, split="train")
    except Exception as error:  # noqa: BLE001 (datasets raises many types for missing / offline repos)
        raise CorpusError(f"could not load the Hub dataset {repo_id!r}: {error}") from None
    if "label" in dataset.column_names and "actor" in dataset.column_names:
        return dataset
    raise CorpusError(f"{repo_id}: expected the columns of `ser-hf` (label, actor, ...), got {dataset.column_names}")
