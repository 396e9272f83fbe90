"""personnel: export_jobs take the background-job columns of services/common/jobs.py (the
mechanism import_jobs use): kind, progress (total, done), the owner as actor_id (was
requested_by), updated_at (a job without progress for long reads as interrupted)

Revision ID: 0005_h4_export_jobs_common
"""
import sqlalchemy as sa
from alembic import op

revision = "0005_h4_export_jobs_common"
down_revision = "0004_h3_import_jobs"
branch_labels = None
depends_on = None


def upgrade():
    op.alter_column("export_jobs", "requested_by", new_column_name="actor_id", nullable=True)
    op.execute("ALTER INDEX ix_export_jobs_requested_by RENAME TO ix_export_jobs_actor_id")
    op.alter_column("export_jobs", "status", type_=sa.String(20))
    op.add_column("export_jobs", sa.Column("kind", sa.String(40), nullable=False,
                                           server_default="registered_people"))
    op.alter_column("export_jobs", "kind", server_default=None)
    op.add_column("export_jobs", sa.Column("total", sa.Integer, nullable=False, server_default="0"))
    op.add_column("export_jobs", sa.Column("done", sa.Integer, nullable=False, server_default="0"))
    op.add_column("export_jobs", sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE export_jobs SET updated_at = coalesce(finished_at, created_at), "
               "total = coalesce(rows, 0), done = coalesce(rows, 0)")
    op.alter_column("export_jobs", "updated_at", nullable=False)


def downgrade():
    op.drop_column("export_jobs", "updated_at")
    op.drop_column("export_jobs", "done")
    op.drop_column("export_jobs", "total")
    op.drop_column("export_jobs", "kind")
    op.execute("UPDATE export_jobs SET status = 'running' WHERE status = 'queued'")
    op.execute("UPDATE export_jobs SET actor_id = '' WHERE actor_id IS NULL")
    op.alter_column("export_jobs", "status", type_=sa.String(16))
    op.execute("ALTER INDEX ix_export_jobs_actor_id RENAME TO ix_export_jobs_requested_by")
    op.alter_column("export_jobs", "actor_id", new_column_name="requested_by", nullable=False)
