"""`sentiv_hf.naming` and `data.loading.dataset_name`: what leaves the machine never holds an absolute path."""

from __future__ import annotations

import pytest

import sentiv_hf
from sentiv_hf.data.loading import dataset_name
from sentiv_hf.naming import public_name, slug, strip_local_paths


@pytest.mark.parametrize(
    ("label", "public"),
    [
        ("/home/me/runs/phobert+/data/hubert (average)", "phobert+hubert (average)"),
        ("vinai/phobert-base", "vinai/phobert-base"),
        ("~/ckpt/", "ckpt"),
        ("C:\\runs\\ckpt (uncertainty)", "ckpt (uncertainty)"),
        ("baseline:tfidf+mfcc", "baseline:tfidf+mfcc"),
    ],
)
def test_strip_local_paths(label, public):
    """Issue 9: absolute local paths in a label are cut to their last component; Hub ids and names are kept."""
    assert strip_local_paths(label) == public


def test_public_name_keeps_hub_ids_and_names_local_folders_by_their_name(tmp_path, monkeypatch):
    (tmp_path / "sentiv-data").mkdir()
    monkeypatch.chdir(tmp_path)
    assert public_name("vinai/phobert-base") == "vinai/phobert-base"
    assert public_name("tiny") == "tiny"
    assert public_name("sentiv-data") == "sentiv-data"
    assert public_name(str(tmp_path / "sentiv-data") + "/") == "sentiv-data"
    assert public_name("/no/such/folder") == "folder"


def test_dataset_name(tmp_path):
    assert dataset_name(None) == dataset_name(str(sentiv_hf.demo_path())) == "sentiv-demo"
    assert dataset_name("org/sentiv") == "org/sentiv"
    assert dataset_name(str(tmp_path)) == tmp_path.name


def test_slug():
    assert [slug(t) for t in ("tiny (average)", "org/SentiV v2", "baseline:tfidf-logreg", "//")] == [
        "tiny_average",
        "org_SentiV_v2",
        "baseline_tfidf-logreg",
        "unnamed",
    ]
