"""identity: account kinds and roles, login attempts, single-use tokens, TOTP, audit log

Revision ID: 0003
"""
import sqlalchemy as sa
from alembic import op

from services.common.audit import create_audit_table

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("accounts", sa.Column("kind", sa.String(20), nullable=False,
                                        server_default="enterprise"))
    op.add_column("accounts", sa.Column("login", sa.String(64)))
    op.execute("UPDATE accounts SET login = uscc")
    op.alter_column("accounts", "login", nullable=False)
    op.create_unique_constraint("uq_accounts_login", "accounts", ["login"])
    op.alter_column("accounts", "uscc", nullable=True)
    op.alter_column("accounts", "contact_mobile", nullable=True)
    op.add_column("accounts", sa.Column("enterprise_account_id", sa.Uuid,
                                        sa.ForeignKey("accounts.id"), nullable=True))
    op.create_index("ix_accounts_enterprise_account_id", "accounts", ["enterprise_account_id"])
    op.add_column("accounts", sa.Column("permissions", sa.JSON, nullable=False,
                                        server_default="[]"))
    op.add_column("accounts", sa.Column("level", sa.String(20)))
    op.add_column("accounts", sa.Column("region_code", sa.String(6)))
    op.add_column("accounts", sa.Column("email_verified_at", sa.DateTime(timezone=True)))
    op.add_column("accounts", sa.Column("must_change_password", sa.Boolean, nullable=False,
                                        server_default=sa.false()))
    op.add_column("accounts", sa.Column("totp_secret", sa.String(64)))
    op.add_column("accounts", sa.Column("totp_enabled_at", sa.DateTime(timezone=True)))
    op.add_column("accounts", sa.Column("review_reason", sa.Text))
    op.add_column("accounts", sa.Column("session_epoch", sa.Integer, nullable=False,
                                        server_default="0"))
    op.create_table(
        "login_attempts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("login", sa.String(64), nullable=False, index=True),
        sa.Column("account_id", sa.Uuid),
        sa.Column("ip", sa.String(64), index=True),
        sa.Column("succeeded", sa.Boolean, nullable=False),
        sa.Column("reason", sa.String(40), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now(),
                  index=True),
    )
    op.create_table(
        "account_tokens",
        sa.Column("digest", sa.String(64), primary_key=True),
        sa.Column("account_id", sa.Uuid, sa.ForeignKey("accounts.id"), nullable=False, index=True),
        sa.Column("purpose", sa.String(30), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.now()),
    )
    op.create_table(
        "recovery_codes",
        sa.Column("digest", sa.String(64), primary_key=True),
        sa.Column("account_id", sa.Uuid, sa.ForeignKey("accounts.id"), nullable=False, index=True),
        sa.Column("used_at", sa.DateTime(timezone=True)),
    )
    create_audit_table(op.get_bind())


def downgrade():
    op.drop_table("audit_log")
    op.drop_table("recovery_codes")
    op.drop_table("account_tokens")
    op.drop_table("login_attempts")
    for column in ("session_epoch", "review_reason", "totp_enabled_at", "totp_secret",
                   "must_change_password", "email_verified_at", "region_code", "level",
                   "permissions", "enterprise_account_id", "kind"):
        op.drop_column("accounts", column)
    op.drop_constraint("uq_accounts_login", "accounts")
    op.drop_column("accounts", "login")
