"""files.sound: the sound envelope of a main file (catalog.fingerprint.envelope), for finding two
takes of one prompt. Rows added before it have none until they are added again.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("files") as batch:
        batch.add_column(sa.Column("sound", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("files") as batch:
        batch.drop_column("sound")
