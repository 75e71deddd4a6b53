"""The capture chain's steps: each a small class with its own options (config `evidence.<step>`), run in config order."""
from __future__ import annotations

import importlib

from alerts.evidence.steps.base import CaptureJob, Step, StepError

# step name → "module:Class"; loaded on demand, so the chain never imports a step it does not run
STEPS: dict[str, str] = {
    "warc": "alerts.evidence.steps.warc:WarcStep",
    "screenshot": "alerts.evidence.steps.screenshot:ScreenshotStep",
    "context": "alerts.evidence.steps.context:ContextStep",
    "environment": "alerts.evidence.steps.environment:EnvironmentStep",
    "sign": "alerts.evidence.steps.sign:SignStep",
}


def build_chain(settings) -> list[Step]:
    """The configured steps, in the configured order."""
    chain = []
    for name in settings.evidence.steps:
        if name not in STEPS:
            raise ValueError(f"evidence.steps: unknown step {name!r}; known: {', '.join(STEPS)}")
        module_name, cls_name = STEPS[name].split(":")
        cls = getattr(importlib.import_module(module_name), cls_name)
        chain.append(cls(settings))
    return chain


__all__ = ["CaptureJob", "Step", "StepError", "STEPS", "build_chain"]
