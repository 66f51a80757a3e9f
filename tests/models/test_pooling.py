from __future__ import annotations

import pytest
import torch

from sentiv_hf.models.configuration_sentiv_speech import SentiVSpeechConfig
from sentiv_hf.models.pooling import POOLING_REGISTRY, build_pooling, masked_mean

POOLINGS = ["mean", "stats", "attentive"]


def _loop_reference(name, hidden, lengths, pool):
    """Per-sample pooling of the unpadded frames: what the vectorised masks must reproduce."""
    return torch.stack([pool(hidden[i : i + 1, :n], None)[0] for i, n in enumerate(lengths)])


@pytest.mark.parametrize("name", POOLINGS)
def test_masked_pooling_ignores_padding(name):
    torch.manual_seed(0)
    hidden = torch.randn(3, 7, 4)
    lengths = [7, 4, 1]
    mask = torch.arange(7)[None, :] < torch.tensor(lengths)[:, None]
    pool = build_pooling(name, hidden_size=4, attention_hidden_size=5)
    pooled = pool(hidden, mask)
    assert pooled.shape == (3, pool.output_size)
    assert pool.output_size == (4 if name == "mean" else 8)
    torch.testing.assert_close(pooled, _loop_reference(name, hidden, lengths, pool))
    # garbage in padded frames must not change the result
    noisy = hidden.clone()
    noisy[~mask] = 1e4
    torch.testing.assert_close(pool(noisy, mask), pooled)


def test_stats_pooling_values():
    hidden = torch.tensor([[[1.0], [3.0], [50.0]]])
    pooled = build_pooling("stats", hidden_size=1)(hidden, torch.tensor([[1, 1, 0]]))
    torch.testing.assert_close(pooled, torch.tensor([[2.0, 1.0]]))


def test_masked_mean_over_layers_and_empty_row():
    hidden = torch.ones(2, 3, 4, 5)  # (B, L, T, H)
    mask = torch.tensor([[1, 1, 0, 0], [0, 0, 0, 0]])
    out = masked_mean(hidden, mask)
    assert out.shape == (2, 3, 5)
    assert torch.equal(out[0], torch.ones(3, 5))
    assert torch.equal(out[1], torch.zeros(3, 5))  # no NaN for an all-padding row


def test_registry_names_are_strict():
    assert sorted(POOLING_REGISTRY) == ["attentive", "mean", "stats"]
    with pytest.raises(ValueError, match=r"Unknown pooling 'max'.*\['attentive', 'mean', 'stats'\]"):
        build_pooling("max", hidden_size=4)
    with pytest.raises(ValueError, match="Unknown pooling 'Mean'"):
        SentiVSpeechConfig(pooling="Mean")


def test_mask_shape_mismatch_is_an_error():
    with pytest.raises(ValueError, match="mask has shape"):
        build_pooling("stats", hidden_size=4)(torch.randn(2, 5, 4), torch.ones(2, 6))
