"""`sentiv_hf.hub_errors`: Hub failures as one-line user errors, and tokens scrubbed from every message."""

from __future__ import annotations

import pytest

from sentiv_hf.errors import UserError
from sentiv_hf.hub_errors import hub_access, hub_failure, scrub_secrets


def test_scrub_secrets_removes_passed_env_and_header_tokens(monkeypatch):
    """Issue 9.5: tokens from code, HF_TOKEN and echoed Authorization headers never reach the user."""
    monkeypatch.setenv("HF_TOKEN", "envsecret123")
    text = "code=passedsecret env=envsecret123 headers={'Authorization': 'Bearer hf_AbCdEf123456'} raw hf_Zyx987654"
    scrubbed = scrub_secrets(text, "passedsecret")
    assert scrubbed == "code=*** env=*** headers={'Authorization': 'Bearer ***'} raw ***"


def test_scrub_secrets_covers_the_stored_login(monkeypatch, tmp_path):
    token_file = tmp_path / "token"
    token_file.write_text("storedlogin456")
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.setattr("huggingface_hub.constants.HF_TOKEN_PATH", str(token_file))
    assert scrub_secrets("refused storedlogin456") == "refused ***"


def test_offline_dataset_and_model_fail_at_once_as_one_line(monkeypatch):
    """Issue 9.18: an id that is not cached while HF_HUB_OFFLINE=1 is one line that names offline mode."""
    import datasets
    from transformers import AutoConfig

    for call in (
        lambda: datasets.load_dataset("org/no-such-dataset"),
        lambda: AutoConfig.from_pretrained("org/nomodel"),
    ):
        with pytest.raises(UserError) as raised, hub_access("the thing 'org/x'"):
            call()
        message = str(raised.value)
        assert "\n" not in message
        assert message.startswith("Cannot fetch the thing 'org/x': offline mode is on (HF_HUB_OFFLINE=1)")


def test_http_errors_name_the_status_and_scrub_the_token():
    import httpx2  # the HTTP client huggingface_hub 2 is built on
    from huggingface_hub.errors import HfHubHTTPError

    response = httpx2.Response(401, request=httpx2.Request("POST", "https://huggingface.co/api/repos/create"))
    error = HfHubHTTPError("401 Client Error. Authorization: Bearer hf_secretsecret echoed", response=response)
    failure = hub_failure(error, "the push of org/board")
    assert str(failure) == (
        "The Hub refused the push of org/board (HTTP 401): 401 Client Error. Authorization: Bearer *** echoed; "
        "the token is missing, invalid or lacks access; run `hf auth login`."
    )


def test_other_errors_pass_through_unchanged():
    with pytest.raises(KeyError), hub_access("anything"):
        raise KeyError("not a Hub failure")
    assert hub_failure(ValueError("bad value"), "anything") is None
