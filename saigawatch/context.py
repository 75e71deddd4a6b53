"""The state a CLI command needs: settings, store and verbosity, loaded lazily once."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import click

from config import Settings, load_config
from store import Store
from store.db import check_schema


class UserError(click.ClickException):
    """An error the user can fix; shown as one line, exit status 1."""


@dataclass
class AppContext:
    config_path: Path | None = None
    verbose: bool = False
    _settings: Settings | None = field(default=None, repr=False)
    _store: Store | None = field(default=None, repr=False)

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_config(self.config_path)
        return self._settings

    def store(self, *, initialised: bool = True) -> Store:
        """The database; unless `initialised=False`, fail clearly when `init` was never run."""
        if self._store is None:
            self._store = Store.from_settings(self.settings)
        if initialised:
            check_schema(self._store.engine)
        return self._store


def get_context() -> AppContext:
    ctx = click.get_current_context()
    obj = ctx.find_object(AppContext)
    if obj is None:  # a command invoked without the root callback (tests)
        obj = AppContext()
        ctx.obj = obj
    return obj
