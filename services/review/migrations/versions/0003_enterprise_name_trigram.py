"""review: trigram index on cases.enterprise_name for the queue's enterprise filter (ILIKE '%…%')

pg_trgm is a trusted extension (PostgreSQL 13+): the database owner may create it.

Revision ID: 0003
"""
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.execute("CREATE INDEX ix_cases_enterprise_name_trgm ON cases USING gin (enterprise_name gin_trgm_ops)")


def downgrade():
    op.execute("DROP INDEX IF EXISTS ix_cases_enterprise_name_trgm")
