"""The `saigawatch` command: a root group with options, and subcommands discovered in saigawatch.commands."""
from __future__ import annotations

import importlib
import importlib.metadata
import logging
import pkgutil
import sys
import traceback
from pathlib import Path

import click

import saigawatch.commands
from config import ConfigError
from saigawatch import __version__
from saigawatch.context import AppContext
from store import StoreError
from store.private import private_umask

NOISY_LOGGERS = ("scrapy", "asyncio", "filelock", "urllib3", "httpx", "httpcore", "alembic", "jieba",
                 "matplotlib", "PIL", "fontTools", "twisted", "py.warnings")


@click.group(name="saigawatch", context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "-c", "config", type=click.Path(path_type=Path), envvar="SAIGAWATCH_CONFIG",
              help="Config YAML file (default: the shipped config/saigawatch.yaml; env SAIGAWATCH_CONFIG).")
@click.option("--verbose", "-v", is_flag=True, help="Show debug logs and full tracebacks on errors.")
@click.version_option(__version__, prog_name="saigawatch")
@click.pass_context
def app(ctx: click.Context, config: Path | None, verbose: bool) -> None:
    """SaigaWatch: find online sales of Saiga antelope horn and turn them into evidence."""
    ctx.obj = AppContext(config_path=config, verbose=verbose)
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    for noisy in NOISY_LOGGERS:
        logging.getLogger(noisy).setLevel(logging.DEBUG if verbose else logging.WARNING)


def _register_commands() -> None:
    """Each module in saigawatch/commands/ adds its commands through `register(app)`; so does each installed
    `saigawatch.commands` entry point (a plug-in package, such as the demo marketplace's `saigawatch demo`)."""
    for info in sorted(pkgutil.iter_modules(saigawatch.commands.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"saigawatch.commands.{info.name}")
        module.register(app)
    for entry in sorted(importlib.metadata.entry_points(group="saigawatch.commands"), key=lambda e: e.name):
        try:
            entry.load()(app)
        except ImportError:  # the plug-in's package is not importable here (an install without it)
            logging.getLogger("saigawatch").debug("command plug-in %s not loaded", entry.name, exc_info=True)


_register_commands()


def main(argv: list[str] | None = None) -> int:
    """Entry point: one clear line and a non-zero status on errors; tracebacks only with --verbose."""
    args = sys.argv[1:] if argv is None else list(argv)
    private_umask()  # databases, logs, captures, bundles, backups and keys: 0600 files in 0700 folders
    verbose = "--verbose" in args or "-v" in args
    try:
        result = app.main(args=args, standalone_mode=False, prog_name="saigawatch")
        return result if isinstance(result, int) else 0
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        return 130
    except click.ClickException as exc:
        if verbose:
            traceback.print_exc()
        exc.show()
        return exc.exit_code
    except (ConfigError, StoreError) as exc:
        if verbose:
            traceback.print_exc()
        click.echo(f"error: {exc}", err=True)
        return 2
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        return 130
    except Exception as exc:  # noqa: BLE001 - the one place that turns crashes into one line
        if verbose:
            traceback.print_exc()
        click.echo(f"error: {type(exc).__name__}: {exc} (run with --verbose for details)", err=True)
        return 1


if __name__ == "__main__":
    sys.exit(main())
