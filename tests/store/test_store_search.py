"""Semantic search: index configuration, field paths, cosine ranking, on both stores."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from actorgraph.store import IndexConfig, InMemoryStore, SearchOp, SqliteStore
from actorgraph.store._store_query import texts_at_path, tokenize_path
from actorgraph.store._store_vectors import cosine_scores, pack_vector, using_numpy
from tests.store.store_support import (
    StoreFactory,
    async_keyword_embed,
    keyword_embed,
    make_store,
    with_clock,
)

__all__ = ["make_store"]

pytestmark = pytest.mark.anyio


class Recorder:
    """A keyword embedder that remembers every text it was asked to embed."""

    def __init__(self) -> None:
        self.texts: list[str] = []

    def __call__(self, texts: Sequence[str]) -> list[list[float]]:
        self.texts.extend(texts)
        return keyword_embed(texts)


class LangChainStyle:
    """An embeddings object in LangChain's shape, async methods included."""

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return keyword_embed(texts)

    def embed_query(self, text: str) -> list[float]:
        return keyword_embed([text])[0]

    async def aembed_documents(self, texts: list[str]) -> list[list[float]]:
        return keyword_embed(texts)

    async def aembed_query(self, text: str) -> list[float]:
        return keyword_embed([text])[0]


class SyncOnly:
    """An embeddings object with only the blocking methods."""

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return keyword_embed(texts)

    def embed_query(self, text: str) -> list[float]:
        return keyword_embed([text])[0]


def index(embed: Any = keyword_embed, fields: list[str] | None = None) -> IndexConfig:
    config: IndexConfig = {"dims": 4, "embed": embed}
    if fields is not None:
        config["fields"] = fields
    return config


@pytest.mark.parametrize(
    "embed",
    [
        keyword_embed,
        async_keyword_embed,
        LangChainStyle(),
        SyncOnly(),
    ],
    ids=["function", "async-function", "embeddings-object", "sync-object"],
)
async def test_ranked_by_cosine_similarity(make_store: StoreFactory, embed: Any) -> None:
    store = make_store(index=index(embed, ["text"]))
    await store.aput(("docs",), "doc1", {"text": "Python tutorial"})
    await store.aput(("docs",), "doc2", {"text": "TypeScript guide"})
    await store.aput(("docs",), "doc3", {"text": "Other guide"}, index=False)
    found = await store.asearch(("docs",), query="python", limit=3)
    assert [(item.key, item.score) for item in found] == [
        ("doc1", pytest.approx(1.0)),
        ("doc2", pytest.approx(0.0)),
        ("doc3", None),  # not indexed: still found, after the ranked ones
    ]
    twice = await store.abatch(
        [SearchOp(("docs",), query="python"), SearchOp(("docs",), query="python")]
    )
    assert twice[0] == twice[1]
    guides = await store.asearch(("docs",), query="a guide to typescript", limit=1)
    assert [item.key for item in guides] == ["doc2"]
    assert guides[0].score == pytest.approx(1.0)


async def test_index_override_embeds_only_those_fields(make_store: StoreFactory) -> None:
    recorder = Recorder()
    store = make_store(index=index(recorder))
    value = {"food_preference": "I love pizza", "context": "Discussing dinner plans"}
    await store.aput(("u",), "k1", value, index=["food_preference"])
    await store.aput(("u",), "k2", {"system_info": "Last updated: 2024-01-01"}, index=False)
    assert recorder.texts == ["I love pizza"]
    found = await store.asearch(("u",), query="pizza")
    assert [(i.key, i.score is not None) for i in found] == [("k1", True), ("k2", False)]
    assert (await store.aget(("u",), "k2")) is not None


async def test_the_whole_document_by_default(make_store: StoreFactory) -> None:
    recorder = Recorder()
    store = make_store(index=index(recorder))
    await store.aput(("u",), "k", {"b": "Python", "a": 1})
    assert recorder.texts == ['{"a":1,"b":"Python"}']
    assert (await store.asearch(("u",), query="python"))[0].score == pytest.approx(1.0)


async def test_each_list_element_is_a_vector_and_the_best_one_counts(
    make_store: StoreFactory,
) -> None:
    recorder = Recorder()
    store = make_store(index=index(recorder, ["title", "chapters[*].text"]))
    await store.aput(
        ("books",),
        "b1",
        {"title": "Cooking", "chapters": [{"text": "pizza dough"}, {"text": "pasta"}]},
    )
    await store.aput(("books",), "b2", {"title": "A Python guide", "chapters": []})
    assert recorder.texts == ["Cooking", "pizza dough", "pasta", "A Python guide"]
    found = await store.asearch(("books",), query="pizza")
    assert [item.key for item in found] == ["b1", "b2"]
    assert found[0].score == pytest.approx(1.0)


async def test_query_with_filter_and_paging(make_store: StoreFactory) -> None:
    store = make_store(index=index(fields=["text"]))
    await store.aput(("n",), "a", {"text": "python", "lang": "en"})
    await store.aput(("n",), "b", {"text": "python guide", "lang": "fr"})
    await store.aput(("n",), "c", {"text": "typescript", "lang": "en"})
    await store.aput(("n",), "d", {"note": "no text", "lang": "en"})
    await store.aput(("m",), "e", {"text": "python", "lang": "en"})
    english = await store.asearch(("n",), query="python", filter={"lang": "en"})
    assert [item.key for item in english] == ["a", "c", "d"]
    assert english[2].score is None  # nothing at "text" to embed
    assert [i.key for i in await store.asearch(("n",), query="python", offset=1, limit=2)] == [
        "b",
        "c",
    ]
    assert [i.key for i in await store.asearch(("n",), query="python", offset=3)] == ["d"]
    assert await store.asearch(("n",), query="python", filter={"lang": "de"}) == []


async def test_rewriting_and_deleting_drop_old_vectors(make_store: StoreFactory) -> None:
    store = make_store(index=index(fields=["text"]))
    await store.aput(("n",), "a", {"text": "python"})
    await store.aput(("n",), "b", {"text": "guide"})
    await store.aput(("n",), "a", {"text": "python"}, index=False)
    assert [(i.key, i.score is None) for i in await store.asearch(("n",), query="python")] == [
        ("b", False),
        ("a", True),
    ]
    await store.aput(("n",), "a", {"text": "pizza"})
    assert (await store.asearch(("n",), query="pizza", limit=1))[0].key == "a"
    await store.adelete(("n",), "a")
    assert [i.key for i in await store.asearch(("n",), query="pizza")] == ["b"]


async def test_expired_items_are_not_ranked(make_store: StoreFactory) -> None:
    store = make_store(index=index(fields=["text"]))
    clock = with_clock(store)
    await store.aput(("n",), "a", {"text": "python"}, ttl=1)
    await store.aput(("n",), "b", {"text": "guide"})
    clock.advance(minutes=2)
    assert [i.key for i in await store.asearch(("n",), query="python")] == ["b"]


async def test_index_is_ignored_without_an_index_but_a_query_is_refused(
    make_store: StoreFactory,
) -> None:
    store = make_store()
    await store.aput(("n",), "a", {"text": "python"}, index=["text"])
    with pytest.raises(ValueError, match="needs semantic search"):
        await store.asearch(("n",), query="python")


async def test_embedder_mistakes_are_named(make_store: StoreFactory) -> None:
    wrong_dims = make_store(index={"dims": 3, "embed": keyword_embed, "fields": ["text"]})
    with pytest.raises(ValueError, match=r"field 'text' of \('n',\) key 'a' has 4 dimensions"):
        await wrong_dims.aput(("n",), "a", {"text": "python"})
    assert await wrong_dims.aget(("n",), "a") is None

    def too_few(texts: Sequence[str]) -> list[list[float]]:
        return []

    short = make_store(index={"dims": 4, "embed": too_few})
    with pytest.raises(ValueError, match="one vector per text"):
        await short.aput(("n",), "a", {"text": "python"})


@pytest.mark.parametrize(
    ("config", "error", "match"),
    [
        ({"dims": 0, "embed": keyword_embed}, ValueError, "dims"),
        ({"dims": True, "embed": keyword_embed}, ValueError, "dims"),
        ({"dims": 4}, ValueError, "needs 'embed'"),
        ({"dims": 4, "embed": "openai:text-embedding-3-small"}, ValueError, "does not load"),
        ({"dims": 4, "embed": 42}, TypeError, "cannot embed"),
        ({"dims": 4, "embed": keyword_embed, "fields": "text"}, ValueError, "list of field"),
    ],
)
def test_index_config_is_checked(
    config: dict[str, Any], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        InMemoryStore(index=config)  # type: ignore[arg-type]


async def test_sqlite_vectors_persist_and_dims_are_checked(tmp_path: Path) -> None:
    path = tmp_path / "vectors.db"
    async with SqliteStore(path, index=index(fields=["text"])) as store:
        await store.aput(("n",), "a", {"text": "python"})
        await store.aput(("n",), "b", {"text": "guide"})
    async with SqliteStore(path, index=index(fields=["text"])) as again:
        assert [i.key for i in await again.asearch(("n",), query="guide")] == ["b", "a"]

    def three(texts: Sequence[str]) -> list[list[float]]:
        return [vector[:3] for vector in keyword_embed(texts)]

    async with SqliteStore(path, index={"dims": 3, "embed": three}) as changed:
        with pytest.raises(ValueError, match=r"vectors\.db holds vectors of 4 dimensions"):
            await changed.asearch(("n",), query="guide")


@pytest.mark.parametrize("embed", [keyword_embed, SyncOnly()], ids=["function", "object"])
def test_blocking_semantic_search_with_a_sync_embedder(embed: Any) -> None:
    store = InMemoryStore(index={"dims": 4, "embed": embed, "fields": ["text"]})
    store.put(("m",), "1", {"text": "a guide"})
    store.put(("m",), "2", {"text": "pizza"})
    assert [item.key for item in store.search(("m",), query="pizza")] == ["2", "1"]


def test_blocking_semantic_search() -> None:
    store = InMemoryStore(index={"dims": 4, "embed": async_keyword_embed, "fields": ["text"]})
    store.put(("user_123", "memories"), "1", {"text": "I love pizza"})
    store.put(("user_123", "memories"), "2", {"text": "I am a plumber"})
    found = store.search(("user_123", "memories"), query="pizza please", limit=1)
    assert [item.key for item in found] == ["1"]


# --- field paths and scoring -----------------------------------------------------------------


DOC: dict[str, Any] = {
    "title": "T",
    "n": 3,
    "ok": False,
    "none": None,
    "meta": {"tags": ["a", "b"], "deep": {"x": "X"}},
    "items": [{"text": "one"}, {"text": "two"}, {"other": 1}],
}


@pytest.mark.parametrize(
    ("path", "texts"),
    [
        ("title", ["T"]),
        ("n", ["3"]),
        ("ok", ["False"]),
        ("none", []),
        ("missing", []),
        ("meta.deep.x", ["X"]),
        ("meta.deep", ['{"x":"X"}']),
        ("meta.tags[*]", ["a", "b"]),
        ("meta.tags[0]", ["a"]),
        ("meta.tags[-1]", ["b"]),
        ("meta.tags[5]", []),
        ("meta.tags[x]", []),
        ("title[0]", []),
        ("items[*].text", ["one", "two"]),
        ("{title,meta.deep.x}", ["T", "X"]),
        ("title.{a}", []),
        ("meta.*", ['["a","b"]', '{"x":"X"}']),
        ("meta.tags.*", ["a", "b"]),
        ("title.*", []),
        ("$", []),  # checked below: the whole document
    ],
)
def test_texts_at_path(path: str, texts: list[str]) -> None:
    if path == "$":
        assert texts_at_path(DOC, "$")[0].startswith('{"items":')
        return
    assert texts_at_path(DOC, path) == texts


def test_tokenize_path() -> None:
    assert tokenize_path("a.b[*].c") == ["a", "b", "[*]", "c"]
    assert tokenize_path("{x,y.z}.w") == ["{x,y.z}", "w"]
    assert tokenize_path("a[0") == ["a", "[0"]


def test_scores_agree_with_and_without_numpy() -> None:
    query = pack_vector([1.0, 0.0, 1.0], dims=3, what="q")
    blobs = [
        pack_vector(v, dims=3, what="v")
        for v in ([1.0, 0.0, 1.0], [0.0, 1.0, 0.0], [0.0, 0.0, 0.0])
    ]
    assert cosine_scores(query, blobs, vectorized=False) == pytest.approx([1.0, 0.0, 0.0])
    assert cosine_scores(query, []) == []
    if using_numpy():  # pragma: no cover - only where the vectors extra is installed
        assert cosine_scores(query, blobs, vectorized=True) == pytest.approx([1.0, 0.0, 0.0])
