"""Configurable fields and alternatives, chosen per call from ``config["configurable"]``."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from typing import Any, Literal, NamedTuple

from actorgraph.channels._errors import RunnableConfigurationError
from actorgraph.runnables._base import Input, Output, Runnable
from actorgraph.runnables._chunks import closing
from actorgraph.runnables._config import ensure_config
from actorgraph.runnables._serializable import RunnableSerializable, field_annotation
from actorgraph.store._config import RunnableConfig

__all__ = [
    "ConfigurableField",
    "ConfigurableFieldMultiOption",
    "ConfigurableFieldSingleOption",
    "ConfigurableFieldSpec",
    "RunnableConfigurableAlternatives",
    "RunnableConfigurableFields",
    "union_specs",
]


class ConfigurableField(NamedTuple):
    """A field set per call through ``config["configurable"][id]``."""

    id: str
    name: str | None = None
    description: str | None = None
    annotation: Any | None = None
    is_shared: bool = False


class ConfigurableFieldSingleOption(NamedTuple):
    """A field whose value is picked by key from ``options``."""

    id: str
    options: Mapping[str, Any]
    default: str
    name: str | None = None
    description: str | None = None
    is_shared: bool = False


class ConfigurableFieldMultiOption(NamedTuple):
    """A field whose value is a list picked by keys from ``options``."""

    id: str
    options: Mapping[str, Any]
    default: Sequence[str]
    name: str | None = None
    description: str | None = None
    is_shared: bool = False


AnyConfigurableField = (
    ConfigurableField | ConfigurableFieldSingleOption | ConfigurableFieldMultiOption
)


class ConfigurableFieldSpec(NamedTuple):
    """What a Runnable accepts in ``config["configurable"]``: listed by
    ``config_specs`` and used to build ``config_schema``."""

    id: str
    annotation: Any
    name: str | None = None
    description: str | None = None
    default: Any = None
    is_shared: bool = False
    dependencies: list[str] | None = None


def union_specs(specs: Iterable[ConfigurableFieldSpec]) -> list[ConfigurableFieldSpec]:
    """Specs without repeats, in first-seen order.

    Raises:
        RunnableConfigurationError: two different specs share an id.
    """
    seen: dict[str, ConfigurableFieldSpec] = {}
    for spec in specs:
        previous = seen.get(spec.id)
        if previous is None:
            seen[spec.id] = spec
        elif previous != spec:
            raise RunnableConfigurationError(
                f"configurable id {spec.id!r} is declared twice with different specs "
                f"({previous} and {spec}): give one of the fields another id"
            )
    return list(seen.values())


class _Dynamic(RunnableSerializable[Input, Output]):
    """A Runnable resolved per call from the config; it delegates every call
    (so events and names belong to the resolved Runnable). Set ``self.default``."""

    def __init__(self, default: Runnable[Input, Output]) -> None:
        self.default = default

    def _resolve(self, config: RunnableConfig) -> tuple[Runnable[Input, Output], RunnableConfig]:
        raise NotImplementedError

    def _default_name(self) -> str:
        return self.default.get_name()

    def get_input_schema(self, config: RunnableConfig | None = None) -> Any:
        runnable, full = self._resolve(ensure_config(config))
        return runnable.get_input_schema(full)

    def get_output_schema(self, config: RunnableConfig | None = None) -> Any:
        runnable, full = self._resolve(ensure_config(config))
        return runnable.get_output_schema(full)

    async def ainvoke(
        self, input: Input, config: RunnableConfig | None = None, **kwargs: Any
    ) -> Output:
        runnable, full = self._resolve(ensure_config(config))
        return await runnable.ainvoke(input, full, **kwargs)

    async def astream(
        self, input: Input, config: RunnableConfig | None = None, **kwargs: Any
    ) -> AsyncIterator[Output]:
        runnable, full = self._resolve(ensure_config(config))
        async with closing(runnable.astream(input, full, **kwargs)) as it:
            async for chunk in it:
                yield chunk

    async def atransform(
        self, input: AsyncIterator[Input], config: RunnableConfig | None = None, **kwargs: Any
    ) -> AsyncIterator[Output]:
        runnable, full = self._resolve(ensure_config(config))
        async with closing(runnable.atransform(input, full, **kwargs)) as it:
            async for chunk in it:
                yield chunk


def _option_annotation(options: Mapping[str, Any]) -> Any:
    return Literal[tuple(options)]


class RunnableConfigurableFields(_Dynamic[Input, Output]):
    """``default`` with some of its fields replaced per call by
    ``config["configurable"]``; made by ``configurable_fields``.

    Raises (per call):
        RunnableConfigurationError: an option key that is not among the options.
    """

    def __init__(
        self, default: Runnable[Input, Output], fields: Mapping[str, AnyConfigurableField]
    ) -> None:
        super().__init__(default)
        self.fields = dict(fields)

    @property
    def config_specs(self) -> list[ConfigurableFieldSpec]:
        specs: list[ConfigurableFieldSpec] = []
        for key, field in self.fields.items():
            if isinstance(field, ConfigurableField):
                annotation = field.annotation or field_annotation(type(self.default), key)
                default = getattr(self.default, key)
            else:
                annotation = _option_annotation(field.options)
                if isinstance(field, ConfigurableFieldMultiOption):
                    annotation = list[annotation]  # type: ignore[valid-type]
                default = field.default
            specs.append(
                ConfigurableFieldSpec(
                    id=field.id,
                    annotation=annotation,
                    name=field.name,
                    description=field.description,
                    default=default,
                    is_shared=field.is_shared,
                )
            )
        return union_specs([*specs, *self.default.config_specs])

    def _resolve(self, config: RunnableConfig) -> tuple[Runnable[Input, Output], RunnableConfig]:
        configurable = config.get("configurable") or {}
        overrides: dict[str, Any] = {}
        for key, field in self.fields.items():
            if field.id not in configurable:
                continue
            chosen = configurable[field.id]
            if isinstance(field, ConfigurableFieldSingleOption):
                overrides[key] = _pick_option(field, chosen)
            elif isinstance(field, ConfigurableFieldMultiOption):
                overrides[key] = [_pick_option(field, one) for one in chosen]
            else:
                overrides[key] = chosen
        if not overrides:
            return self.default, config
        replace = getattr(self.default, "_with_fields", None)
        if replace is None:  # pragma: no cover - configurable_fields checks the class
            raise RunnableConfigurationError(
                f"{self.default.get_name()} has no fields to configure"
            )
        return replace(overrides), config


def _pick_option(
    field: ConfigurableFieldSingleOption | ConfigurableFieldMultiOption, key: Any
) -> Any:
    try:
        return field.options[key]
    except (KeyError, TypeError):
        raise RunnableConfigurationError(
            f"configurable {field.id!r} got option {key!r}; choose one of {sorted(field.options)}"
        ) from None


class RunnableConfigurableAlternatives(_Dynamic[Input, Output]):
    """Chooses between ``default`` and named alternatives per call by
    ``config["configurable"][which.id]``; made by ``configurable_alternatives``.

    An alternative may be a Runnable or a function returning one (built when
    chosen). With ``prefix_keys`` the configurable ids of each alternative are
    prefixed ``"<which.id>==<key>/"`` so alternatives with the same field ids
    can be told apart.

    Raises (per call):
        RunnableConfigurationError: an unknown alternative key (lists the choices).
    """

    def __init__(
        self,
        which: ConfigurableField,
        default: Runnable[Input, Output],
        alternatives: Mapping[str, Runnable[Input, Output] | Callable[[], Runnable[Input, Output]]],
        *,
        default_key: str = "default",
        prefix_keys: bool = False,
    ) -> None:
        if default_key in alternatives:
            raise RunnableConfigurationError(
                f"alternative {default_key!r} of {which.id!r} clashes with default_key: "
                "rename the alternative or pass another default_key"
            )
        super().__init__(default)
        self.which = which
        self.alternatives = dict(alternatives)
        self.default_key = default_key
        self.prefix_keys = prefix_keys

    def _prefix(self, key: str) -> str:
        return f"{self.which.id}=={key}/"

    @property
    def config_specs(self) -> list[ConfigurableFieldSpec]:
        keys = (self.default_key, *self.alternatives)
        specs = [
            ConfigurableFieldSpec(
                id=self.which.id,
                annotation=self.which.annotation or _option_annotation(dict.fromkeys(keys)),
                name=self.which.name,
                description=self.which.description,
                default=self.default_key,
                is_shared=self.which.is_shared,
            )
        ]
        for key in keys:
            runnable = self.default if key == self.default_key else self.alternatives[key]
            if not isinstance(runnable, Runnable):
                continue
            for spec in runnable.config_specs:
                if self.prefix_keys:
                    spec = spec._replace(id=self._prefix(key) + spec.id)
                specs.append(spec)
        return union_specs(specs)

    def _resolve(self, config: RunnableConfig) -> tuple[Runnable[Input, Output], RunnableConfig]:
        configurable = config.get("configurable") or {}
        key = configurable.get(self.which.id, self.default_key)
        if key == self.default_key:
            chosen: Any = self.default
        elif key in self.alternatives:
            chosen = self.alternatives[key]
            if not isinstance(chosen, Runnable):
                chosen = chosen()
        else:
            raise RunnableConfigurationError(
                f"Unknown alternative: {key} (config['configurable'][{self.which.id!r}]); "
                f"choose one of {[self.default_key, *self.alternatives]}"
            )
        if self.prefix_keys:
            prefix = self._prefix(key)
            unprefixed = {
                k[len(prefix) :]: v for k, v in configurable.items() if k.startswith(prefix)
            }
            config = {**config, "configurable": {**configurable, **unprefixed}}
        return chosen, config
