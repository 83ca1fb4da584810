"""catalog tables: tracks, versions, files, analyses, checks, findings, parties, rights, release paths.

The tracks -> files foreign key (a track's main file) is added once both tables exist.

Revision ID: 0001
Revises: 
Create Date: 2026-11-21 12:47:44.032119
"""

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('parties',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('ipi', sa.String(length=20), nullable=True),
    sa.Column('pro', sa.String(length=40), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    op.create_table('tracks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('vocal', sa.Boolean(), nullable=True),
    sa.Column('main_file_id', sa.Integer(), nullable=True),
    sa.Column('added_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('tracks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tracks_main_file_id'), ['main_file_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_tracks_title'), ['title'], unique=False)
        batch_op.create_index(batch_op.f('ix_tracks_vocal'), ['vocal'], unique=False)

    op.create_table('release_paths',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('track_id', sa.Integer(), nullable=False),
    sa.Column('path', sa.String(length=20), nullable=False),
    sa.Column('ready', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['track_id'], ['tracks.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('release_paths', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_release_paths_track_id'), ['track_id'], unique=False)

    op.create_table('rights',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('track_id', sa.Integer(), nullable=False),
    sa.Column('party_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('share', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['party_id'], ['parties.id'], ),
    sa.ForeignKeyConstraint(['track_id'], ['tracks.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('rights', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rights_party_id'), ['party_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_rights_track_id'), ['track_id'], unique=False)

    op.create_table('versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('track_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.ForeignKeyConstraint(['track_id'], ['tracks.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_versions_track_id'), ['track_id'], unique=False)

    op.create_table('files',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('path', sa.String(length=1000), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('fingerprint', sa.LargeBinary(), nullable=True),
    sa.Column('fingerprint_kind', sa.String(length=20), nullable=True),
    sa.ForeignKeyConstraint(['version_id'], ['versions.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('path')
    )
    with op.batch_alter_table('files', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_files_sha256'), ['sha256'], unique=False)
        batch_op.create_index(batch_op.f('ix_files_version_id'), ['version_id'], unique=False)

    op.create_table('analyses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('file_id', sa.Integer(), nullable=False),
    sa.Column('analysis_version', sa.String(length=10), nullable=False),
    sa.Column('duration_s', sa.Float(), nullable=False),
    sa.Column('sample_rate', sa.Integer(), nullable=False),
    sa.Column('channels', sa.Integer(), nullable=False),
    sa.Column('container', sa.String(length=20), nullable=False),
    sa.Column('tempo_bpm', sa.Float(), nullable=True),
    sa.Column('key', sa.String(length=20), nullable=True),
    sa.Column('meter', sa.Integer(), nullable=True),
    sa.Column('sections', sa.String(length=500), nullable=False),
    sa.Column('ending', sa.String(length=20), nullable=True),
    sa.Column('integrated_lufs', sa.Float(), nullable=True),
    sa.Column('true_peak_dbtp', sa.Float(), nullable=True),
    sa.ForeignKeyConstraint(['file_id'], ['files.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('file_id')
    )
    with op.batch_alter_table('analyses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_analyses_duration_s'), ['duration_s'], unique=False)
        batch_op.create_index(batch_op.f('ix_analyses_key'), ['key'], unique=False)
        batch_op.create_index(batch_op.f('ix_analyses_tempo_bpm'), ['tempo_bpm'], unique=False)

    op.create_table('checks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('file_id', sa.Integer(), nullable=False),
    sa.Column('profile', sa.String(length=60), nullable=False),
    sa.Column('verdict', sa.String(length=10), nullable=False),
    sa.Column('fails', sa.Integer(), nullable=False),
    sa.Column('warns', sa.Integer(), nullable=False),
    sa.Column('effort', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['file_id'], ['files.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('checks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_checks_file_id'), ['file_id'], unique=False)

    op.create_table('findings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('check_id', sa.Integer(), nullable=False),
    sa.Column('check', sa.String(length=60), nullable=False),
    sa.Column('severity', sa.String(length=10), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('fix', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['check_id'], ['checks.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('findings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_findings_check_id'), ['check_id'], unique=False)

    with op.batch_alter_table('tracks', schema=None) as batch_op:
        batch_op.create_foreign_key('fk_tracks_main_file_id_files', 'files', ['main_file_id'], ['id'], ondelete='SET NULL')


def downgrade() -> None:
    with op.batch_alter_table('tracks', schema=None) as batch_op:
        batch_op.drop_constraint('fk_tracks_main_file_id_files', type_='foreignkey')

    with op.batch_alter_table('findings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_findings_check_id'))

    op.drop_table('findings')
    with op.batch_alter_table('checks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_checks_file_id'))

    op.drop_table('checks')
    with op.batch_alter_table('analyses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_analyses_tempo_bpm'))
        batch_op.drop_index(batch_op.f('ix_analyses_key'))
        batch_op.drop_index(batch_op.f('ix_analyses_duration_s'))

    op.drop_table('analyses')
    with op.batch_alter_table('files', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_files_version_id'))
        batch_op.drop_index(batch_op.f('ix_files_sha256'))

    op.drop_table('files')
    with op.batch_alter_table('versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_versions_track_id'))

    op.drop_table('versions')
    with op.batch_alter_table('rights', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rights_track_id'))
        batch_op.drop_index(batch_op.f('ix_rights_party_id'))

    op.drop_table('rights')
    with op.batch_alter_table('release_paths', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_release_paths_track_id'))

    op.drop_table('release_paths')
    with op.batch_alter_table('tracks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tracks_vocal'))
        batch_op.drop_index(batch_op.f('ix_tracks_title'))
        batch_op.drop_index(batch_op.f('ix_tracks_main_file_id'))

    op.drop_table('tracks')
    op.drop_table('parties')
