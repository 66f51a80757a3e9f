"""The ``sentiv_emotion`` evaluate module; load it with ``sentiv_hf.metrics.load_metric()``."""
