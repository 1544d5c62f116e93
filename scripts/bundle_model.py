"""Copy a finished training run into models/NAME as a bundled, Hub-ready model folder (the files
`ser-hf push` uploads: weights, configs, code, card, figures, metrics), with its card re-rendered
under the new name.

    python scripts/bundle_model.py RUN_DIR NAME
    python scripts/bundle_model.py --card-only NAME     # re-render models/NAME/README.md from the template
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

from ser_hf.model_cards import write_model_card

from ser_hf.hub import files_to_push

REPO = Path(__file__).resolve().parents[1]


def render_card(target: Path) -> None:
    summary = json.loads((target / "metrics.json").read_text())
    arguments = json.loads((target / "training_args.json").read_text())
    arguments.pop("command", None)
    write_model_card(target, summary, arguments)


def main(run_dir: str, name: str) -> None:
    source, target = Path(run_dir), REPO / "models" / name
    files = files_to_push(source)
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    for file in files:
        shutil.copy2(source / file, target / file)
    render_card(target)
    print(f"bundled {source} as {target}: {', '.join(files)}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    if sys.argv[1] == "--card-only":
        render_card(REPO / "models" / sys.argv[2])
    else:
        main(*sys.argv[1:])
