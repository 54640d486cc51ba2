"""Unit tests of the shared `utils` package."""

import json
import random
import sys

import numpy as np
import pytest
import torch

import utils
from utils import claims

explore_module = sys.modules["utils.explore"]  # `utils.explore` itself is the function


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    for var in ("REPRO_SCALE", "REPRO_SEED", "CI", "REPRO_ABLATE", "REPRO_RECORD_ONLY", "REPRO_THREADS"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("REPRO_QUIET", "1")
    monkeypatch.setenv("REPRO_LEDGER_DIR", str(tmp_path / "ledger"))


# --- setup -------------------------------------------------------------------------------------------------------


def test_setup_defaults_print_one_line(capsys):
    run = utils.setup("demo", ci=dict(steps=10), full=dict(steps=1000))
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and "scale ci" in out[0] and "seed 0" in out[0] and torch.__version__ in out[0]
    assert run.scale == "ci" and run.seed == 0 and run.sizes.steps == 10
    assert str(run.device) in ("cpu", "cuda")
    assert torch.are_deterministic_algorithms_enabled()


def test_full_scale_overrides_and_keeps_ci_keys(monkeypatch):
    monkeypatch.setenv("REPRO_SCALE", "full")
    run = utils.setup("demo", ci=dict(steps=10, width=4), full=dict(steps=1000), quiet=True)
    assert run.sizes.steps == 1000 and run.sizes.width == 4


def test_full_only_key_is_an_error(monkeypatch):
    monkeypatch.setenv("REPRO_SCALE", "full")
    with pytest.raises(KeyError, match="width"):
        utils.setup("demo", ci=dict(steps=1), full=dict(width=2), quiet=True)


def test_unknown_scale_names_valid_values(monkeypatch):
    monkeypatch.setenv("REPRO_SCALE", "huge")
    with pytest.raises(ValueError, match="ci, full"):
        utils.setup("demo", quiet=True)


def test_non_integer_seed_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("REPRO_SEED", "abc")
    with pytest.raises(ValueError, match="not an integer"):
        utils.setup("demo", quiet=True)


def test_seed_makes_all_generators_repeat(monkeypatch):
    monkeypatch.setenv("REPRO_SEED", "7")
    draws = []
    for _ in range(2):
        run = utils.setup("demo", quiet=True)
        draws.append((random.random(), np.random.rand(), torch.rand(1).item(), run.rng(1).random(),
                      torch.rand(1, generator=run.generator(1)).item()))
    assert draws[0] == draws[1] and run.seed == 7


# --- claims ------------------------------------------------------------------------------------------------------


def test_claim_pass_prints_and_records(tmp_path, capsys):
    utils.setup("chap", quiet=True)
    utils.check_claim("gap", 0.9, ">=", 0.5, paper=0.95)
    assert "PASS" in capsys.readouterr().out
    record = json.loads((tmp_path / "ledger" / "chap.json").read_text())["gap"]
    assert record["passed"] and record["measured"] == 0.9 and record["paper"] == 0.95
    assert record["seed"] == 0 and record["scale"] == "ci" and record["elapsed_s"] >= 0 and record["kind"] == "claim"


def test_claim_failure_raises_and_is_recorded(tmp_path):
    utils.setup("chap", quiet=True)
    with pytest.raises(AssertionError, match="'gap' failed: measured 0.1 is not >= 0.5"):
        utils.check_claim("gap", 0.1, ">=", 0.5)
    assert not json.loads((tmp_path / "ledger" / "chap.json").read_text())["gap"]["passed"]


@pytest.mark.parametrize("relation,value,ok", [("<", 1, True), ("<", 2, False), ("<=", 2, True), (">", 2, False)])
def test_relations(relation, value, ok):
    if ok:
        utils.check_claim("r", value, relation, 2)
    else:
        with pytest.raises(AssertionError):
            utils.check_claim("r", value, relation, 2)


def test_nan_fails_and_bad_relation_is_rejected():
    with pytest.raises(AssertionError):
        utils.check_claim("nan", float("nan"), ">=", 0)
    with pytest.raises(ValueError, match="relation"):
        utils.check_claim("bad", 1, "==", 1)


def test_control_must_fail(tmp_path):
    utils.setup("chap", quiet=True)
    utils.check_fails("ablation", 0.1, ">=", 0.5)
    record = json.loads((tmp_path / "ledger" / "chap.json").read_text())["ablation"]
    assert record["kind"] == "control" and record["passed"]
    with pytest.raises(AssertionError, match="cannot fail"):
        utils.check_fails("ablation", 0.9, ">=", 0.5)


def test_reported_claim_is_recorded_and_never_raises(tmp_path, capsys):
    utils.setup("chap", quiet=True)
    assert utils.report_claim("faithfulness gain", 0.05, ">=", 0.2, paper="better") is False
    assert utils.report_claim("other", 0.5, ">=", 0.2) is True
    records = json.loads((tmp_path / "ledger" / "chap.json").read_text())
    assert records["faithfulness gain"]["kind"] == "reported" and not records["faithfulness gain"]["passed"]
    assert "reported | faithfulness gain" in capsys.readouterr().out


def test_ledger_root_found_from_a_chapter_folder(monkeypatch, tmp_path):
    (tmp_path / "book" / "utils").mkdir(parents=True)
    (tmp_path / "book" / "_toc.yml").write_text("root: intro\n")
    (tmp_path / "book" / "chapters" / "p").mkdir(parents=True)
    monkeypatch.delenv("REPRO_LEDGER_DIR")
    monkeypatch.chdir(tmp_path / "book" / "chapters" / "p")
    assert claims.ledger_dir() == (tmp_path / "book" / "_build" / "ledger").resolve()
    monkeypatch.chdir(tmp_path)
    assert claims.ledger_dir() is None


# --- data --------------------------------------------------------------------------------------------------------


def test_digits_split_is_fixed_and_shaped():
    a, b = utils.digits_tensors(), utils.digits_tensors(images=True)
    assert a["X_train"].shape == (1348, 64) and a["X_test"].shape == (449, 64)
    assert b["X_train"].shape == (1348, 1, 8, 8)
    assert torch.equal(a["y_test"], b["y_test"]) and 0 <= a["X_train"].min() and a["X_train"].max() <= 1


def test_mnist1d_is_deterministic_and_leaves_global_rngs_alone():
    random.seed(1)
    np.random.seed(1)
    expected = (random.random(), np.random.rand())
    random.seed(1)
    np.random.seed(1)
    data = utils.mnist1d_tensors(num_samples=200)
    assert (random.random(), np.random.rand()) == expected
    assert data["X_train"].shape[1] == 40 and len(data["X_train"]) + len(data["X_test"]) == 200
    assert torch.equal(data["X_train"], utils.mnist1d_tensors(num_samples=200)["X_train"])


def test_minibatches_cover_each_epoch_once():
    X, Y = torch.arange(10.0), torch.arange(10)
    stream = utils.minibatches(X, Y, batch_size=5, generator=torch.Generator().manual_seed(0))
    first = torch.cat([next(stream)[0], next(stream)[0]])
    assert sorted(first.tolist()) == list(range(10))
    with pytest.raises(ValueError):
        next(utils.minibatches(X, Y[:3], batch_size=2))


# --- training loop -----------------------------------------------------------------------------------------------


def test_train_reduces_loss_and_returns_history():
    utils.setup("demo", quiet=True)
    X = torch.randn(256, 3)
    Y = X @ torch.tensor([1.0, -2.0, 0.5]) + 0.3
    model = torch.nn.Linear(3, 1)

    def loss_fn(m, batch):
        x, y = batch
        loss = ((m(x).squeeze(1) - y) ** 2).mean()
        return loss, {"mae": (m(x).squeeze(1) - y).abs().mean().item()}

    history = utils.train(model, loss_fn, utils.minibatches(X, Y, batch_size=32), steps=300, lr=0.05, log_every=10)
    assert history["loss"][-1] < 0.01 * history["loss"][0]
    assert len(history["loss"]) == len(history["mae"]) == len(history["step"]) == 31
    assert history.last("loss", 3) < 0.01 and not model.training


def test_progress_is_silent_when_quiet(capsys):
    assert list(utils.progress(range(3), desc="x")) == [0, 1, 2]
    assert capsys.readouterr().err == ""


# --- explore and plotting ----------------------------------------------------------------------------------------


def _draw(v):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(2, 1.5))
    ax.plot([0, 1], [0, v])
    return fig


def test_static_slider_has_one_frame_per_value():
    html = explore_module.static_slider_html(_draw, [1, 2, 3], "beta", start_index=1)
    assert html.count("<img") == 3 and 'type="range"' in html and html.count("display:block") == 1
    assert "http" not in html  # self-contained: no network needed


def test_explore_is_static_under_tests(monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj: shown.append(obj))
    assert utils.explore(_draw, [1, 2], label="v") is None
    assert len(shown) == 1 and "dlm-explore" in shown[0].data
    with pytest.raises(ValueError):
        utils.explore(_draw, [])


def test_explore_live_builds_a_widget(monkeypatch):
    monkeypatch.setattr("IPython.display.display", lambda *a, **k: None)
    box = utils.explore(_draw, [1, 2, 3], label="v", start=3, live=True)
    assert box.children[0].value == 3


def test_style_has_opaque_white_figures():
    import matplotlib as mpl

    utils.use_style()
    assert mpl.rcParams["savefig.facecolor"] == "white" and not mpl.rcParams["savefig.transparent"]


# --- ablation switch and record-only runs ---------------------------------------------------------------------------


def test_ablation_is_off_by_default_and_named_by_the_switch(monkeypatch):
    declared = {"forward-gate": "σ instead of 1 − σ", "no-skip": "no skip connection"}
    assert utils.setup("demo", ablations=declared, quiet=True).ablate is None
    monkeypatch.setenv("REPRO_ABLATE", "1")
    assert utils.setup("demo", ablations=declared, quiet=True).ablate == "forward-gate"
    monkeypatch.setenv("REPRO_ABLATE", "no-skip")
    assert utils.setup("demo", ablations=declared, quiet=True).ablate == "no-skip"
    monkeypatch.setenv("REPRO_ABLATE", "other")
    with pytest.raises(ValueError, match="forward-gate, no-skip"):
        utils.setup("demo", ablations=declared, quiet=True)
    with pytest.raises(ValueError, match="declares no ablation"):
        utils.setup("demo", quiet=True)


def test_ablated_run_records_checks_without_raising(monkeypatch, tmp_path):
    monkeypatch.setenv("REPRO_ABLATE", "1")
    utils.setup("chap", ablations={"off": "the idea removed"}, quiet=True)
    utils.check_claim("gap", 0.1, ">", 0.5)  # fails, but an ablated run records instead of raising
    utils.check_fails("gap (control)", 0.9, ">", 0.5)
    record = json.loads((tmp_path / "ledger" / "chap.ablate-off.json").read_text())
    assert record["gap"]["passed"] is False and record["gap"]["breaks_with"] == ["off"]
    assert record["gap"]["ablate"] == "off" and record["gap"]["ablations"] == {"off": "the idea removed"}
    assert not (tmp_path / "ledger" / "chap.json").exists(), "an ablated run must not overwrite the chapter's record"


def test_record_only_sweeps_do_not_raise(monkeypatch):
    monkeypatch.setenv("REPRO_RECORD_ONLY", "1")
    utils.setup("chap", quiet=True)
    utils.check_claim("gap", 0.1, ">", 0.5)
    monkeypatch.delenv("REPRO_RECORD_ONLY")
    with pytest.raises(AssertionError):
        utils.check_claim("gap", 0.1, ">", 0.5)


def test_breaks_with_must_name_a_declared_ablation():
    utils.setup("chap", ablations={"off": "x"}, quiet=True)
    with pytest.raises(ValueError, match="undeclared"):
        utils.check_claim("gap", 1.0, ">", 0.5, breaks_with="other")


def test_one_cpu_thread_by_default(monkeypatch):
    utils.setup("demo", quiet=True)
    assert torch.get_num_threads() == 1
    monkeypatch.setenv("REPRO_THREADS", "2")
    utils.setup("demo", quiet=True)
    assert torch.get_num_threads() == 2
    torch.set_num_threads(1)


def test_each_run_starts_its_record_afresh(tmp_path):
    utils.setup("chap", quiet=True)
    utils.check_claim("old name", 1.0, ">", 0.5)
    utils.setup("chap", quiet=True)
    utils.check_claim("new name", 1.0, ">", 0.5)
    assert list(json.loads((tmp_path / "ledger" / "chap.json").read_text())) == ["new name"]


def test_label_edge_band_marks_pixels_near_a_label_change():
    labels = torch.zeros(1, 6, 6, dtype=torch.long)
    labels[:, :, 3:] = 1                                       # a vertical boundary between columns 2 and 3
    band1 = utils.label_edge_band(labels, width=1)[0]
    assert band1[:, 2:4].all() and not band1[:, :2].any() and not band1[:, 4:].any()
    band2 = utils.label_edge_band(labels, width=2)[0]
    assert band2[:, 1:5].all() and not band2[:, 0].any() and not band2[:, 5].any()
    assert not utils.label_edge_band(torch.zeros(2, 4, 4, dtype=torch.long)).any()
