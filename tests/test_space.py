"""The Gradio Space (spaces_app/app.py): its API through gradio_client, a real browser through
Playwright and Debian's chromium, concurrent users, and friendly errors. The server runs in-process
on 127.0.0.1 with the bundled models."""

from __future__ import annotations

import os
import socket
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "spaces_app"))

import app
import gradio_client
from helpers import require_binary, synthetic_speech

from ser_hf.inference import load_model, predict_files

MODEL_2, MODEL_1 = "Model 2 (CNN-BiLSTM-attention)", "Model 1 (CNN-LSTM)"
ARTIFACTS = Path(os.environ.get("SER_HF_ARTIFACTS_DIR", REPO / "test-artifacts"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def bundled():
    return app.load_models()


@pytest.fixture(scope="module")
def server(bundled):
    """The page served on 127.0.0.1 for this module's tests; yields its URL."""
    demo = app.build_demo(bundled)
    port = _free_port()
    demo.launch(
        server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True, max_file_size=app.MAX_FILE_SIZE
    )
    yield f"http://127.0.0.1:{port}/"
    demo.close()


@pytest.fixture(scope="module")
def client(server):
    return gradio_client.Client(server, verbose=False)


def _expected(path: Path, folder: str) -> dict[str, float]:
    model, extractor = load_model(REPO / "models" / folder)
    return predict_files(model, extractor, [str(path)])[0].scores


def _plot(output):
    """A plot output's figure, or None when the page hides its box (the app sends visibility updates)."""
    if isinstance(output, dict) and output.get("__type__") == "update":
        return output["value"] if output.get("visible") else None
    return output


def _confidences(label_output: dict) -> dict[str, float]:
    return {c["label"]: c["confidence"] for c in label_output["confidences"]}


def test_default_sources_are_the_bundled_models(bundled):
    assert list(bundled) == [MODEL_2, MODEL_1]


def test_model_source_from_env(monkeypatch):
    folder = str(REPO / "models" / "ser-cnn-lstm-ravdess")
    assert list(app.load_models(folder)) == [MODEL_1]
    with pytest.raises(app.ModelLoadError, match="no-such-folder"):
        app.load_models("./no-such-folder")


@pytest.mark.real_data
@pytest.mark.parametrize(
    "name,folder", [(MODEL_2, "ser-cnn-bilstm-attention-ravdess"), (MODEL_1, "ser-cnn-lstm-ravdess")]
)
def test_api_gives_the_packages_probabilities(client, ravdess_files, name, folder):
    path = ravdess_files[100]
    label_output, mel, attention, timeline, summary = client.predict(
        gradio_client.handle_file(str(path)), name, api_name="/predict"
    )
    scores = _confidences(label_output)
    expected = _expected(path, folder)
    assert set(scores) == set(expected) and len(scores) == 8
    np.testing.assert_allclose([scores[k] for k in expected], list(expected.values()), atol=1e-5)
    assert label_output["label"] == max(expected, key=expected.get)
    assert _plot(mel) is not None and _plot(timeline) is None
    assert (_plot(attention) is not None) == (name == MODEL_2)
    assert label_output["label"] in summary


def test_api_long_recording_gets_a_timeline(client, tmp_path):
    path = tmp_path / "long.wav"
    sf.write(path, np.concatenate([synthetic_speech(3.0, seed=s) for s in range(5)]), 16000)
    label_output, mel, attention, timeline, summary = client.predict(
        gradio_client.handle_file(str(path)), MODEL_2, api_name="/predict"
    )
    assert _plot(timeline) is not None and _plot(mel) is not None and _plot(attention) is None
    assert "windows over 15.0 s" in summary
    assert len(label_output["confidences"]) == 8
    assert abs(sum(c["confidence"] for c in label_output["confidences"]) - 1) < 1e-4


@pytest.mark.parametrize(
    "content,message",
    [
        (b"this is not audio", "not a readable audio file"),
        (b"", "not a readable audio file"),
    ],
)
def test_api_non_audio_gets_a_message(client, tmp_path, content, message):
    path = tmp_path / "recording.wav"
    path.write_bytes(content)
    with pytest.raises(gradio_client.exceptions.AppError, match=message) as caught:
        client.predict(gradio_client.handle_file(str(path)), MODEL_1, api_name="/predict")
    text = str(caught.value)
    assert "recording.wav" in text and "Traceback" not in text and str(tmp_path) not in text


def test_api_silent_recording_gets_a_message(client, tmp_path):
    path = tmp_path / "silence.wav"
    sf.write(path, np.zeros(32000, dtype=np.float32), 16000)
    with pytest.raises(gradio_client.exceptions.AppError, match="silent"):
        client.predict(gradio_client.handle_file(str(path)), MODEL_2, api_name="/predict")


def test_api_no_speech_gets_a_message(client, tmp_path, capfd):
    """... and a user's mistake leaves no traceback in the server's log."""
    path = tmp_path / "tone.wav"
    sf.write(path, (0.5 * np.sin(2 * np.pi * 440 * np.arange(32000) / 16000)).astype(np.float32), 16000)
    capfd.readouterr()
    with pytest.raises(gradio_client.exceptions.AppError, match="Cannot use tone.wav: no speech found"):
        client.predict(gradio_client.handle_file(str(path)), MODEL_2, api_name="/predict")
    assert "Traceback" not in capfd.readouterr().err


def test_api_too_long_gets_a_message(client, tmp_path, monkeypatch):
    monkeypatch.setattr(app, "MAX_SECONDS", 5.0)
    path = tmp_path / "long.flac"
    sf.write(path, synthetic_speech(8.0), 16000)
    with pytest.raises(
        gradio_client.exceptions.AppError, match=r"long.flac is 8 s long; this demo takes recordings up to 5 s"
    ):
        client.predict(gradio_client.handle_file(str(path)), MODEL_2, api_name="/predict")


def test_api_oversized_upload_is_refused(server, client, tmp_path):
    """Over 50 MB: the server answers 413 with a sentence, and gradio_client refuses before sending."""
    import httpx

    path = tmp_path / "huge.wav"  # 60 MB
    sf.write(path, np.zeros(30_000_000, dtype=np.int16), 16000, subtype="PCM_16")
    with path.open("rb") as handle:
        response = httpx.post(
            server + "gradio_api/upload", files={"files": ("huge.wav", handle, "audio/wav")}, timeout=120
        )
    assert response.status_code == 413
    assert "maximum allowed size" in response.text and "Traceback" not in response.text
    with pytest.raises(ValueError, match="exceeds the maximum file size"):
        client.predict(gradio_client.handle_file(str(path)), MODEL_2, api_name="/predict")


def test_api_no_audio_gets_a_message(client):
    with pytest.raises(gradio_client.exceptions.AppError, match="Upload an audio file or record"):
        client.predict(None, MODEL_2, api_name="/predict")


def test_twenty_concurrent_requests_are_all_answered_correctly(server, tmp_path):
    """20 users at once through the queue: every answer is the one that user's file gets alone."""
    paths = []
    for seed in range(20):
        path = tmp_path / f"user{seed}.wav"
        sf.write(path, synthetic_speech(2.0 + 0.1 * seed, seed=seed), 16000)
        paths.append(path)
    names = [MODEL_2 if i % 2 == 0 else MODEL_1 for i in range(20)]
    folders = {MODEL_2: "ser-cnn-bilstm-attention-ravdess", MODEL_1: "ser-cnn-lstm-ravdess"}

    def ask(i: int) -> dict:
        user = gradio_client.Client(server, verbose=False)
        return user.predict(gradio_client.handle_file(str(paths[i])), names[i], api_name="/predict")[0]

    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(ask, range(20)))
    for i, answer in enumerate(answers):
        expected = _expected(paths[i], folders[names[i]])
        scores = _confidences(answer)
        np.testing.assert_allclose(
            [scores[k] for k in expected], list(expected.values()), atol=1e-5, err_msg=f"user {i}"
        )


@pytest.mark.real_data
@pytest.mark.slow
@pytest.mark.needs_chromium
def test_browser_upload_and_read_the_probabilities(server, ravdess_files):
    """Needs the system binary chromium (Debian's package; no browser download): CI installs it."""
    chromium = require_binary("chromium")
    from playwright import sync_api

    path = ravdess_files[200]
    expected = _expected(path, "ser-cnn-bilstm-attention-ravdess")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-default-apps",
                "--no-first-run",
            ],
        )
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            page.goto(server, wait_until="networkidle")
            page.locator("input[type=file]").first.set_input_files(str(path))
            page.get_by_role("button", name="Recognise emotion").click()
            rows = page.locator("[data-testid$='-confidence-set']")
            rows.nth(7).wait_for(timeout=60_000)
            texts = rows.all_inner_texts()
            page.screenshot(path=str(ARTIFACTS / "space-browser.png"), full_page=True)
        finally:
            browser.close()
    shown = {}
    for text in texts:
        label, percent = text.split()[0], text.split()[-1]
        shown[label] = float(percent.rstrip("%")) / 100
    assert set(shown) == set(expected)
    for label, probability in expected.items():
        assert abs(shown[label] - probability) <= 0.006, (label, shown[label], probability)
    assert (ARTIFACTS / "space-browser.png").stat().st_size > 10_000


@pytest.mark.slow
@pytest.mark.needs_chromium
def test_browser_example_clip_and_no_empty_plots(server):
    """A visitor without a microphone clicks an example clip and gets its probabilities; no plot box is
    on the page before a run, and a clip without a timeline shows no timeline box. Needs chromium."""
    chromium = require_binary("chromium")
    from playwright import sync_api

    example = min((REPO / "spaces_app" / "examples").glob("*.flac"))
    expected = _expected(example, "ser-cnn-bilstm-attention-ravdess")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium, headless=True, args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]
        )
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            page.goto(server, wait_until="networkidle")
            plots = (
                "Mel spectrogram",
                "Attention over time (Model 2)",
                "Emotion timeline (recordings longer than a clip)",
            )
            before = {name: page.get_by_text(name, exact=True).count() for name in plots}
            page.get_by_text(example.name).first.click()  # the Examples table lists the clips by name
            page.get_by_role("button", name="Recognise emotion").click()
            rows = page.locator("[data-testid$='-confidence-set']")
            rows.nth(7).wait_for(timeout=60_000)
            texts = rows.all_inner_texts()
            after = {name: page.get_by_text(name, exact=True).count() for name in plots}
            page.screenshot(path=str(ARTIFACTS / "space-example.png"), full_page=True)
        finally:
            browser.close()
    assert before == {name: 0 for name in plots}
    assert after[plots[0]] > 0 and after[plots[1]] > 0 and after[plots[2]] == 0
    shown = {text.split()[0]: float(text.split()[-1].rstrip("%")) / 100 for text in texts}
    for label, probability in expected.items():
        assert abs(shown[label] - probability) <= 0.006, (label, shown[label], probability)
