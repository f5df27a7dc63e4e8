"""feedback: ratings, draft readers, unreachable residents

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 21:49:21.583735
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('draft_readers',
    sa.Column('draft_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('first_read_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['draft_id'], ['drafts.id'], ),
    sa.PrimaryKeyConstraint('draft_id', 'user_id')
    )
    op.create_table('ratings',
    sa.Column('comment_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('rating', sa.String(length=24), nullable=False),
    sa.Column('rated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('follow_up', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['comment_id'], ['comments.id'], ),
    sa.PrimaryKeyConstraint('comment_id')
    )
    with op.batch_alter_table('residents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('unreachable_at', sa.DateTime(timezone=True), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('residents', schema=None) as batch_op:
        batch_op.drop_column('unreachable_at')

    op.drop_table('ratings')
    op.drop_table('draft_readers')
