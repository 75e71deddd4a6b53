"""Which spider crawls a source: the spider registry, source selection and the checks before any request."""
from __future__ import annotations

import importlib
import inspect
import logging
import pkgutil
from urllib.parse import urlsplit

from config import Settings
from config.schema import SourceSettings
from crawler.errors import CrawlConfigError

log = logging.getLogger("saigawatch.crawler")


def spider_registry() -> dict[str, type]:
    """Spider name → class, from every module in crawler/spiders (a broken module is logged and skipped)."""
    import crawler.spiders as package
    from crawler.spiders.base import SaigaSpider

    found: dict[str, type] = {}
    for info in pkgutil.iter_modules(package.__path__):
        if info.name.startswith("_") or info.name == "base":
            continue
        try:
            module = importlib.import_module(f"{package.__name__}.{info.name}")
        except Exception:  # noqa: BLE001 - one broken platform must not stop the others
            log.exception("spider module %s failed to import", info.name)
            continue
        for obj in vars(module).values():
            if (inspect.isclass(obj) and issubclass(obj, SaigaSpider) and obj.__module__ == module.__name__
                    and obj.name):
                found[obj.name] = obj
    return found


def spider_for(source: SourceSettings, registry: dict[str, type] | None = None) -> type:
    """The spider class of a source: `<platform>_<site>` when the source names a site, else `<platform>`."""
    registry = registry if registry is not None else spider_registry()
    names = [f"{source.platform}_{source.site}"] if source.site else []
    names.append(source.platform)
    for name in names:
        if name in registry:
            return registry[name]
    raise CrawlConfigError(
        f"source {source.name!r}: no spider for platform {source.platform!r}"
        + (f" site {source.site!r}" if source.site else "")
        + f" (looked for {', '.join(names)}; available: {', '.join(sorted(registry)) or 'none'})")


def select_sources(settings: Settings, names: list[str] | None) -> list[SourceSettings]:
    """Named sources (even if disabled), or every enabled source."""
    if not names:
        return [s for s in settings.sources if s.enabled]
    out = []
    for name in names:
        try:
            out.append(settings.source(name))
        except KeyError:
            known = ", ".join(s.name for s in settings.sources) or "none"
            raise CrawlConfigError(f"unknown source {name!r}; configured sources: {known}") from None
    return out


def validate_sources(sources: list[SourceSettings]) -> None:
    """Raise CrawlConfigError (naming source and key) for the first source that cannot be crawled."""
    problems = source_problems(sources)
    if problems:
        raise CrawlConfigError(next(iter(problems.values())))


def source_problems(sources: list[SourceSettings]) -> dict[str, str]:
    """Source name → why it cannot be crawled (no spider for its platform, invalid options); empty when all can."""
    registry = spider_registry()
    problems: dict[str, str] = {}
    for source in sources:
        try:
            cls = spider_for(source, registry)
            check = getattr(cls, "validate_source", None)
            if check is not None:
                check(source)  # raises CrawlConfigError naming the source and key
        except CrawlConfigError as exc:
            problems[source.name] = str(exc)
    return problems


def domain_of(source: SourceSettings, cls: type) -> str:
    url = source.base_url or getattr(cls, "default_base_url", "") or source.name
    return urlsplit(url).netloc or url
