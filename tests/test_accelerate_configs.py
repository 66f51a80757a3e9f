"""Every shipped accelerate config passes `accelerate launch`'s own validation and asks for what the README says."""

from __future__ import annotations

from pathlib import Path

import pytest
from accelerate.commands.launch import _validate_launch_command, launch_command_parser

CONFIG_DIR = Path(__file__).resolve().parents[1] / "accelerate_configs"

EXPECTED = [
    # name, processes, multi-process launch (torchrun), mixed precision
    ("single_gpu", 1, False, "bf16"),
    ("multi_gpu", 8, True, "bf16"),
    ("multi_node", 16, True, "bf16"),
    ("cpu_ddp", 2, True, "no"),
]


@pytest.mark.parametrize(("name", "processes", "multi", "precision"), EXPECTED)
def test_config_validates_like_accelerate_launch(name, processes, multi, precision):
    args = launch_command_parser().parse_args(["--config_file", str(CONFIG_DIR / f"{name}.yaml"), "train.py"])
    args, _, _ = _validate_launch_command(args)
    assert args.num_processes == processes
    assert bool(args.multi_gpu) is multi
    assert args.mixed_precision == precision


def test_cpu_ddp_config_says_how_workers_pick_the_cpu():
    # accelerate does not pass `use_cpu` on to torchrun workers; the config must tell users what does.
    text = (CONFIG_DIR / "cpu_ddp.yaml").read_text()
    assert "ACCELERATE_USE_CPU=1" in text
    assert "use_cpu: true" in text


def test_multi_node_config_documents_every_placeholder():
    text = (CONFIG_DIR / "multi_node.yaml").read_text()
    for placeholder in ("<NUM_MACHINES>", "<MACHINE_RANK", "<MAIN_MACHINE_IP>", "<FREE_PORT"):
        assert placeholder in text
