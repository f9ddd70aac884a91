"""``RunnableSerializable``: a Runnable with declared fields that can be made configurable."""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from actorgraph.channels._errors import RunnableConfigurationError
from actorgraph.runnables._base import Input, Output, Runnable
from actorgraph.runnables._chunks import MISSING

if typing.TYPE_CHECKING:
    from actorgraph.runnables._configurable import AnyConfigurableField, ConfigurableField

__all__ = ["RunnableSerializable", "field_annotation"]


def field_annotation(cls: type, key: str) -> Any:
    """The resolved annotation of field ``key`` on ``cls`` (``Any`` if unresolvable)."""
    try:
        return typing.get_type_hints(cls).get(key, Any)
    except Exception:  # noqa: BLE001 - a forward reference we cannot resolve only loses precision
        return Any


class RunnableSerializable(Runnable[Input, Output]):
    """A Runnable whose class-level annotations are its fields.

    Subclass it, declare fields like a dataclass (``max_tokens: int = 1000``),
    implement ``invoke`` or ``ainvoke``, and construct with keyword arguments.
    Its fields can then be made configurable per call with
    :meth:`configurable_fields`, or the whole Runnable swapped with
    :meth:`configurable_alternatives`.

    Raises:
        TypeError: an unknown or missing field at construction.
    """

    _fields_cache: ClassVar[dict[str, Any] | None] = None

    def __init__(self, **kwargs: Any) -> None:
        fields = type(self)._fields()
        unknown = [key for key in kwargs if key not in fields and key != "name"]
        if unknown:
            raise TypeError(
                f"{type(self).__name__}() got unknown field(s) {unknown}; its fields are {sorted(fields)}"
            )
        for key, default in fields.items():
            if key in kwargs:
                setattr(self, key, kwargs[key])
            elif default is MISSING:
                raise TypeError(f"{type(self).__name__}() is missing the required field {key!r}")
        if "name" in kwargs:
            self.name = kwargs["name"]

    @classmethod
    def _fields(cls) -> dict[str, Any]:
        """Field name -> default (``MISSING`` when required), cached per class."""
        cached = cls.__dict__.get("_fields_cache")
        if cached is not None:
            return cached  # type: ignore[no-any-return]
        fields: dict[str, Any] = {}
        for klass in reversed(cls.__mro__):
            if not issubclass(klass, RunnableSerializable) or klass is RunnableSerializable:
                continue
            for key, annotation in inspect.get_annotations(klass).items():
                if key.startswith("_") or key == "name" or "ClassVar" in str(annotation):
                    continue
                fields[key] = klass.__dict__.get(key, fields.get(key, MISSING))
        cls._fields_cache = fields
        return fields

    def _field_values(self) -> dict[str, Any]:
        values = {key: getattr(self, key) for key in type(self)._fields()}
        if "name" in self.__dict__:
            values["name"] = self.name
        return values

    def _with_fields(self, overrides: Mapping[str, Any]) -> RunnableSerializable[Input, Output]:
        return type(self)(**{**self._field_values(), **overrides})

    def configurable_fields(
        self, **kwargs: AnyConfigurableField
    ) -> RunnableSerializable[Input, Output]:
        """Let ``config["configurable"]`` replace the named fields per call.

        Raises:
            RunnableConfigurationError: a key that is not a field of this class.
        """
        fields = type(self)._fields()
        for key in kwargs:
            if key not in fields:
                raise RunnableConfigurationError(
                    f"Configuration key {key} not found in {self.get_name()}: "
                    f"its fields are {sorted(fields)}"
                )
        from actorgraph.runnables._configurable import RunnableConfigurableFields

        return RunnableConfigurableFields(self, kwargs)

    def configurable_alternatives(
        self,
        which: ConfigurableField,
        *,
        default_key: str = "default",
        prefix_keys: bool = False,
        **kwargs: Runnable[Input, Output] | Callable[[], Runnable[Input, Output]],
    ) -> RunnableSerializable[Input, Output]:
        """Let ``config["configurable"][which.id]`` swap this Runnable for one of
        ``kwargs`` per call; ``default_key`` (or no key) keeps this one."""
        from actorgraph.runnables._configurable import RunnableConfigurableAlternatives

        return RunnableConfigurableAlternatives(
            which, self, kwargs, default_key=default_key, prefix_keys=prefix_keys
        )
