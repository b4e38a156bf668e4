"""The buttons that open a trainer's tools (templates, nudges) from a vote's or a training's panel.

Only the presses live here, so the panels can show the buttons without importing the flows
that answer them (``handlers.training_templates``, ``handlers.nudges``), which import the panels.
"""

from __future__ import annotations

from typing import Literal

from handlers.callbacks import Callback

# On a vote: the tools menu, clone, save to the bank, reset (asked, then confirmed), target
# khoroos for the deadline reminder.
VoteTool = Literal["menu", "clone", "bank", "reset", "resetok", "target"]
# On a training: the tools menu, clone the training.
TrainingTool = Literal["menu", "clone"]


class VoteToolsPress(Callback, prefix="tpv"):
    """A trainer's press on a vote's tools."""

    vote: int
    action: VoteTool
    # The round a reset's confirmation resets: a second or late press finds it over already.
    round: int | None = None


class TrainingToolsPress(Callback, prefix="tpt"):
    """A trainer's press on a training's tools."""

    training: int
    action: TrainingTool
