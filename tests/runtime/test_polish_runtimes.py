"""Issue 15's small things whose buttons matter, on both Telegram runtimes."""

from __future__ import annotations

from tests.runtime.harness import LiveBot
from tests.runtime.test_search_runtimes import register
from tests.support.library import share

OFFICER, AUTHOR = 8101, 8102
TITLE = "Хог хаягдлыг эх үүсвэр дээр нь ангилах аян"


async def test_keep_on_the_first_step_back_from_similar_and_profile_cancel(live: LiveBot):
    await register(live, OFFICER, "Баянгол", "5")
    await register(live, AUTHOR, "Сонгинохайрхан", "30")

    # The title asked again has no Back button, so its text names the Keep button it shows.
    await live.say(OFFICER, "/submit")
    await live.say(OFFICER, "Ахмадуудад халуун хоол хүргэх аян")
    await live.press(OFFICER, "Буцах")
    assert "«Хэвээр үлдээх»" in live.last_text(OFFICER)
    await live.press(OFFICER, "Хэвээр үлдээх")
    assert "Ангилал" in live.last_text(OFFICER)
    await live.say(OFFICER, "/cancel")

    # The similar practices list leads back to the practice it came from.
    await share(live.app, TITLE, submitter=AUTHOR)
    await share(live.app, "Хог хаягдлыг ангилах сургалт", submitter=AUTHOR)
    await live.say(OFFICER, "/search эх үүсвэр дээр нь ангилах")
    await live.press(OFFICER, "1. Хог хаягдлыг эх үүсвэр")
    await live.press(OFFICER, "Төстэй туршлагууд")
    assert "-тай төстэй" in live.last_text(OFFICER)
    await live.press(OFFICER, "Буцах")
    assert TITLE in live.last_text(OFFICER) and "Нутагшуулсан хороо" in live.last_text(OFFICER)

    # Cancelling a profile change says the profile change was cancelled.
    await live.say(OFFICER, "/profile")
    await live.press(OFFICER, "Дүүрэг, хороо солих")
    await live.press(OFFICER, "Цуцлах")
    texts = [m.text or "" for m in live.fake.sent_messages(OFFICER)[-3:]]
    assert any("Профайлын өөрчлөлтийг цуцаллаа" in t for t in texts)
