"""Sites described in configuration: the readers, value conversions and parser behind the `site` platform."""
