"""Pydantic models for every section of the SaigaWatch configuration."""
from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from config.site_spec import SiteSpec

Platform = Literal["olx", "avito", "xianyu", "telegram", "vk", "weibo", "tieba", "site"]
Lang = Literal["ru", "kk", "zh", "mn", "uz", "uk", "en", "other"]


class Section(BaseModel):
    """Base for config sections: unknown keys are errors, so typos never pass silently."""

    model_config = ConfigDict(extra="forbid")


class StorageSettings(Section):
    database_path: str = "./var/saigawatch.db"
    database_url_env: str = "SAIGAWATCH_DATABASE_URL"
    data_dir: str = "./var"
    warc_max_bytes: int = Field(1_000_000_000, gt=0)

    def database_url(self) -> str:
        """PostgreSQL (or any SQLAlchemy URL) from the environment, else the SQLite file."""
        url = os.environ.get(self.database_url_env)
        if url:
            return url
        return f"sqlite:///{Path(self.database_path).expanduser()}"

    @property
    def data_path(self) -> Path:
        return Path(self.data_dir).expanduser()


class PolitenessSettings(Section):
    user_agent: str = "SaigaWatch/0.1 (+wildlife-trade monitoring; contact: see config)"
    concurrent_requests_per_domain: int = Field(2, ge=1, le=32)
    download_delay: float = Field(1.0, ge=0)
    autothrottle: bool = True
    autothrottle_target_concurrency: float = Field(1.0, gt=0)
    retry_times: int = Field(3, ge=0, le=10)
    download_timeout: float = Field(30, gt=0)
    max_page_bytes: int = Field(10_000_000, gt=0)  # larger answers (or gzip inflating past it) are an error
    obey_robots_txt: bool = True
    autothrottle_max_delay: float = Field(60.0, gt=0)
    retry_backoff_base: float = Field(2.0, ge=0)  # seconds; doubles per retry of a 429/5xx
    retry_backoff_max: float = Field(120.0, ge=0)  # cap, also for a server's Retry-After


class SourceSettings(Section):
    """One crawl source: a platform plus a query, channel, community or forum."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$")
    platform: Platform
    site: str | None = None  # e.g. olx: "kz" | "uz" | "ua"
    enabled: bool = True
    kind: Literal["search", "channel", "community", "forum"] = "search"
    queries: list[str] = Field(default_factory=list)
    channels: list[str] = Field(default_factory=list)
    language: Lang | None = None
    country: str | None = Field(None, pattern=r"^[A-Z]{2}$")  # ISO code for reports; default reports.platform_countries
    base_url: str | None = None  # override of the platform's real address (demo marketplace, tests)
    api_url: str | None = None
    use_api: bool = False
    max_pages: int = Field(5, ge=1, le=100)
    max_age_days: int | None = Field(None, ge=1)
    obey_robots_txt: bool | None = None
    download_delay: float | None = Field(None, ge=0)
    concurrent_requests_per_domain: int | None = Field(None, ge=1, le=32)
    user_agent: str | None = None  # override of crawl.politeness.user_agent
    fetch_listing_pages: bool = True  # False: store what search cards/API give, never open ad pages
    max_rechecks: int = Field(100, ge=0)  # listings gone from the results re-opened per run to detect removal
    credentials_env: str | None = None  # name of the env var holding a token / cookie / session path
    options: dict[str, Any] = Field(default_factory=dict)
    spec: SiteSpec | None = None  # platform `site`: the site described in configuration (see README, "Adding a site")

    @model_validator(mode="after")
    def _needs_target(self) -> "SourceSettings":
        if self.enabled and not self.queries and not self.channels:
            raise ValueError("an enabled source needs 'queries' or 'channels'")
        if self.platform == "site" and self.spec is None:
            raise ValueError("a source with platform 'site' needs a 'spec' describing the site")
        if self.platform != "site" and self.spec is not None:
            raise ValueError(f"'spec' is only for platform 'site', not {self.platform!r}")
        return self


class CrawlSettings(Section):
    politeness: PolitenessSettings = Field(default_factory=PolitenessSettings)
    download_images: bool = True
    max_image_bytes: int = Field(8_000_000, gt=0)
    max_photos_per_listing: int = Field(10, ge=0)
    recheck_missing_after_days: int = Field(1, ge=0)
    ocr: bool = False
    ocr_languages: str = "rus+kaz+chi_sim"


class ClassifierSettings(Section):
    """The trade classifier: lexicons, where trained models live, and the decision threshold."""

    lexicon_dir: str | None = None  # None: the shipped config/lexicons; relative: to the YAML file that sets it
    model_dir: str = "./var/models"  # versions written by `saigawatch train`; the shipped model is used until then
    threshold: float | None = Field(None, ge=0, le=1)  # None: the threshold chosen on the dev split, stored with the model
    low_priority_categories: list[Literal["firearm", "souvenir", "news", "conservation", "other-horn", "other-species",
                                          "medicine", "irrelevant"]] = Field(
        default_factory=lambda: ["medicine"])
    max_text_chars: int = Field(20_000, ge=100)  # longer texts are cut (the explanation says so)
    batch_size: int = Field(256, ge=1, le=10_000)


class BrowserSettings(Section):
    """The Debian chromium that Playwright drives for evidence screenshots (never a downloaded browser)."""

    executable_path: str = "/usr/bin/chromium"
    headless: bool = True
    args: list[str] = Field(default_factory=lambda: [
        "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"])
    user_agent: str | None = None  # None: chromium's own user agent
    viewport_width: int = Field(1280, ge=320, le=4096)
    viewport_height: int = Field(900, ge=240, le=4096)
    locale: str = "ru-RU"


EvidenceStep = Literal["warc", "screenshot", "context", "environment", "sign"]


class WarcStepOptions(Section):
    """Step `warc`: copy the crawl's stored HTTP responses (page, API, photos) into the capture."""

    include_photos: bool = True
    max_records: int = Field(200, ge=1)


class ScreenshotStepOptions(Section):
    """Step `screenshot`: the browser capture (full-page PNG with URL/time banner, rendered DOM, optional PDF)."""

    full_page: bool = True
    pdf: bool = False
    timeout_s: float = Field(30, gt=0)
    wait_until: Literal["load", "domcontentloaded", "networkidle"] = "load"
    settle_ms: int = Field(500, ge=0, le=30_000)  # extra wait for late scripts after the load event
    max_height_px: int = Field(20_000, ge=500)  # taller pages are cut (recorded in the step result)
    concurrency: int = Field(4, ge=1, le=16)  # pages captured at once in the one browser context (memory bound)


class ContextStepOptions(Section):
    """Step `context`: the search/channel page that surfaced the listing and the seller's other listings."""

    search_page: bool = True
    seller_listings: bool = True
    max_seller_listings: int = Field(200, ge=0)


class SignStepOptions(Section):
    """Step `sign`: manifest of sha256 hashes, ECDSA P-384 signature, optional RFC 3161 timestamp."""

    require_signature: bool = True  # a missing key fails the step (the manifest is still written)
    timestamp: bool = True  # ask evidence.tsa_url for a token when it is set


class EvidenceSettings(Section):
    enabled: bool = True
    steps: list[EvidenceStep] = Field(default_factory=lambda: ["warc", "screenshot", "context", "environment", "sign"])
    warc: WarcStepOptions = Field(default_factory=WarcStepOptions)
    screenshot: ScreenshotStepOptions = Field(default_factory=ScreenshotStepOptions)
    context: ContextStepOptions = Field(default_factory=ContextStepOptions)
    sign: SignStepOptions = Field(default_factory=SignStepOptions)
    max_captures_per_run: int = Field(200, ge=0)
    signing_key_path: str = "~/.config/saigawatch/signing_key.pem"
    tsa_url: str | None = None
    tsa_ca_file: str | None = None  # PEM of the TSA certificate(s) trusted to check tokens (never taken from a bundle)
    trusted_keys: list[str] = Field(default_factory=list)  # signing-key fingerprints `evidence verify` trusts
    operator_names: dict[str, str] = Field(default_factory=dict)  # login -> full name on screenshots and reports
    tsa_timeout_s: float = Field(20, gt=0)
    organisation: str = "Example Wildlife NGO"
    organisation_address: str = ""
    organisation_contact: str = ""
    signatory: str = ""  # the person who signs appeals, e.g. "Директор И. И. Иванов"
    default_country: Literal["KZ", "RU", "MN", "UZ"] = "KZ"
    export_dir: str = "./var/exports"
    report_language: Literal["ru", "kk"] = "ru"  # default for exports: ru, or kk for Kazakh as well as Russian
    max_member_bytes: int = Field(200_000_000, gt=0)
    max_bundle_bytes: int = Field(4_000_000_000, gt=0)
    liveness_enabled: bool = True
    liveness_max_per_run: int = Field(500, ge=0)
    liveness_timeout_s: float = Field(20, gt=0)
    liveness_delay_s: float = Field(1.0, ge=0)  # pause between two re-checks on the same host
    liveness_confirmed_only_after_days: int = Field(30, ge=1)  # flagged but never confirmed: stop after N days

    @field_validator("steps")
    @classmethod
    def _unique_steps(cls, v: list[str]) -> list[str]:
        dupes = sorted({s for s in v if v.count(s) > 1})
        if dupes:
            raise ValueError(f"step(s) listed twice: {', '.join(dupes)}")
        if "sign" in v and v[-1] != "sign":
            raise ValueError("'sign' must be the last step: it seals the files the other steps wrote")
        return v


class LawEntry(Section):
    """One legal basis for an appeal, in force for `country` from `effective_from` (until `effective_to`, exclusive)."""

    country: Literal["KZ", "RU", "MN", "UZ"]
    article: str
    title: str
    effective_from: dt.date
    effective_to: dt.date | None = None
    authority: str = ""
    article_kk: str | None = None  # the article's name in Kazakh for Kazakh reports
    title_kk: str | None = None
    authority_kk: str | None = None

    @model_validator(mode="after")
    def _dates_in_order(self) -> "LawEntry":
        if self.effective_to is not None and self.effective_to <= self.effective_from:
            raise ValueError("effective_to must be after effective_from")
        return self


class WebSettings(Section):
    """The analyst review UI (`saigawatch serve`)."""

    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    secret_key_env: str = "SAIGAWATCH_SECRET_KEY"  # unset: a key is generated once in data_dir (0600)
    public_url: str | None = None  # https://... makes session cookies Secure
    session_max_age_s: int = Field(12 * 3600, gt=0)
    login_attempts_per_minute: int = Field(5, ge=1)  # failed logins that lock one account for a minute
    login_slowdown_max_s: float = Field(5.0, ge=0, le=60)  # longest wait put on an address that keeps failing
    # Reverse proxies whose X-Forwarded-For is believed (addresses or networks); empty: the peer address is the
    # client. Behind the recommended proxy set it to that proxy, e.g. ["127.0.0.1"].
    trusted_proxies: list[str] = Field(default_factory=list)
    page_size: int = Field(50, ge=5, le=500)
    timezone: str = "Asia/Almaty"  # dates are stored in UTC and shown in this zone
    default_language: Literal["ru", "en", "kk"] = "ru"

    @field_validator("trusted_proxies")
    @classmethod
    def _proxy_networks(cls, v: list[str]) -> list[str]:
        import ipaddress

        for entry in v:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(f"{entry!r} is not an IP address or network such as 127.0.0.1 or 10.0.0.0/8") from None
        return v

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, v: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("expected an IANA time zone such as 'Asia/Almaty' or 'UTC'") from None
        return v


class SmtpSettings(Section):
    """Email digest over SMTP; the login comes from the environment, never from the file."""

    enabled: bool = False
    host: str = "127.0.0.1"
    port: int = Field(25, ge=1, le=65535)
    security: Literal["none", "starttls", "ssl"] = "none"
    username_env: str = "SAIGAWATCH_SMTP_USER"
    password_env: str = "SAIGAWATCH_SMTP_PASSWORD"
    ca_file: str | None = None  # extra CA bundle (PEM) to trust, e.g. a private mail server's certificate
    timeout_s: float = Field(30, gt=0)
    sender: str = "saigawatch@localhost"
    recipients: list[str] = Field(default_factory=list)
    subject_prefix: str = "[SaigaWatch]"

    @model_validator(mode="after")
    def _needs_recipients(self) -> "SmtpSettings":
        if self.enabled and not self.recipients:
            raise ValueError("email digest is enabled but 'recipients' is empty")
        return self


class TelegramBotSettings(Section):
    """A Telegram bot that posts the digest into a chat; the token comes from the environment."""

    enabled: bool = False
    api_base: str = "https://api.telegram.org"
    token_env: str = "SAIGAWATCH_TELEGRAM_BOT_TOKEN"
    chat_id: str = ""
    timeout_s: float = Field(30, gt=0)

    @model_validator(mode="after")
    def _needs_chat(self) -> "TelegramBotSettings":
        if self.enabled and not self.chat_id:
            raise ValueError("telegram notifications are enabled but 'chat_id' is empty")
        return self


class WebhookSettings(Section):
    """A generic JSON webhook: the digest is POSTed as JSON, optionally HMAC-signed."""

    enabled: bool = False
    url: str = ""
    secret_env: str = "SAIGAWATCH_WEBHOOK_SECRET"  # if set in the environment: X-SaigaWatch-Signature header
    timeout_s: float = Field(30, gt=0)

    @model_validator(mode="after")
    def _needs_url(self) -> "WebhookSettings":
        if self.enabled and not self.url.startswith(("http://", "https://")):
            raise ValueError("webhook is enabled but 'url' is not an http(s) URL")
        return self


class NotifySettings(Section):
    smtp: SmtpSettings = Field(default_factory=SmtpSettings)
    telegram: TelegramBotSettings = Field(default_factory=TelegramBotSettings)
    webhook: WebhookSettings = Field(default_factory=WebhookSettings)
    top_items: int = Field(10, ge=1, le=100)
    send_when_empty: bool = True  # a daily "nothing new" message proves the schedule is alive
    language: Literal["ru", "kk", "en"] = "ru"  # the digest's language (alerts/notify/translations)


class ScheduleSettings(Section):
    time: str = "06:00"  # UTC; `schedule install` converts it to the server's local time for cron
    log_file: str = "./var/log/saigawatch.log"
    log_max_bytes: int = Field(10_000_000, ge=10_000)
    log_backups: int = Field(10, ge=1, le=1000)
    lock_file: str = "./var/run-daily.lock"
    env_file: str | None = None  # shell file with KEY=value secrets that the cron job loads (chmod 600)
    workdir: str | None = None  # directory cron runs in (relative paths in this config); default: where install ran
    # weekly maintenance job: `backup` (when backup_dir is set) then `retention` (when retention.enabled)
    maintenance_time: str = "03:00"  # UTC
    maintenance_weekday: int = Field(0, ge=0, le=6)  # 0 = Sunday, as in cron
    backup_dir: str | None = None  # where the weekly backup goes; best on another disk
    backup_keep: int = Field(8, ge=1)

    @field_validator("time", "maintenance_time")
    @classmethod
    def _hhmm(cls, v: str) -> str:
        try:
            dt.datetime.strptime(v, "%H:%M")
        except ValueError:
            raise ValueError("expected a time of day as HH:MM") from None
        return v


class HealthSettings(Section):
    trailing_runs: int = Field(7, ge=1)
    min_share_of_average: float = Field(0.3, ge=0, le=1)
    min_runs_for_average: int = Field(2, ge=1)  # fewer earlier runs: only a zero yield raises an alert


class RetentionSettings(Section):
    enabled: bool = True  # the weekly maintenance job purges; `saigawatch retention` works either way
    raw_capture_days: int = Field(90, ge=1)
    skip_files_modified_within_hours: int = Field(24, ge=0)  # never rewrite a WARC file a crawler may still append to


class ReportSettings(Section):
    base_currency: str = "USD"
    currency_rates: dict[str, float] = Field(default_factory=lambda: {"USD": 1.0, "KZT": 0.0021, "RUB": 0.011, "UZS": 0.000079, "CNY": 0.14, "MNT": 0.00029,
                                                                                     "UAH": 0.024, "BYN": 0.30})
    grams_per_horn: float = Field(250.0, gt=0)
    language: Literal["ru", "en"] = "ru"
    platform_countries: dict[str, str] = Field(default_factory=lambda: {
        "olx:kz": "KZ", "olx:uz": "UZ", "olx:ua": "UA", "olx": "KZ", "violity": "UA", "meshok": "RU", "kufar": "BY", "avito": "RU", "vk": "RU", "xianyu": "CN", "weibo": "CN",
        "tieba": "CN", "telegram": "—"})

    @model_validator(mode="after")
    def _base_rate(self) -> "ReportSettings":
        if self.base_currency not in self.currency_rates:
            raise ValueError(f"currency_rates has no rate for the base currency {self.base_currency!r}")
        for cur, rate in self.currency_rates.items():
            if rate <= 0:
                raise ValueError(f"currency_rates.{cur}: a rate must be positive")
        return self


class DistributedSettings(Section):
    """Several machines: crawl, classify and capture workers over Redis (off: the single-machine default)."""

    enabled: bool = False
    redis_url_env: str = "SAIGAWATCH_REDIS_URL"  # e.g. redis://:password@10.0.0.1:6379/0, read from the environment
    crawl_concurrency: int = Field(1, ge=1, le=64)  # crawl jobs one `worker --role crawl` runs at once
    classify_concurrency: int = Field(1, ge=1, le=64)
    capture_concurrency: int = Field(1, ge=1, le=64)
    crawl_parts: int = Field(0, ge=0, le=256)  # crawl jobs per run sharing one frontier; 0 = one per live crawl slot
    job_timeout: int = Field(3600, ge=10)  # seconds one job may run
    retries: int = Field(3, ge=0, le=20)  # a failed or abandoned (worker killed) job is run again up to this often
    heartbeat_seconds: int = Field(5, ge=1, le=300)  # a killed worker's job is retried ~3 heartbeats after it died
    wait: bool = True  # run-daily waits for the workers; false: it returns at once and the workers finish the run

    def redis_url(self) -> str:
        url = os.environ.get(self.redis_url_env)
        if not url:
            raise ValueError(f"distributed mode needs a Redis URL in the environment variable {self.redis_url_env} "
                             f"(config key distributed.redis_url_env)")
        return url


class Settings(Section):
    """The whole configuration."""

    storage: StorageSettings = Field(default_factory=StorageSettings)
    crawl: CrawlSettings = Field(default_factory=CrawlSettings)
    sources: list[SourceSettings] = Field(default_factory=list)
    classifier: ClassifierSettings = Field(default_factory=ClassifierSettings)
    browser: BrowserSettings = Field(default_factory=BrowserSettings)
    evidence: EvidenceSettings = Field(default_factory=EvidenceSettings)
    law: list[LawEntry] = Field(default_factory=list)
    web: WebSettings = Field(default_factory=WebSettings)
    notify: NotifySettings = Field(default_factory=NotifySettings)
    schedule: ScheduleSettings = Field(default_factory=ScheduleSettings)
    health: HealthSettings = Field(default_factory=HealthSettings)
    retention: RetentionSettings = Field(default_factory=RetentionSettings)
    reports: ReportSettings = Field(default_factory=ReportSettings)
    distributed: DistributedSettings = Field(default_factory=DistributedSettings)

    config_path: Path | None = Field(default=None, exclude=True)

    @model_validator(mode="after")
    def _unique_source_names(self) -> "Settings":
        seen: set[str] = set()
        for s in self.sources:
            if s.name in seen:
                raise ValueError(f"duplicate source name {s.name!r}")
            seen.add(s.name)
        return self

    @property
    def config_dir(self) -> Path:
        return self.config_path.parent if self.config_path else Path(__file__).resolve().parent

    def source(self, name: str) -> SourceSettings:
        for s in self.sources:
            if s.name == name:
                return s
        raise KeyError(name)
