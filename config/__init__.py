"""Load and validate SaigaWatch's YAML configuration."""
from config.loader import ConfigError, default_config_path, load_config
from config.schema import Settings

__all__ = ["ConfigError", "Settings", "default_config_path", "load_config"]
