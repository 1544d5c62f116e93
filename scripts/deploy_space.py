"""Upload the Gradio demo to a Hugging Face Space.

    python scripts/deploy_space.py --space-id USER/NAME [--model-ids A,B] [--private] [--dry-run]

The Space gets spaces_app/ (app.py, requirements.txt, README.md with its YAML header), the `ser_hf`
package beside app.py, and either the bundled models under models/ or, with --model-ids, the Space
variable SER_MODEL_ID naming Hub models (the README's `models:` list is set to what it serves).
--dry-run needs no token and no network: it stages the Space in a temporary folder, lists its files
and builds the app there in a fresh process to prove it starts.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from ser_hf.inference import BUNDLED_MODELS

REPO = Path(__file__).resolve().parents[1]
BUNDLED = tuple(BUNDLED_MODELS[number] for number in (2, 1))
IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", ".cache")


def stage(folder: Path, model_ids: list[str]) -> list[str]:
    """Lays the Space out in `folder`; returns its files, relative, sorted."""
    for name in ("app.py", "requirements.txt"):
        shutil.copy2(REPO / "spaces_app" / name, folder / name)
    shutil.copytree(REPO / "ser_hf", folder / "ser_hf", ignore=IGNORE)
    shutil.copytree(REPO / "spaces_app" / "examples", folder / "examples")
    if model_ids:
        served = model_ids
    else:
        for name in BUNDLED:
            shutil.copytree(REPO / "models" / name, folder / "models" / name, ignore=IGNORE)
        served = [f"local: models/{name}" for name in BUNDLED]
    readme = (REPO / "spaces_app" / "README.md").read_text()
    models_yaml = "models:\n" + "".join(f"  - {m}\n" for m in model_ids) if model_ids else ""
    readme = re.sub(r"models:\n(  - .*\n)+", models_yaml, readme, count=1)
    (folder / "README.md").write_text(readme)
    print("serves: " + ", ".join(served))
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def check_starts(folder: Path) -> None:
    """Builds the page from the staged folder in a new process, with the staged ser_hf copy."""
    code = (
        "import os, app; models = app.load_models(); app.build_demo(models); "
        "assert app.ser_hf.__file__.startswith(os.getcwd()), app.ser_hf.__file__; "
        "print('the staged Space starts with:', ', '.join(models))"
    )
    subprocess.run([sys.executable, "-c", code], cwd=folder, check=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--space-id", dest="space_id", required=True, help="USER/NAME")
    parser.add_argument(
        "--model-ids",
        dest="model_ids",
        default="",
        help="comma-separated Hub model ids to serve instead of the bundled models",
    )
    parser.add_argument("--private", action="store_true")
    parser.add_argument(
        "--dry-run", dest="dry_run", action="store_true", help="stage, list and start-check; no token, no upload"
    )
    args = parser.parse_args(argv)
    model_ids = [m.strip() for m in args.model_ids.split(",") if m.strip()]
    with tempfile.TemporaryDirectory(prefix="ser-hf-space-") as tmp:
        folder = Path(tmp)
        files = stage(folder, model_ids)
        if args.dry_run:
            if not model_ids:  # Hub models cannot be fetched offline; bundled ones are checked here
                check_starts(folder)
            print(f"would upload {len(files)} files to the Space {args.space_id}:")
            print("\n".join(f"  {f}" for f in files))
            return 0
        from huggingface_hub import HfApi

        api = HfApi()
        api.create_repo(args.space_id, repo_type="space", space_sdk="gradio", private=args.private, exist_ok=True)
        if model_ids:
            api.add_space_variable(args.space_id, "SER_MODEL_ID", ",".join(model_ids))
        api.upload_folder(
            repo_id=args.space_id, repo_type="space", folder_path=folder, commit_message="Deploy the ser-hf demo"
        )
        print(f"uploaded {len(files)} files to https://huggingface.co/spaces/{args.space_id}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
