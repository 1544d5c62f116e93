"""Other emotional speech corpora, read from their standard file names and mapped onto the RAVDESS
label set (neutral, calm, happy, sad, angry, fearful, disgust, surprised) by the table below.

| corpus | file names | mapping | left out |
|---|---|---|---|
| SAVEE | `DC/a01.wav` or `DC_a01.wav` (speakers DC JE JK KL, male) | a angry, d disgust, f fearful, h happy, n neutral, sa sad, su surprised | (no calm) |
| TESS | `OAF_back_angry.wav`, `YAF_dog_ps.wav` (speakers OAF YAF, female; the distributed `OA_bite_neutral.wav` is OAF's) | angry, disgust, fear fearful, happy, neutral, ps surprised, sad | (no calm) |
| CREMA-D | `1001_DFA_ANG_XX.wav` (actor, sentence, emotion, level) | ANG angry, DIS disgust, FEA fearful, HAP happy, NEU neutral, SAD sad | (no calm, surprised) |
| EmoDB | `03a01Fa.wav` (speaker, text, emotion, version) | W angry, E disgust, A fearful, F happy, N neutral, T sad | L boredom |

A class the corpus lacks is simply absent; a class with no counterpart (EmoDB's boredom) is left out,
as is a file whose name does not follow the corpus's pattern; both are named in the `report` dict that
`load_corpus` fills, and counted in `dataset.info.description`.
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path

from ..audio import AUDIO_SUFFIXES
from ..configuration_ser import EMOTIONS
from .common import CorpusError, build_dataset

logger = logging.getLogger(__name__)

SAVEE_EMOTIONS = {
    "a": "angry",
    "d": "disgust",
    "f": "fearful",
    "h": "happy",
    "n": "neutral",
    "sa": "sad",
    "su": "surprised",
}
SAVEE_SPEAKERS = {"DC": 1, "JE": 2, "JK": 3, "KL": 4}
TESS_EMOTIONS = {
    "angry": "angry",
    "disgust": "disgust",
    "fear": "fearful",
    "happy": "happy",
    "neutral": "neutral",
    "ps": "surprised",
    "sad": "sad",
}
TESS_SPEAKERS = {"OAF": 1, "YAF": 2}
CREMA_EMOTIONS = {"ANG": "angry", "DIS": "disgust", "FEA": "fearful", "HAP": "happy", "NEU": "neutral", "SAD": "sad"}
EMODB_EMOTIONS = {"W": "angry", "E": "disgust", "A": "fearful", "F": "happy", "N": "neutral", "T": "sad", "L": None}
EMODB_MALE = {3, 10, 11, 12, 15}


def _savee(path: Path):
    match = re.fullmatch(r"(?:(DC|JE|JK|KL)_)?(sa|su|a|d|f|h|n)(\d\d)", path.stem)
    speaker = (match.group(1) if match else None) or path.parent.name
    if not match or speaker not in SAVEE_SPEAKERS:
        return None
    return {
        "emotion": SAVEE_EMOTIONS[match.group(2)],
        "actor": SAVEE_SPEAKERS[speaker],
        "gender": "male",
        "statement": int(match.group(3)),
    }


def _tess(path: Path):
    match = re.fullmatch(r"(OAF|OA|YAF)_([A-Za-z]+)_([A-Za-z]+)", path.stem)  # OA_bite_neutral.wav ships so
    if not match or match.group(3).lower() not in TESS_EMOTIONS:
        return None
    speaker = "OAF" if match.group(1) == "OA" else match.group(1)
    return {"emotion": TESS_EMOTIONS[match.group(3).lower()], "actor": TESS_SPEAKERS[speaker], "gender": "female"}


def _crema(path: Path):
    match = re.fullmatch(r"(\d{4})_([A-Z]{3})_([A-Z]{3})_([A-Z]{2})", path.stem)
    if not match or match.group(3) not in CREMA_EMOTIONS:
        return None
    level = {"LO": "low", "MD": "medium", "HI": "high"}.get(match.group(4), "unspecified")
    return {"emotion": CREMA_EMOTIONS[match.group(3)], "actor": int(match.group(1)), "intensity": level}


def _emodb(path: Path):
    match = re.fullmatch(r"(\d\d)([abc]\d\d)([WLEAFTN])([a-z])", path.stem)
    if not match:
        return None
    speaker = int(match.group(1))
    return {
        "emotion": EMODB_EMOTIONS[match.group(3)],
        "actor": speaker,
        "gender": "male" if speaker in EMODB_MALE else "female",
    }


PARSERS = {"savee": _savee, "tess": _tess, "crema-d": _crema, "emodb": _emodb}
CORPORA = ("ravdess", *PARSERS)


def load_corpus(name: str, source: str | os.PathLike | None = None, report: dict | None = None, **kwargs):
    """A corpus as a `datasets.Dataset` with the RAVDESS schema and label set. `report`, when given, is
    filled with the files left out: `unmapped_class` (a class without a RAVDESS counterpart) and
    `unrecognised_name` (a name that does not follow the corpus's pattern), as paths."""
    name = name.lower()
    if name == "ravdess":
        from .ravdess import load_ravdess

        return load_ravdess(source, **kwargs)
    if name not in PARSERS:
        raise CorpusError(f"unknown corpus {name!r}; choose one of {', '.join(CORPORA)}")
    if source is None or not Path(source).is_dir():
        raise CorpusError(f"{source}: pass the folder holding the {name} audio files")
    parse = PARSERS[name]
    records, left_out, unrecognised = [], [], []
    for path in sorted(p for p in Path(source).rglob("*") if p.suffix.lower() in AUDIO_SUFFIXES):
        meta = parse(path)
        if meta is None:
            unrecognised.append(str(path))
            continue
        emotion = meta.pop("emotion")
        if emotion is None:
            left_out.append(str(path))
            continue
        records.append(
            {"path": str(path), "id": f"{name}/{path.stem}", "corpus": name, "label": EMOTIONS.index(emotion), **meta}
        )
    if report is not None:
        report.update(unmapped_class=left_out, unrecognised_name=unrecognised)
    if not records:
        raise CorpusError(f"{source}: no {name} files with recognised names found")
    dataset = build_dataset(records, EMOTIONS)
    summary = f"{name}: {len(records)} files; {len(left_out)} left out (class without counterpart); {len(unrecognised)} unrecognised names"
    if unrecognised:
        shown = ", ".join(Path(p).name for p in unrecognised[:5]) + (" ..." if len(unrecognised) > 5 else "")
        logger.warning(f"{summary}: {shown} do not follow the {name} file-name pattern and are left out")
    elif left_out:
        logger.warning(summary)
    dataset.info.description = summary
    return dataset
