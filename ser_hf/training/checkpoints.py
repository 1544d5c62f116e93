"""Checkpoint I/O of a training run: resumable states written atomically, the model kept so far (the best
validation epoch, or the last with `--load_best_model_at_end false`), and the output folder's guard against
overwriting earlier work.

Layout under `output_dir/checkpoints/`: `epoch-NNNN/` (Accelerate state + `trainer_state.json` + the
kept model at that time), `latest` (a pointer to the newest complete one), `best/` (the kept model).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

STATE_FILE = "trainer_state.json"


class OutputDirError(RuntimeError):
    """The output folder holds earlier work and neither --resume nor --overwrite_output_dir was given."""


def check_output_dir(output_dir: Path, resume: bool, overwrite: bool) -> None:
    """Refuses a non-empty folder unless resuming, or empties it when `overwrite`."""
    if not output_dir.exists() or not any(output_dir.iterdir()):
        return
    if resume:
        return
    if not overwrite:
        raise OutputDirError(
            f"{output_dir} already holds files: pass --resume to continue that run, "
            "--overwrite_output_dir to replace it, or choose another --output_dir"
        )
    shutil.rmtree(output_dir)


def write_json_atomic(path: Path, payload) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(payload, indent=2))
    os.replace(tmp, path)


def latest_checkpoint(output_dir: Path) -> Path | None:
    """The checkpoint `latest` points to; if a kill left the pointer on an incomplete folder (or none),
    the newest complete `epoch-N` folder. Folders being written (`.tmp-*`) are never candidates."""
    root = output_dir / "checkpoints"
    pointer = root / "latest"
    if pointer.is_file():
        checkpoint = root / pointer.read_text().strip()
        if (checkpoint / STATE_FILE).exists():
            return checkpoint
    complete = sorted(p for p in root.glob("epoch-*") if (p / STATE_FILE).exists())
    return complete[-1] if complete else None


def save_checkpoint(accelerator, output_dir: Path, epoch: int, state: dict) -> None:
    """Writes the resumable state into a temporary folder, then renames it and moves the `latest`
    pointer: a run killed while saving leaves the previous checkpoint as the one resume picks."""
    root = output_dir / "checkpoints"
    name = f"epoch-{epoch:04d}"
    tmp = root / f".tmp-{name}"
    if accelerator.is_main_process and tmp.exists():
        shutil.rmtree(tmp)
    accelerator.wait_for_everyone()
    accelerator.save_state(str(tmp))
    if accelerator.is_main_process:
        write_json_atomic(tmp / STATE_FILE, state)
        if (root / "best").exists():  # the best model so far belongs to this state
            shutil.copytree(root / "best", tmp / "best")
        final = root / name
        if final.exists():
            shutil.rmtree(final)
        os.replace(tmp, final)
        pointer = root / "latest"
        previous = pointer.read_text().strip() if pointer.exists() else None
        tmp_pointer = root / ".latest.tmp"
        tmp_pointer.write_text(name)
        os.replace(tmp_pointer, pointer)
        if previous and previous != name and (root / previous).exists():
            shutil.rmtree(root / previous)
    accelerator.wait_for_everyone()


RESUMABLE_CHANGES = frozenset(
    {
        "output_dir",  # the same folder, maybe written another way
        "data",  # the same corpus, maybe moved: the split's recordings are compared instead
        "cache_dir",
        "resume",
        "overwrite_output_dir",
        "max_train_seconds",  # a resumed run goes on under this command's budget and patience
        "early_stopping_patience",
        "save_every",
        "hub_model_id",
        "training_path",  # as typed ("auto"): the path it resolves to is compared instead
        "torch_compile",
        "cache_features",  # a clip's features depend on its own samples only
        "cuda_sync_debug",
    }
)
"""Options a resumed run may change; every other one defines the run (the model's shape, the data, the
augmentation, the optimiser and its schedule, the seed, BatchNorm recalibration) and must be the run's."""


def run_identity(arguments: dict, launch: dict, split_rows: dict[str, list[str]]) -> dict:
    """What a resumed run must share with the run it continues: the options (`arguments`: option group ->
    name -> value; of `--init_from` only whether it is given, the weights come from the checkpoint; actor
    lists in sorted order), how steps run (`launch`: the resolved training path and compile mode,
    processes, mixed precision; each draws other random numbers) and a digest of the recordings in each
    part of the split (`split_rows`)."""
    import hashlib

    identity = json.loads(json.dumps(arguments))  # tuples as lists, as they are saved
    identity["model"]["init_from"] = "(a model)" if identity["model"].get("init_from") else None
    _sort_actor_lists(identity)
    identity["launch"] = dict(launch)
    digest = hashlib.sha256(json.dumps(split_rows, sort_keys=True).encode()).hexdigest()[:16]
    identity["split"] = {"recordings": digest}
    return identity


def _sort_actor_lists(identity: dict) -> None:
    """--test_actors / --validation_actors as sorted lists: "2,1" and "1, 2" hold out the same actors."""
    for name in ("test_actors", "validation_actors"):
        text = identity.get("data", {}).get(name)
        try:
            actors = sorted({int(actor) for actor in text.split(",") if actor.strip()}) if text else None
        except ValueError:  # never parsed by the split (e.g. validation actors without test actors): as typed
            continue
        if actors is not None:
            identity["data"][name] = ",".join(map(str, actors))


def check_resumed_run(output_dir: Path, identity: dict) -> None:
    """With `--resume`: ValueError naming each difference between this command's `run_identity` and that
    of the run saved in `output_dir`, before any work starts; a resumed run that silently changed them
    would be no run of either command, or fail on a weight shape."""
    checkpoint = latest_checkpoint(output_dir)
    if checkpoint is None:
        return
    state = json.loads((checkpoint / STATE_FILE).read_text())
    saved = state.get("identity")
    if saved is None:
        print(f"--resume: {checkpoint} was written before runs kept their options; they are not compared")
        return
    _sort_actor_lists(saved)  # saved as typed before actor lists were sorted
    shown = lambda value: "(not given)" if value is None else value
    option = {"split": lambda name: "the split's recordings (another corpus at --data?), digest", "launch": str}
    differences = [
        f"{option.get(group, '--{}'.format)(name)} {shown(value)} (the run: {shown(saved[group][name])})"
        for group, values in identity.items()
        for name, value in values.items()
        if name not in RESUMABLE_CHANGES and name in saved.get(group, {}) and saved[group][name] != value
    ]
    if differences:
        raise ValueError(
            f"--resume: this command differs from the run in {output_dir}: {', '.join(differences)}; repeat the "
            f"run's options (its command: {state.get('command', 'see trainer_state.json')}), or drop --resume "
            "and pass --overwrite_output_dir to start a new run there"
        )


def restore_checkpoint(accelerator, output_dir: Path, state: dict) -> dict:
    """Loads the newest complete checkpoint (model, optimizer, scheduler, RNG) and its best model;
    returns its trainer state, or `state` unchanged when there is none."""
    checkpoint = latest_checkpoint(output_dir)
    if checkpoint is None:
        accelerator.print(f"--resume: no complete checkpoint in {output_dir}/checkpoints, starting from epoch 0")
        return state
    accelerator.load_state(str(checkpoint))
    state = json.loads((checkpoint / STATE_FILE).read_text())
    if accelerator.is_main_process and (checkpoint / "best").exists():
        best = output_dir / "checkpoints" / "best"
        if best.exists():
            shutil.rmtree(best)
        shutil.copytree(checkpoint / "best", best)
    accelerator.wait_for_everyone()
    accelerator.print(f"resumed from {checkpoint} after epoch {state['epoch']}")
    return state


def save_best(accelerator, model, extractor, best_dir: Path) -> None:
    """The model kept so far (best validation epoch, or the last), as a complete model folder with its feature extractor (written,
    then renamed), so that it loads like the final one (`--init_from`, `pipeline`)."""
    accelerator.wait_for_everyone()
    if accelerator.is_main_process:
        tmp = best_dir.with_name(".tmp-best")
        if tmp.exists():
            shutil.rmtree(tmp)
        accelerator.unwrap_model(model).save_pretrained(tmp)
        extractor.save_pretrained(tmp)
        if best_dir.exists():
            shutil.rmtree(best_dir)
        os.replace(tmp, best_dir)
    accelerator.wait_for_everyone()


def load_best(accelerator, model, best_dir: Path) -> None:
    from safetensors.torch import load_file

    weights = load_file(str(best_dir / "model.safetensors"), device="cpu")
    accelerator.unwrap_model(model).load_state_dict(weights)
