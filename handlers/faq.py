"""Methodology questions: answers from the knowledge base, browsing, and trainers teaching it."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Literal

from handlers import contest, menu, validators
from handlers.callbacks import Callback, MaxBytes, parse_int
from handlers.context import Context
from handlers.dispatcher import SCREEN, Router
from handlers.html import escape
from handlers.i18n import LANGUAGES
from handlers.messages import Button, Keyboard, SendText
from handlers.permissions import TRAINER, is_trainer
from handlers.steps import Answer, Form, FormRun, Invalid, Prompt, Step
from knowledge.faq import FaqBase, FaqEntry
from knowledge.faq.sources import source_title
from knowledge.text import fold
from storage.announcements import Announcements
from storage.audit import AuditLog
from storage.faq import FaqRecords
from storage.models import FaqLesson
from storage.models import FaqQuestion as FaqQuestionRow
from storage.users import Users

TOPICS_PER_PAGE = 8
ANSWER_LENGTH = (10, 3000)
NEW_TOPIC, NO_TOPIC = "+", "-"
LIVE_CALENDAR_TOPIC = "contest-timeline"  # its answer ends with the live contest calendar
Topic = Annotated[str, MaxBytes(40)]


class FaqTopic(Callback, prefix="faqt"):
    """Open a topic's answer."""

    topic: Topic


class FaqFeedback(Callback, prefix="faqf"):
    """Say whether a topic's answer helped."""

    topic: Topic
    helpful: bool


class FaqPage(Callback, prefix="faqp"):
    """A page of the topic list."""

    page: int


class FaqQuestion(Callback, prefix="faqq"):
    """A trainer's button on a question nobody answered: show, answer, dismiss or merge it."""

    action: Literal["show", "answer", "dismiss", "merge"]
    question: int


class FaqMerge(Callback, prefix="faqm"):
    """Merge one open question (its first row's id) into another: the askers move over."""

    question: int
    into: int


class FaqSend(Callback, prefix="faqs"):
    """The officer's answer to "send it to the trainers?" for the question numbered so."""

    number: int
    send: bool


FaqPress = FaqTopic | FaqFeedback | FaqPage | FaqQuestion
# ``ctx.data[ASKED]``: the question last offered to the trainers, until the officer decides.
ASKED = "asked"
QUESTION_NOTICE = "question"  # the outbox kind of the trainers' notice of a new question
ASK_SCREEN = "faq_ask"  # the screen after "Ask a question": text is a question
BROWSE = FaqPage(1)


def knowledge(ctx: Context) -> FaqBase:
    """Return the loaded knowledge base."""
    return ctx.services.faq


def topic_button(ctx: Context, topic_id: str) -> Button:
    """Make a button that opens a topic, labelled with its title."""
    return Button(knowledge(ctx).entry(topic_id).title_in(ctx.language), FaqTopic(topic_id).pack())


async def answer_card(ctx: Context, topic_id: str) -> tuple[str, Keyboard]:
    """Render a topic's answer with related topics and the helpful / not helpful buttons."""
    entry = knowledge(ctx).entry(topic_id)
    # Answers come from the curated data files (or a trainer, escaped when taught): trusted
    # HTML that starts with its own bold heading.
    text = entry.answer_in(ctx.language)
    line = source_line(ctx, entry)
    if line is not None:
        text += "\n\n" + line
    if topic_id == LIVE_CALENDAR_TOPIC:
        calendar = await contest.calendar_text(ctx)
        if calendar is not None:
            text += "\n\n" + calendar
    related = tuple((topic_button(ctx, r),) for r in entry.related[:3])
    buttons = (
        *related,
        (
            ctx.button("faq.helpful", FaqFeedback(topic_id, True)),
            ctx.button("faq.not_helpful", FaqFeedback(topic_id, False)),
        ),
        (ctx.button("faq.browse", BROWSE), ctx.button("nav.menu", menu.HOME)),
    )
    return text, buttons


def source_line(ctx: Context, entry: FaqEntry) -> str | None:
    """Name the documents an answer rests on by their short titles (None: it names none)."""
    if not entry.sources:
        return None  # general guidance says so in its own text; taught answers name no source
    titles = "; ".join(source_title(name, ctx.language) for name in entry.sources)
    return ctx.t("faq.source", titles=titles, n=len(entry.sources))


async def answer_question(ctx: Context) -> bool:
    """Answer free text as a question; one the FAQ cannot answer is offered to the trainers."""
    question = ctx.incoming.text.strip()
    if not question or ctx.incoming.chat_type != "private":
        return False
    result = knowledge(ctx).ask(question, ctx.language)
    if result.topic is not None:
        ctx.send(*await answer_card(ctx, result.topic))
        return True
    if len(question.split()) == 1 and "?" not in question and not result.suggestions:
        # A lone word («хаах», «дараах») is no question for the trainers: the menu helps more.
        return False
    # Kept in the conversation until the officer agrees: nothing reaches trainers unasked.
    number = int(ctx.data.get(ASKED, {}).get("number", 0)) + 1
    ctx.data[ASKED] = {"number": number, "text": question[:2000]}
    offer = (
        ctx.button("conversation.send", FaqSend(number, True)),
        ctx.button("conversation.dont_send", FaqSend(number, False)),
    )
    if result.suggestions:
        buttons = tuple((topic_button(ctx, topic),) for topic in result.suggestions)
        text = f"{ctx.t('faq.unsure')}\n\n{ctx.t('conversation.offer_unsure')}"
        ctx.send(text, (*buttons, offer, (ctx.button("faq.browse", BROWSE),)))
    else:
        ctx.send(
            ctx.t("conversation.offer"),
            (offer, (ctx.button("faq.browse", BROWSE), ctx.button("nav.menu", menu.HOME))),
        )
    return True


async def on_send(ctx: Context, press: FaqSend) -> None:
    """Forward the offered question when the officer agrees (once); forget it otherwise."""
    asked = ctx.data.get(ASKED)
    if not asked or asked.get("number") != press.number:
        ctx.answer(ctx.t("conversation.already_done"))
        return
    del ctx.data[ASKED]
    ctx.answer()
    if not press.send:
        ctx.show(ctx.t("conversation.not_sent"), menu.menu_buttons(ctx))
        return
    question = str(asked["text"])
    askers = await FaqRecords(ctx.session).keep_question(
        ctx.user.id, question, fold(question), ctx.language
    )
    if askers == 1:  # a new question: the trainers hear of it once, not at every asker
        await _tell_trainers(ctx, question)
    ctx.show(
        ctx.t("conversation.sent" if askers else "conversation.sent_before"),
        ((ctx.button("faq.browse", BROWSE), ctx.button("nav.menu", menu.HOME)),),
    )


async def _tell_trainers(ctx: Context, question: str) -> None:
    """Tell the trainers, through the outbox, that a question waits in /questions."""
    trainers = {g.user_id for g in await Users(ctx.session).all_grants() if g.role == TRAINER}
    catalogue = ctx.services.catalogue
    texts: dict[str, str] = {
        language: catalogue.text(language, "questions.new_notice", question=question[:500])
        for language in LANGUAGES
    }
    told = await Announcements(ctx.session).to_users(
        QUESTION_NOTICE, texts, sorted(trainers - {ctx.user.id}), ctx.services.clock()
    )
    if told is not None:
        ctx.after_commit(ctx.services.outbox_ready)


async def browse(ctx: Context, page: int = 1, *, edit: bool = True) -> None:
    """List the topics, a page at a time."""
    entries = knowledge(ctx).entries()
    pages = max(1, -(-len(entries) // TOPICS_PER_PAGE))
    page = min(max(page, 1), pages)
    shown = entries[(page - 1) * TOPICS_PER_PAGE : page * TOPICS_PER_PAGE]
    buttons: list[tuple[Button, ...]] = [(topic_button(ctx, e.id),) for e in shown]
    paging = []
    if page > 1:
        paging.append(ctx.button("nav.previous", FaqPage(page - 1)))
    if pages > 1:
        paging.append(ctx.button("nav.page", FaqPage(page), page=page, pages=pages))
    if page < pages:
        paging.append(ctx.button("nav.next", FaqPage(page + 1)))
    buttons += [tuple(paging), (ctx.button("nav.menu", menu.HOME),)]
    (ctx.show if edit else ctx.send)(ctx.t("faq.topics"), tuple(b for b in buttons if b))


async def on_button(ctx: Context, press: FaqPress) -> None:
    """Handle the FAQ's buttons: topics, paging, feedback, and trainers' answering."""
    faq = knowledge(ctx)
    match press:
        case FaqTopic(topic=topic) if faq.has(topic):
            ctx.answer()
            ctx.send(*await answer_card(ctx, topic))
        case FaqPage(page=page):
            ctx.answer()
            await browse(ctx, page)
        case FaqFeedback(topic=topic, helpful=helpful) if faq.has(topic):
            await FaqRecords(ctx.session).rate(ctx.user.id, topic, helpful)
            ctx.answer(ctx.t("faq.thanks"))
        case FaqQuestion(action=action, question=question_id):
            await _trainer_button(ctx, action, question_id)
        case _:  # a topic that is gone
            ctx.answer(ctx.t("error.outdated_button"))


async def _open_question(ctx: Context, question_id: int) -> FaqQuestionRow | None:
    """Return an open question for a trainer's press, or answer why there is none."""
    if not await is_trainer(ctx):
        ctx.answer(ctx.t("faq.trainers_only"), alert=True)
        return None
    question = await FaqRecords(ctx.session).question(question_id)
    if question is None or question.answered_at is not None or question.dismissed_at is not None:
        ctx.answer(ctx.t("faq.question_gone"), alert=True)
        return None
    return question


async def _trainer_button(ctx: Context, action: str, question_id: int) -> None:
    question = await _open_question(ctx, question_id)
    if question is None:
        return
    records = FaqRecords(ctx.session)
    match action:
        case "show":
            ctx.answer()
            askers = await records.askers(question.key)
            ctx.send(
                ctx.t("questions.card", question=question.question, n=askers),
                (
                    (ctx.button("faq.answer_button", FaqQuestion("answer", question_id)),),
                    (ctx.button("questions.merge", FaqQuestion("merge", question_id)),),
                    (ctx.button("questions.dismiss", FaqQuestion("dismiss", question_id)),),
                ),
            )
        case "dismiss":
            hidden = await records.dismiss(question.key, ctx.user.id, ctx.services.clock())
            AuditLog(ctx.session).record(
                ctx.user.id,
                "faq.question_dismissed",
                f"faq_question:{question_id}",
                question=question.question[:200],
                askers=hidden,
            )
            ctx.answer(ctx.t("questions.dismissed"))
            await _question_list(ctx, edit=True)
        case "merge":
            ctx.answer()
            others = [
                q for q in await records.open_questions(limit=20) if q.first_id != question_id
            ]
            if not others:
                ctx.send(ctx.t("questions.no_other"))
                return
            buttons = tuple(
                (
                    Button(
                        f"({q.askers}) {q.question[:50]}", FaqMerge(question_id, q.first_id).pack()
                    ),
                )
                for q in others
            )
            ctx.send(ctx.t("questions.merge_title", question=question.question), buttons)
        case _:
            ctx.answer()
            await ANSWER.open(ctx, {"question": question_id}, "answer", edit=False)


async def on_merge(ctx: Context, press: FaqMerge) -> None:
    """Move a question's askers to another question (both still open)."""
    source = await _open_question(ctx, press.question)
    if source is None:
        return
    target = await _open_question(ctx, press.into)
    if target is None:
        return
    records = FaqRecords(ctx.session)
    moved = await records.merge(source.key, target.key)
    AuditLog(ctx.session).record(
        ctx.user.id,
        "faq.question_merged",
        f"faq_question:{press.question}",
        into=press.into,
        askers=moved,
    )
    ctx.answer()
    ctx.show(ctx.t("questions.merged", n=await records.askers(target.key)))
    await _question_list(ctx, edit=False)


async def ask_prompt(ctx: Context) -> None:
    """Invite a question (the main menu's 'Ask a question')."""
    ctx.send(ctx.t("faq.ask_prompt"), ((ctx.button("faq.browse", BROWSE),),))
    # The next text is a question for the FAQ, even while a training's question is open.
    ctx.data[SCREEN] = ASK_SCREEN


async def faq_command(ctx: Context) -> None:
    """Open the topic list."""
    await browse(ctx, edit=False)


async def questions_command(ctx: Context) -> None:
    """Show trainers the questions nobody answered yet, the most asked first."""
    if not await is_trainer(ctx):
        ctx.send(ctx.t("faq.trainers_only"))
        return
    await _question_list(ctx, edit=False)


async def _question_list(ctx: Context, *, edit: bool) -> None:
    """List the open questions, each with how many asked it."""
    open_questions = await FaqRecords(ctx.session).open_questions()
    show = ctx.show if edit else ctx.send
    if not open_questions:
        show(ctx.t("faq.no_questions"))
        return
    buttons = tuple(
        (Button(f"({q.askers}) {q.question[:50]}", FaqQuestion("show", q.first_id).pack()),)
        for q in open_questions
    )
    show(ctx.t("faq.questions_title"), buttons)


async def _kept_question(ctx: Context, run: FormRun) -> str:
    question = await FaqRecords(ctx.session).question(int(run.get("question", 0)))
    if question is None or question.answered_at is not None:
        raise Invalid("faq.question_gone")
    return question.question


async def ask_answer(ctx: Context, run: FormRun) -> Prompt:
    """Ask the trainer for the answer."""
    return Prompt(ctx.t("faq.answer_prompt", question=await _kept_question(ctx, run)))


async def accept_answer(ctx: Context, run: FormRun, answer: Answer) -> str:
    """Take the answer's text, within sensible lengths."""
    return validators.text(answer, *ANSWER_LENGTH, with_letters=True)


async def ask_topic(ctx: Context, run: FormRun) -> Prompt:
    """Offer the topics the question is closest to, a new topic, or none."""
    buttons = tuple(
        # The button names the topic by its rank: topic ids may be longer than a step value.
        (
            Button(
                knowledge(ctx).entry(t).title_in(ctx.language), ANSWER.data("topic", str(i)).pack()
            ),
        )
        for i, t in enumerate(await _candidates(ctx, run))
    )
    return Prompt(
        ctx.t("faq.topic_prompt"),
        (
            *buttons,
            (
                ctx.button("faq.new_topic", ANSWER.data("topic", NEW_TOPIC)),
                ctx.button("faq.no_topic", ANSWER.data("topic", NO_TOPIC)),
            ),
        ),
    )


async def accept_topic(ctx: Context, run: FormRun, answer: Answer) -> str:
    """Take a topic button."""
    if answer.choice in (NEW_TOPIC, NO_TOPIC):
        return answer.choice
    candidates = await _candidates(ctx, run)
    index = parse_int(answer.choice or "")
    if index is None or not 0 <= index < len(candidates):
        raise Invalid("error.button_expected")
    return candidates[index]


async def _candidates(ctx: Context, run: FormRun) -> list[str]:
    """Return the three topics closest to the kept question, best first."""
    return [topic for topic, _ in knowledge(ctx).rank(await _kept_question(ctx, run))[:3]]


async def finish_answer(ctx: Context, run: FormRun) -> None:
    """Send the answer to everyone who asked, and teach the knowledge base."""
    if not await is_trainer(ctx):  # the role may have been revoked meanwhile
        ctx.send(ctx.t("faq.trainers_only"))
        return
    records = FaqRecords(ctx.session)
    kept = await records.question(int(run.get("question", 0)))
    if kept is None or kept.answered_at is not None:
        ctx.send(ctx.t("faq.question_gone"))
        return
    answer = str(run.get("answer"))
    askers = await records.answer_all(kept.key, answer, ctx.user.id, ctx.services.clock())
    catalogue = ctx.services.catalogue
    for asked in askers:
        text = catalogue.text(
            asked.language, "faq.answered", question=asked.question, answer=answer
        )
        ctx.replies.append(SendText(text, chat_id=asked.user_id))
    topic = str(run.get("topic"))
    if topic != NO_TOPIC:
        lesson = await records.add_lesson(
            FaqLesson(
                topic_id=topic,
                question=kept.question,
                answer=None if topic != NEW_TOPIC else answer,
                language=kept.language,
                created_by=ctx.user.id,
            )
        )
        if topic == NEW_TOPIC:
            lesson.topic_id = f"taught-{lesson.id}"
        # Accountable like an edit or a withdrawal: who taught what, as an answer or an example.
        AuditLog(ctx.session).record(
            ctx.user.id,
            "faq.teach",
            f"lesson:{lesson.id}",
            topic=lesson.topic_id,
            kind="answer" if lesson.answer is not None else "example",
            question=kept.question[:200],
        )
        # The running knowledge base learns it only once the lesson is stored.
        ctx.after_commit(partial(teach, knowledge(ctx), lesson))
    ctx.send(ctx.t("faq.taught", n=len(askers)))


def teach(faq: FaqBase, lesson: FaqLesson) -> None:
    """Apply a trainer's lesson to the loaded knowledge base (at start-up, and when taught)."""
    if lesson.answer is None:
        if lesson.topic_id in {e.id for e in faq.entries()}:
            faq.learn(lesson.question, lesson.topic_id)
        return
    answer = f"<b>{escape(lesson.question)}</b>\n{escape(lesson.answer)}"
    faq.add_entry(
        FaqEntry(
            id=lesson.topic_id,
            title={"mn": lesson.question, "en": lesson.question},
            answer={"mn": answer, "en": answer},
            examples={lesson.language: (lesson.question,)},
        )
    )


ANSWER = Form(
    "faqanswer",
    "faq.flow",
    (Step("answer", ask_answer, accept_answer), Step("topic", ask_topic, accept_topic)),
    finish_answer,
)


def register(router: Router) -> None:
    """Add the FAQ: the menu item, /faq, /questions, its buttons, and free-text questions."""
    router.form(ANSWER)
    router.menu["ask"] = ask_prompt
    router.commands.update({"faq": faq_command, "questions": questions_command})
    router.button(FaqTopic, on_button)
    router.button(FaqFeedback, on_button)
    router.button(FaqPage, on_button)
    router.button(FaqQuestion, on_button)
    router.button(FaqMerge, on_merge)
    router.button(FaqSend, on_send)
    router.question = answer_question
    router.screens[ASK_SCREEN] = answer_question
