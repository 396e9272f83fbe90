"""permits: catalogue_versions — the business-type catalogue as versions an admin publishes
(业务目录维护, issue 16 item 9); applications.catalogue_version_id pins the version a draft was
made under. The shipped YAML becomes version 1 of each family when the service first starts
(services/permits/catalogue_store.py), which also fills the column of existing applications.

Revision ID: 0007_h1_catalogue_versions
"""
import sqlalchemy as sa
from alembic import op

revision = "0007_h1_catalogue_versions"
down_revision = "0006_h8_application_numbers"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "catalogue_versions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("family", sa.String(60), nullable=False),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("source", sa.String(10), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("comment", sa.Text, nullable=False, server_default=""),
        sa.Column("created_by", sa.String(64)),
        sa.Column("created_by_name", sa.String(200), nullable=False, server_default=""),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("activated_by", sa.String(64)),
        sa.Column("activated_by_name", sa.String(200), nullable=False, server_default=""),
        sa.Column("activated_at", sa.DateTime(timezone=True)),
        sa.UniqueConstraint("family", "number"),
    )
    op.create_index("catalogue_versions_one_active", "catalogue_versions", ["family"], unique=True,
                    postgresql_where=sa.text("status = 'active'"))
    op.add_column("applications", sa.Column("catalogue_version_id", sa.Integer,
                                            sa.ForeignKey("catalogue_versions.id"), nullable=True))


def downgrade():
    op.drop_column("applications", "catalogue_version_id")
    op.drop_index("catalogue_versions_one_active", table_name="catalogue_versions")
    op.drop_table("catalogue_versions")
