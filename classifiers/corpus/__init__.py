"""The labelled training corpus: generator, shipped JSONL splits and datasheet."""
