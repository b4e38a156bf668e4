"""The trainer reaches every answer under the cloud, and a hide tap means hide."""

from __future__ import annotations

from handlers.html import plain
from handlers.trainings import HidePress
from storage.models import OpenAnswer
from tests.unit.test_trainings import room, rows_of


async def test_every_answer_can_be_hidden_and_a_double_tap_does_not_undo_it(app):
    coach, _training, people = await room(app, *(f"Оролцогч{i}" for i in range(6)))
    await coach.press("Асуулт асуух")
    await coach.send("Нэг үгээр?")
    await people[0].send("муу үг")  # the first answer: later it is far down the list
    for i, person in enumerate(people):
        for j in range(4):
            await person.send(f"санаа{i}{j}")
    assert len(await rows_of(app, OpenAnswer)) == 25
    await coach.press("Үгийн үүл")
    shown = plain(coach.last().text)
    assert "25. " in shown and "\n1. " not in shown  # the newest twenty: 6 to 25
    await coach.press("Өмнөх хариултууд")
    assert "1. муу үг" in plain(coach.last().text)
    screen, button = coach.find("🙈 1")
    assert button.data == HidePress((await rows_of(app, OpenAnswer))[0].id, True, 0).pack()
    await coach.press_data(button.data or "", message_id=screen.message_id)
    await coach.press_data(button.data or "", message_id=screen.message_id)  # a double tap
    first = (await rows_of(app, OpenAnswer))[0]
    assert first.hidden is True  # still hidden
    assert "1. 🙈 муу үг" in plain(coach.screens[screen.message_id].text)  # the same page
    legacy = f"trh:{first.id}"  # a button from before the tap carried its meaning: toggles
    await coach.press_data(legacy, message_id=screen.message_id)
    assert (await rows_of(app, OpenAnswer))[0].hidden is False
