"""What both stores share about namespaces, filters and field paths.

Every store runs these same functions, so a filter, a namespace pattern or an
index path means the same thing in memory and in SQLite.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeAlias

import msgspec

from actorgraph.channels._errors import InvalidNamespaceError

__all__ = [
    "FILTER_OPERATORS",
    "RESERVED_ROOT",
    "check_filter",
    "checked_ttl",
    "compile_filter",
    "namespace_matches",
    "select_namespaces",
    "texts_at_path",
    "tokenize_path",
    "validate_namespace",
    "validate_prefix",
]

RESERVED_ROOT = "langgraph"
FILTER_OPERATORS = frozenset({"$eq", "$ne", "$gt", "$gte", "$lt", "$lte"})


# --- namespaces ---------------------------------------------------------------------


def _check_labels(namespace: Any, *, allow_wildcard: bool) -> tuple[str, ...]:
    if isinstance(namespace, str) or not isinstance(namespace, (tuple, list)):
        raise InvalidNamespaceError(
            f"Namespace {namespace!r} must be a tuple of strings, such as ('users', '123')."
        )
    for label in namespace:
        if not isinstance(label, str):
            raise InvalidNamespaceError(
                f"Namespace label {label!r} in {tuple(namespace)!r} is a "
                f"{type(label).__name__}; every label must be a string."
            )
        if not label:
            raise InvalidNamespaceError(
                f"Namespace {tuple(namespace)!r} has an empty label; every label needs text."
            )
        if "." in label:
            raise InvalidNamespaceError(
                f"Namespace label {label!r} in {tuple(namespace)!r} contains a period; "
                f"split it into separate labels instead, e.g. {tuple(label.split('.'))!r}."
            )
        if label == "*" and not allow_wildcard:
            raise InvalidNamespaceError(
                f"Namespace label '*' in {tuple(namespace)!r} is a wildcard; wildcards are "
                "only allowed in list_namespaces(prefix=..., suffix=...)."
            )
    return tuple(namespace)


def validate_namespace(namespace: Any) -> tuple[str, ...]:
    """Return ``namespace`` as a tuple after checking the documented rules.

    A namespace is a non-empty tuple of non-empty string labels, no label holds
    a period, and the root label is not ``"langgraph"`` (reserved).

    Raises:
        InvalidNamespaceError: naming the offending label.
    """
    labels = _check_labels(namespace, allow_wildcard=False)
    if not labels:
        raise InvalidNamespaceError(
            "Namespace () is empty; give at least one label, such as ('memories',)."
        )
    if labels[0] == RESERVED_ROOT:
        raise InvalidNamespaceError(
            f"Namespace {labels!r} starts with the reserved root label {RESERVED_ROOT!r}; "
            "choose another first label."
        )
    return labels


def validate_prefix(prefix: Any, *, allow_wildcard: bool = False) -> tuple[str, ...]:
    """Check a namespace prefix (may be empty; ``*`` only where patterns are allowed).

    Raises:
        InvalidNamespaceError: naming the offending label.
    """
    return _check_labels(prefix, allow_wildcard=allow_wildcard)


def namespace_matches(namespace: tuple[str, ...], path: tuple[str, ...], *, suffix: bool) -> bool:
    """Whether ``namespace`` starts (or ends, with ``suffix``) with ``path``; ``*`` matches a label."""
    if len(path) > len(namespace):
        return False
    labels = namespace[len(namespace) - len(path) :] if suffix else namespace[: len(path)]
    return all(want in ("*", have) for have, want in zip(labels, path, strict=True))


def select_namespaces(
    namespaces: Iterable[tuple[str, ...]],
    *,
    prefix: tuple[str, ...] | None,
    suffix: tuple[str, ...] | None,
    max_depth: int | None,
    limit: int,
    offset: int,
) -> list[tuple[str, ...]]:
    """The ``list_namespaces`` answer over every namespace that holds an item.

    Matching namespaces are truncated to ``max_depth`` labels, deduplicated and
    sorted, then paged with ``offset`` and ``limit``.
    """
    chosen = {
        ns[:max_depth] if max_depth is not None else ns
        for ns in namespaces
        if (not prefix or namespace_matches(ns, prefix, suffix=False))
        and (not suffix or namespace_matches(ns, suffix, suffix=True))
    }
    return sorted(chosen)[offset : offset + limit]


def checked_ttl(ttl: Any, what: str, unit: str) -> float | None:
    """``ttl`` as a float, None for "never".

    Raises:
        ValueError: unless it is None or a positive number; ``what`` names the
            item or entry and ``unit`` the unit ("minutes", "seconds").
    """
    if ttl is None:
        return None
    if isinstance(ttl, bool) or not isinstance(ttl, (int, float)) or not ttl > 0:
        raise ValueError(f"ttl of {what} must be a positive number of {unit} or None, got {ttl!r}.")
    return float(ttl)


# --- filters --------------------------------------------------------------------------


def _check_condition(where: str, wanted: Any) -> None:
    if isinstance(wanted, (list, tuple)):
        for element in wanted:
            _check_condition(where, element)
        return
    if not isinstance(wanted, Mapping):
        return
    keys = list(wanted)
    if not any(isinstance(key, str) and key.startswith("$") for key in keys):
        for key, value in wanted.items():
            _check_condition(f"{where}.{key}", value)
        return
    for op in keys:
        if op not in FILTER_OPERATORS:
            raise ValueError(
                f"Filter on {where!r} uses the unknown operator {op!r}"
                + ("" if str(op).startswith("$") else " beside operators")
                + f"; supported: {', '.join(sorted(FILTER_OPERATORS))}."
            )


def check_filter(filter: Mapping[str, Any] | None) -> None:
    """Reject unknown operators (at any depth) before any work is done.

    Raises:
        ValueError: naming the field and the operator, listing the supported ones.
    """
    for field, wanted in (filter or {}).items():
        _check_condition(field, wanted)


def _field(value: Mapping[str, Any], name: str) -> Any:
    """The value of ``name`` in a document (None when absent, as JSON null reads).

    A dotted name that is not itself a key walks nested objects.
    """
    found: Any = value
    for part in name.split("."):
        if not isinstance(found, Mapping):
            return None
        found = found.get(part)
    return found


def _ordered(have: Any, want: Any) -> bool:
    """Whether ``have`` and ``want`` can be ordered against each other."""
    numbers = (int, float)
    if isinstance(have, bool) or isinstance(want, bool):
        return isinstance(have, bool) and isinstance(want, bool)
    if isinstance(have, numbers) and isinstance(want, numbers):
        return True
    return isinstance(have, str) and isinstance(want, str)


def _apply(op: str, have: Any, want: Any) -> bool:
    if op == "$eq":
        return _equal(have, want)
    if op == "$ne":
        return not _equal(have, want)
    if not _ordered(have, want):
        return False
    if op == "$gt":
        return bool(have > want)
    if op == "$gte":
        return bool(have >= want)
    if op == "$lt":
        return bool(have < want)
    return bool(have <= want)  # $lte; check_filter rejected anything else


def _equal(have: Any, want: Any) -> bool:
    """JSON equality: nested objects match field by field, lists element by element."""
    if isinstance(want, Mapping):
        if any(isinstance(k, str) and k.startswith("$") for k in want):
            return all(_apply(op, have, operand) for op, operand in want.items())
        return isinstance(have, Mapping) and all(_equal(have.get(k), v) for k, v in want.items())
    if isinstance(want, (list, tuple)):
        return (
            isinstance(have, (list, tuple))
            and len(have) == len(want)
            and all(_equal(h, w) for h, w in zip(have, want, strict=True))
        )
    if isinstance(want, bool) or isinstance(have, bool):
        return isinstance(want, bool) and isinstance(have, bool) and have is want
    return bool(have == want)


Predicate: TypeAlias = Callable[[Mapping[str, Any]], bool]


def _condition(name: str, wanted: Any) -> Predicate:
    """One condition as a function, with the common plain-value cases made cheap."""

    def field(value: Mapping[str, Any]) -> Any:
        return value.get(name) if name in value or "." not in name else _field(value, name)

    if wanted is None:
        return lambda value: field(value) is None
    if isinstance(wanted, bool):
        return lambda value: field(value) is wanted
    if isinstance(wanted, str):
        return lambda value: field(value) == wanted
    if isinstance(wanted, (int, float)):

        def number(value: Mapping[str, Any]) -> bool:
            have = field(value)
            return have == wanted and not isinstance(have, bool)

        return number
    return lambda value: _equal(field(value), wanted)


def compile_filter(filter: Mapping[str, Any] | None) -> Predicate | None:
    """``filter`` as one predicate over documents, or None when it is empty.

    A condition is a plain value (JSON equality) or a mapping of operators
    (``$eq $ne $gt $gte $lt $lte``). Ordering operators compare numbers with
    numbers and strings with strings; any other pairing does not match. A
    dotted name that is not a key itself reaches into nested objects.
    """
    if not filter:
        return None
    conditions = [_condition(name, wanted) for name, wanted in filter.items()]
    if len(conditions) == 1:
        return conditions[0]
    return lambda value: all(condition(value) for condition in conditions)


# --- index field paths ------------------------------------------------------------------


def tokenize_path(path: str) -> list[str]:
    """Split a field path like ``"a.b[*].c"`` into ``["a", "b", "[*]", "c"]``.

    Brackets (``[0]``, ``[-1]``, ``[*]``) and braces (``{title,body}``) stay one token.
    """
    tokens: list[str] = []
    current: list[str] = []
    i = 0
    while i < len(path):
        char = path[i]
        if char in "[{":
            if current:
                tokens.append("".join(current))
                current = []
            closing = "]" if char == "[" else "}"
            end = path.find(closing, i)
            end = len(path) - 1 if end < 0 else end
            tokens.append(path[i : end + 1])
            i = end + 1
            continue
        if char == ".":
            if current:
                tokens.append("".join(current))
                current = []
        else:
            current.append(char)
        i += 1
    if current:
        tokens.append("".join(current))
    return tokens


def _as_text(found: Any) -> list[str]:
    if found is None:
        return []
    if isinstance(found, str):
        return [found]
    if isinstance(found, bool):
        return ["True" if found else "False"]
    if isinstance(found, (int, float)):
        return [str(found)]
    # Stored documents are JSON, so what is left is an object or a list.
    return [msgspec.json.encode(found, order="sorted").decode()]


def _walk(found: Any, tokens: Sequence[str], pos: int) -> list[str]:
    if pos == len(tokens):
        return _as_text(found)
    token = tokens[pos]
    if token.startswith("["):
        if not isinstance(found, (list, tuple)):
            return []
        index = token[1:-1].strip()
        if index == "*":
            return [text for element in found for text in _walk(element, tokens, pos + 1)]
        try:
            at = int(index)
        except ValueError:
            return []
        if -len(found) <= at < len(found):
            return _walk(found[at], tokens, pos + 1)
        return []
    if token.startswith("{"):
        if not isinstance(found, Mapping):
            return []
        names = [name.strip() for name in token[1:-1].split(",") if name.strip()]
        return [text for name in names for text in _walk(found, tokenize_path(name), 0)]
    if token == "*":  # noqa: S105 - a path wildcard, not a secret
        children = found.values() if isinstance(found, Mapping) else found
        if not isinstance(found, (Mapping, list, tuple)):
            return []
        return [text for child in children for text in _walk(child, tokens, pos + 1)]
    if isinstance(found, Mapping) and token in found:
        return _walk(found[token], tokens, pos + 1)
    return []


def texts_at_path(value: Mapping[str, Any], path: str) -> list[str]:
    """The texts an index path selects in a document, in document order.

    ``"$"`` is the whole document as JSON; ``"a.b"`` a nested field; ``"a[*].c"``
    the field ``c`` of every element of list ``a``; ``"a[0]"``/``"a[-1]"`` one
    element; ``"{x,y}"`` several fields. Strings are taken as they are, numbers
    and booleans as their text, objects and lists as JSON; a path that selects
    nothing gives no text.
    """
    if path in ("", "$"):
        return _as_text(value)
    return _walk(value, tokenize_path(path), 0)
