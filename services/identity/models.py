from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, BigInteger, Boolean, DateTime, ForeignKey, String, Text, Uuid, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Account(Base):
    """Every account: an enterprise's main account (login = USCC), its sub-accounts,
    reviewers and admins (login = username), persons (login = the ID number)."""

    __tablename__ = "accounts"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    kind: Mapped[str] = mapped_column(String(20), default="enterprise")
    login: Mapped[str] = mapped_column(String(64), unique=True)
    uscc: Mapped[str | None] = mapped_column(String(18), unique=True, nullable=True)
    # A person's account (kind person): the ID document; login is the normalised number.
    id_type: Mapped[str | None] = mapped_column(String(20), nullable=True)
    id_number: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    enterprise_account_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("accounts.id"), nullable=True, index=True)
    contact_name: Mapped[str] = mapped_column(String(50))
    contact_mobile: Mapped[str | None] = mapped_column(String(11), unique=True, nullable=True)
    email: Mapped[str] = mapped_column(String(254))
    password_hash: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(40))
    permissions: Mapped[list] = mapped_column(JSON, default=list)
    level: Mapped[str | None] = mapped_column(String(20), nullable=True)
    region_code: Mapped[str | None] = mapped_column(String(6), nullable=True)
    email_verified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    totp_secret: Mapped[str | None] = mapped_column(String(64), nullable=True)
    totp_enabled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # The time step of the last accepted code: a code is good once (RFC 6238 §5.2).
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    review_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    # Registration step 2 (enterprise info) is kept by the enterprise service; identity only
    # learns from its event that it was submitted, which registration review requires.
    profile_submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # Registration review is a review case (identity:registration:<id>): the revision last sent
    # (前往修改 sends the next) and whether review has not decided it yet.
    registration_revision: Mapped[int] = mapped_column(default=0)
    registration_case_open: Mapped[bool] = mapped_column(Boolean, default=False)
    registration_case_profile_at: Mapped[datetime | None] = mapped_column(  # step 2 in that revision
        DateTime(timezone=True), nullable=True)
    # Bumped whenever sessions must end (disable, password change): the gateway compares it.
    session_epoch: Mapped[int] = mapped_column(default=0)
    # The form or API idempotency key that created it: a repeated submit gets this account.
    request_key: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class LoginAttempt(Base):
    __tablename__ = "login_attempts"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    login: Mapped[str] = mapped_column(String(64), index=True)
    account_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    ip: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    succeeded: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str] = mapped_column(String(40))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(), index=True)


class AttemptWindow(Base):
    """Attempts (of any outcome) per client IP or account in one fixed window:
    services/identity/attempt_limits.py."""

    __tablename__ = "attempt_windows"

    scope: Mapped[str] = mapped_column(String(10), primary_key=True)
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True, index=True)
    count: Mapped[int] = mapped_column(default=0)


class AccountToken(Base):
    """A single-use link token; only its SHA-256 is stored."""

    __tablename__ = "account_tokens"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("accounts.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(30))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class RecoveryCode(Base):
    __tablename__ = "recovery_codes"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("accounts.id"), index=True)
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
