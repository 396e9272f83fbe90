"""personnel: import_jobs, the admin's background imports (考试合格数据导入) with their progress and
rejected rows (services/common/import_jobs.py)

Revision ID: 0004_h3_import_jobs
"""
import sqlalchemy as sa
from alembic import op

revision = "0004_h3_import_jobs"
down_revision = "0003_h8_export_jobs"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "import_jobs",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("total", sa.Integer, nullable=False),
        sa.Column("done", sa.Integer, nullable=False),
        sa.Column("summary", sa.JSON, nullable=False),
        sa.Column("rejected", sa.JSON, nullable=False),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("source", sa.LargeBinary, nullable=True),
        sa.Column("actor_id", sa.String(64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_import_jobs_created", "import_jobs", ["kind", "created_at"])


def downgrade():
    op.drop_index("ix_import_jobs_created", table_name="import_jobs")
    op.drop_table("import_jobs")
