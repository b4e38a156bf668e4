"""Settings from the environment and a .env file."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

TELEGRAM_API = "https://api.telegram.org"


class Settings(BaseSettings):
    """Everything the operator configures; names match the environment variables."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    bot_token: SecretStr | None = None
    database_url: str = "sqlite:///khoroo-bot.db"
    telegram_api_url: str = TELEGRAM_API
    admin_ids: Annotated[frozenset[int], NoDecode] = frozenset()
    default_language: str = "mn"
    webhook_url: str | None = None  # public HTTPS URL Telegram posts to, e.g. behind a proxy
    webhook_secret: SecretStr | None = None
    webhook_host: str = "127.0.0.1"
    webhook_port: int = Field(8080, ge=1, le=65535)
    console_user_id: int = 1
    # Quick votes: the projector page's server, the public address put in its links (default:
    # http://host:port), how often a results message may be edited, and the auto-close check.
    projector_host: str = "127.0.0.1"
    projector_port: int = Field(8081, ge=1, le=65535)
    projector_url: str | None = None
    live_results_interval: float = Field(2.5, ge=0)
    vote_close_check: float = Field(5.0, gt=0)
    # Flood control: more than FLOOD_LIMIT updates from one user within FLOOD_WINDOW
    # seconds gets one 'slow down' and FLOOD_PAUSE seconds of silence.
    flood_limit: int = Field(25, ge=1)
    flood_window: float = Field(10.0, gt=0)
    flood_pause: float = Field(20.0, ge=0)
    # Announcements: the senders' overall pace together (Telegram allows about 30 a second;
    # the rest is left for interactive answers), deliveries claimed at once and sent at once,
    # retries of 5xx/network errors (with doubling pauses), how long a claimed delivery is
    # held before another sender may take it, how often the outbox is checked when idle and
    # the admin's progress message edited, and the contest reminders (days before deadline).
    sender_rate: float = Field(25.0, gt=0)
    sender_batch: int = Field(25, ge=1)
    sender_in_flight: int = Field(8, ge=1)
    sender_attempts: int = Field(5, ge=1)
    sender_backoff: float = Field(2.0, ge=0)
    sender_lease: float = Field(120.0, gt=0)
    sender_idle: float = Field(2.0, gt=0)
    sender_progress: float = Field(3.0, ge=0)
    contest_check: float = Field(60.0, gt=0)
    reminder_days: Annotated[tuple[int, ...], NoDecode] = (7, 1)
    # Adoption reminders: days after a khoroo adopts a practice to ask for a progress report
    # and for an evaluation, and how often (seconds) the worker looks for due reminders.
    adoption_report_days: float = Field(30.0, gt=0)
    adoption_evaluate_days: float = Field(90.0, gt=0)
    reminder_check: float = Field(600.0, gt=0)
    # Reviewers are reminded of practices waiting longer than this many days, once a day.
    review_remind_days: float = Field(3.0, gt=0)
    # Officers of a vote's targeted khoroos who have not voted are reminded this many minutes
    # before it closes, once; the worker looks every VOTE_REMIND_CHECK seconds.
    vote_remind_before: float = Field(30.0, gt=0)
    vote_remind_check: float = Field(60.0, gt=0)
    # How often (seconds) the search index picks up practices changed by other processes.
    library_sync: float = Field(5.0, gt=0)

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [p.strip() for p in value.replace(";", ",").split(",")]
            return frozenset(int(p) for p in parts if p)
        return value

    @field_validator("reminder_days", mode="before")
    @classmethod
    def _split_days(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(sorted({int(p) for p in value.replace(";", ",").split(",") if p.strip()}))
        return value

    @field_validator("default_language")
    @classmethod
    def _known_language(cls, value: str) -> str:
        if value not in {"mn", "en"}:
            raise ValueError("DEFAULT_LANGUAGE must be mn or en")
        return value

    @field_validator("telegram_api_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    def projector_base(self) -> str:
        """Return the projector page's public base address."""
        return (self.projector_url or f"http://{self.projector_host}:{self.projector_port}").rstrip(
            "/"
        )

    def token(self) -> str:
        """Return the bot token, or explain to the operator how to set it."""
        if self.bot_token is None or not self.bot_token.get_secret_value().strip():
            raise SystemExit(
                "BOT_TOKEN is not set. Put it in the environment or in .env "
                "(from @BotFather), or try `khoroo-bot chat`, which needs no token."
            )
        return self.bot_token.get_secret_value().strip()
