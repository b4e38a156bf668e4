"""An admin reaches every running training; a trainer whose right was revoked is told why."""

from __future__ import annotations

from sqlalchemy import delete

from storage.models import RoleGrant
from tests.conftest import ADMIN_ID
from tests.support.chat import Chat, register
from tests.unit.test_trainings import TRAINER, open_training, trainer


async def test_an_admin_reaches_a_training_whose_trainer_lost_the_right(app):
    coach = await trainer(app)
    training = await open_training(coach, "Орхигдсон сургалт")
    async with app.database.transaction() as session:
        await session.execute(delete(RoleGrant).where(RoleGrant.user_id == TRAINER))
    await coach.press("Шинэчлэх")  # the panel, pressed after the right was revoked
    assert "зөвхөн эрх олгогдсон сургагч багш ашиглана" in coach.notices[-1]

    admin = Chat(app, ADMIN_ID, first_name="Админ")
    await register(admin)
    await admin.send("/training")
    assert any(f"{training.code} · Орхигдсон сургалт" in label for label in admin.last().labels())
    await admin.press(training.code)
    await admin.press("Сургалтыг дуусгах")
    await admin.press("Тийм, дуусгах")
    assert "48" in admin.notices[-1]
