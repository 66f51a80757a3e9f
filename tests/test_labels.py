from __future__ import annotations

import pytest

from sentiv_hf.labels import (
    BINARY_LABELS,
    NEGATIVE_EMOTIONS,
    SPEECH_LABELS,
    TEXT_LABELS,
    LabelMapper,
    UnknownLabelError,
    binary_from_multilabel,
    normalize_label_key,
    parse_label_aliases,
    text_to_speech_label,
    to_binary,
)


def test_label_spaces():
    assert TEXT_LABELS == ("Anger", "Disgust", "Enjoyment", "Fear", "Neutral", "Sadness", "Surprise")
    assert SPEECH_LABELS == ("Anger", "Enjoyment", "Fear", "Neutral", "Sadness", "Surprise")
    assert BINARY_LABELS == ("non-negative", "negative")
    assert NEGATIVE_EMOTIONS == {"Anger", "Disgust", "Fear", "Sadness"}


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("anger", "Anger"),
        ("  ENJOYMENT ", "Enjoyment"),
        ("Sad\tness", None),  # inner whitespace is not removed, only collapsed
        ("sadness\n", "Sadness"),
        ("SuRpRiSe", "Surprise"),
    ],
)
def test_text_mapper_is_case_and_whitespace_tolerant(raw, expected):
    mapper = LabelMapper.for_space("text")
    if expected is None:
        with pytest.raises(UnknownLabelError):
            mapper(raw)
    else:
        assert mapper(raw) == expected


def test_normalize_label_key_collapses_whitespace_and_nfc():
    assert normalize_label_key("  Vui   qua\u0301 ") == "vui quá"


def test_aliases_from_cli_specs():
    aliases = parse_label_aliases(["Other=Neutral", " vui = Enjoyment"])
    assert aliases == {"other": "Neutral", "vui": "Enjoyment"}
    mapper = LabelMapper.for_space("text", aliases=aliases)
    assert mapper("OTHER") == "Neutral"
    assert mapper("Vui") == "Enjoyment"
    assert mapper.to_id("other") == TEXT_LABELS.index("Neutral")


@pytest.mark.parametrize("spec", ["Other", "=Neutral", "Other="])
def test_bad_alias_spec(spec):
    with pytest.raises(ValueError, match=r"expected RAW=LABEL, for example 'Other=Neutral'"):
        parse_label_aliases([spec])


def test_alias_to_unknown_label_is_rejected():
    with pytest.raises(UnknownLabelError, match=r"alias 'Other' points to 'Happy'"):
        LabelMapper.for_space("text", aliases={"Other": "Happy"})


def test_unknown_label_message_names_value_and_accepted_labels():
    mapper = LabelMapper.for_space("text")
    with pytest.raises(UnknownLabelError) as info:
        mapper("Joy")
    assert str(info.value) == (
        "Unknown label 'Joy'; accepted labels are ['Anger', 'Disgust', 'Enjoyment', 'Fear', 'Neutral', 'Sadness', "
        "'Surprise'] (case-insensitive). Map other values with --label-alias Joy=<label>."
    )
    with pytest.raises(UnknownLabelError, match=r"^Empty label; accepted labels are"):
        mapper(None)
    with pytest.raises(UnknownLabelError, match=r"^Empty label"):
        mapper(float("nan"))


def test_disgust_maps_to_anger_in_speech_spaces_only():
    assert LabelMapper.for_space("text")("Disgust") == "Disgust"
    assert LabelMapper.for_space("speech")("disgust") == "Anger"
    assert LabelMapper.for_space("multimodal")("DISGUST") == "Anger"
    assert LabelMapper.for_space("speech").to_id("Disgust") == SPEECH_LABELS.index("Anger") == 0
    assert text_to_speech_label("Disgust") == "Anger"
    assert text_to_speech_label("Fear") == "Fear"


def test_unknown_space():
    with pytest.raises(ValueError, match=r"Unknown label space 'audio'; choose one of"):
        LabelMapper.for_space("audio")


def test_binary_mapping_of_every_text_label():
    assert {name: to_binary(name) for name in TEXT_LABELS} == {
        "Anger": "negative",
        "Disgust": "negative",
        "Enjoyment": "non-negative",
        "Fear": "negative",
        "Neutral": "non-negative",
        "Sadness": "negative",
        "Surprise": "non-negative",
    }
    assert LabelMapper.for_space("binary")(" Negative ") == "negative"


def test_binary_from_multilabel():
    assert binary_from_multilabel(["Despair", "Pain"]) == "negative"
    assert binary_from_multilabel([]) == "non-negative"
    assert binary_from_multilabel(["neutral"]) == "non-negative"
    assert binary_from_multilabel(["Neutral", "Grievance"]) == "negative"
    assert binary_from_multilabel(["Enjoyment"]) == "non-negative"
    assert binary_from_multilabel(["surprise", "Neutral"]) == "non-negative"
    assert binary_from_multilabel(["Surprise", "Fear"]) == "negative"
    assert binary_from_multilabel(["Calm"], non_negative=["calm"]) == "non-negative"


def test_binary_from_multilabel_with_negative_labels():
    """Issue 9.13: labels that are not negative types (call types) name the negative ones explicitly."""
    negative = ["Complaint", " grievance "]
    assert binary_from_multilabel(["Thanks", "Inquiry"], negative=negative) == "non-negative"
    assert binary_from_multilabel(["thanks", "COMPLAINT"], negative=negative) == "negative"
    assert binary_from_multilabel(["Grievance"], negative=negative) == "negative"
    assert binary_from_multilabel([], negative=negative) == "non-negative"
    # The default rule would call every one of these negative: only non-negative SentiV emotions are exempt.
    assert binary_from_multilabel(["Thanks"]) == "negative"
