"""What a busy officer types: a request for practices on a topic is searched, not asked."""

from __future__ import annotations

import pytest

from handlers.search import practice_request


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        ("хог ангилах туршлага байна уу", "хог ангилах"),
        ("Зам засварын туршлага бий юу?", "зам засварын"),
        ("бусад хорооны цахим үйлчилгээний туршлагыг харуулаач", "цахим үйлчилгээний"),
        ("ахмадын туршлага хайж байна", "ахмадын"),
        ("hog angilah turshlaga baina uu", "hog angilah"),
        # Questions about the method, or no topic: the FAQ's.
        ("Сайн туршлагыг яаж тодорхойлох вэ", None),
        ("sain turshlagiig yaaj todorhoiloh ve", None),
        ("Бусад хорооны туршлагыг хэрхэн хайх вэ?", None),
        ("туршлага байна уу", None),
        ("ХСАЗ гэж юу вэ", None),
        ("Хорооны цахилгааны тариф хэд вэ", None),
    ],
)
def test_a_request_for_practices_names_its_topic(text, topic):
    assert practice_request(text) == topic
