"""Asking methodology questions in the chat, and trainers answering what the bot could not."""

from __future__ import annotations

import json

from sqlalchemy import select

from bot.cli import main
from handlers.faq import TOPICS_PER_PAGE
from handlers.html import plain
from handlers.messages import AnswerButton, SendText
from storage.models import FaqFeedback
from tests.support.chat import Chat, register


async def test_a_question_in_latin_letters_gets_the_answer(app):
    chat = Chat(app, 1)
    await register(chat)
    await chat.send("harilcan suralcah arga zui gej yu ve")
    card = chat.last()
    assert "Харилцан суралцах арга зүй (ХСАЗ)" in plain(card.text)
    assert "👍 Тустай" in card.labels() and "📚 Бүх сэдэв" in card.labels()
    await chat.press("👍 Тустай")
    assert chat.notices[-1] == "Санал өгсөнд баярлалаа!"
    async with app.database.transaction() as session:
        feedback = (await session.scalars(select(FaqFeedback))).one()
    assert (feedback.topic_id, feedback.helpful) == ("plm-what", True)


async def test_related_topics_open_from_the_answer(app):
    chat = Chat(app, 2)
    await register(chat)
    await chat.send("ХСАЗ-ын үе шатууд юу вэ")
    assert "үе шат" in plain(chat.last().text)
    related = [label for label in chat.last().labels() if "?" in label or "ХСАЗ" in label]
    await chat.press(related[0])
    assert "👍 Тустай" in chat.last().labels()


async def test_english_question_and_answer(app):
    chat = Chat(app, 3, language_code="en")
    await chat.send("/start")
    await chat.press("English")
    await chat.press("Bayangol")
    await chat.send("1")
    await chat.press("Khoroo officer")
    await chat.send("how do I submit a practice with this bot")
    assert "👍 Helpful" in chat.last().labels()


async def test_the_menu_and_faq_command_browse_topics(app):
    chat = Chat(app, 4)
    await register(chat)
    await chat.press("Асуулт асуух")
    assert "Асуултаа энд бичээд" in plain(chat.last().text)
    await chat.press("Бүх сэдэв")
    pages = -(-len(app.services.faq.entries()) // TOPICS_PER_PAGE)
    assert f"1/{pages}" in chat.last().labels()
    await chat.press("▶")
    assert f"2/{pages}" in chat.last().labels()
    await chat.send("/faq")
    assert "Сэдвээ сонгоно уу" in plain(chat.last().text)


async def test_unknown_question_is_answered_by_a_trainer_and_learned(app):
    asker, other, trainer = Chat(app, 10), Chat(app, 11, language_code="en"), Chat(app, 12)
    await register(asker)
    await register(other)
    await register(trainer, grant="trainer")
    question = "Хорооны цахилгааны тариф хэд вэ"
    await asker.send(question)
    assert "сургагч багш нарт илгээх үү" in plain(asker.last().text)  # only if agreed
    await asker.press("📨 Тийм, илгээх")
    assert "сургагч багш нарт илгээлээ" in plain(asker.last().text)
    await other.send(question.lower() + "?")  # the same question in other words' case
    await other.press("📨 Тийм, илгээх")
    await trainer.send("/questions")
    assert "(2) Хорооны цахилгааны тариф" in trainer.last().labels()[0]
    await trainer.press("(2)")
    await trainer.press("Хариулах")
    await trainer.send("Богино")  # too short: explained, and the step is asked again
    assert "хамгийн багадаа 10 тэмдэгт" in plain(trainer.screens[max(trainer.screens) - 1].text)
    replies = await trainer.send("Тарифыг Эрчим хүчний зохицуулах хороо тогтоодог <www>.")
    assert "➕ Шинэ сэдэв" in trainer.last().labels()
    replies = await trainer.press("Шинэ сэдэв")
    to_askers = {r.chat_id: plain(r.text) for r in replies if isinstance(r, SendText) and r.chat_id}
    assert set(to_askers) == {10, 11}
    assert to_askers[10].startswith("📬 Таны «Хорооны цахилгааны тариф хэд вэ»")
    assert "<www>" in to_askers[10]
    assert "Хариултыг 2 хүнд илгээлээ" in plain(trainer.last().text)
    await trainer.send("/questions")
    assert "Хариулаагүй асуулт алга" in plain(trainer.last().text)
    # The bot now answers the question itself.
    await asker.send(question)
    assert "Эрчим хүчний зохицуулах хороо" in plain(asker.last().text)


async def test_only_trainers_see_and_answer_questions(app):
    officer = Chat(app, 20)
    await register(officer)
    await officer.send("/questions")
    assert "зөвхөн сургагч багш" in plain(officer.last().text)
    await officer.send("Ямар нэг ойлгомжгүй зүйл асуух гэсэн юм")
    replies = await officer.press_data("faqq:answer:1")  # a forged press
    answers = [r for r in replies if isinstance(r, AnswerButton)]
    assert answers and "зөвхөн сургагч багш" in (answers[0].text or "")
    assert officer.last().text != ""


def test_faq_ask_prints_json(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert main(["faq", "ask", "xog xayagdal angilah tursh laga", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert set(result) >= {"topic", "score", "answer", "suggestions"}
    assert main(["faq", "ask", "Сайн туршлага гэж юу вэ", "--json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["topic"] == "plm-identify" and answer["answer"]
    assert main(["faq", "ask", "what is the weather today", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["topic"] is None
