"""Dumping a marshmallow schema by a plan compiled from its own fields.

marshmallow dumps each field of each object through several calls (``Field.serialize``,
``get_value``, the schema's ``get_attribute``, ``utils.get_value``, ``_serialize``) and runs the
post-dump hooks once per object: a search answer of 50 photos with their camera and derivatives
is about 2,500 fields, which took longer than the search's own SQL.  :class:`Schema` dumps the
same answer by a plan made once per schema class and set of fields (:func:`plan_for`): for each
field, where its value comes from and how it is written.  The plan is derived from the schema's
fields, so the schema still drives validation, answers and the OpenAPI document; only the walk
is faster:

- a value is read as marshmallow reads it (``getattr``, or ``obj[key]`` for objects that have
  ``__getitem__``; dotted attributes through :func:`marshmallow.utils.get_value`), from
  :meth:`Schema.dump_source` of the object, or by the schema's :attr:`Schema.computed` functions;
- a value that the field would write unchanged (a ``str`` for a ``String``, an ``int`` for an
  ``Integer``, anything for a field that does not convert) is written as it is; any other value,
  and any other field, goes through the field's own ``_serialize``; ``Function`` fields call their
  function; ``Nested`` and ``List`` fields of a compiled schema use its plan;
- the keys a viewer may not see (:meth:`Schema.hidden_keys`) are asked once per dump, not once
  per object, and each set of them has its own list of fields.

A schema with other dump hooks (``pre_dump``, ``post_dump``), or whose ``get_attribute`` is
overridden, is dumped (or read) by marshmallow itself.  ``tests/unit/api/schemas/test_compiled.py``
holds both ways to the same output."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar

import marshmallow as ma
from marshmallow import fields, missing, post_dump
from marshmallow.utils import get_value

#: A field's value is written unchanged when its type is one of these (None: whatever it is).
_UNCHANGED: dict[Callable[..., Any], tuple[type, ...] | None] = {
    fields.Field._serialize: None,  # Raw, Boolean and other fields that do not convert
    fields.String._serialize: (str, type(None)),
}
_NUMBER_TYPES: dict[type, tuple[type, ...]] = {int: (int, type(None)), float: (float, type(None))}


class Schema(ma.Schema):
    """A schema dumped by its compiled plan (same output as marshmallow's ``dump``).

    Subclasses say where a field's value comes from by :attr:`computed` and
    :meth:`dump_source` rather than by overriding ``get_attribute``, and which answer keys the
    viewer may not see by :meth:`hidden_keys`; marshmallow's own walk reads the same."""

    #: Fields whose value is not the attribute of their name: attribute -> function of the object.
    computed: ClassVar[Mapping[str, Callable[[Any], Any]]] = {}

    def dump_source(self, obj: Any) -> Any:
        """The object whose attributes the fields read (a wrapper's schema: the wrapped object);
        ``Function`` fields get the dumped object itself."""
        return obj

    def hidden_keys(self) -> frozenset[str]:
        """Keys of the answer that the viewer may not see (asked once per dump)."""
        return frozenset()

    def get_attribute(self, obj: Any, attr: str, default: Any) -> Any:
        obj = self.dump_source(obj)
        compute = self.computed.get(attr)
        if compute is not None:
            return compute(obj)
        return super().get_attribute(obj, attr, default)

    @post_dump
    def _hide(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        """marshmallow's walk (a schema with hooks of its own): the keys the viewer may not see."""
        for key in self.hidden_keys():
            data.pop(key, None)
        return data

    def dump(self, obj: Any, *, many: bool | None = None) -> Any:
        plan = plan_for(self)
        if plan is None:
            return super().dump(obj, many=many)
        many = self.many if many is None else bool(many)
        call: dict[Plan, Any] = {}
        return [plan.dump(item, call) for item in obj] if many else plan.dump(obj, call)


#: A step: (answer key, attribute or None (no value read), a function of the source or None,
#: types written unchanged (None: any), the converter (value, object, call) or None, field).
Step = tuple[str, str | None, Callable[[Any], Any] | None, tuple[type, ...] | None, Any, fields.Field]


class Plan:
    """How one schema (class and set of fields) dumps an object."""

    def __init__(self, schema: Schema) -> None:
        self.schema = schema
        cls = type(schema)
        self.overridden = cls.get_attribute is not Schema.get_attribute
        plain_source = cls.dump_source is Schema.dump_source or self.overridden
        self.source: Callable[[Any], Any] | None = None if plain_source else schema.dump_source
        self.hides = cls.hidden_keys is not Schema.hidden_keys
        self.steps = tuple(self._step(name, field) for name, field in schema.dump_fields.items())
        self._visible: dict[frozenset[str], tuple[Step, ...]] = {frozenset(): self.steps}

    def _step(self, name: str, field: fields.Field) -> Step:
        key = field.data_key if field.data_key is not None else name
        kind = type(field)
        if kind.serialize is not fields.Field.serialize or kind.get_value is not fields.Field.get_value:
            # a field that reads or writes its own way: marshmallow's whole walk for it
            serialize, accessor = field.serialize, self.schema.get_attribute
            return (key, None, None, (), lambda _value, obj, _call: serialize(name, obj, accessor=accessor), field)
        attr: str | None = None
        compute: Callable[[Any], Any] | None = None
        if field._CHECK_ATTRIBUTE:
            attr = name if field.attribute is None else field.attribute
            if self.overridden:  # read as marshmallow does: through the schema's get_attribute
                get, attr_name = self.schema.get_attribute, attr
                compute = lambda obj: get(obj, attr_name, missing)  # noqa: E731
            elif attr in self.schema.computed:
                compute = self.schema.computed[attr]
            elif "." in attr:
                dotted = attr
                compute = lambda obj: get_value(obj, dotted, missing)  # noqa: E731
        unchanged, convert = _writer(field, name)
        return (key, attr, compute, unchanged, convert, field)

    def visible_steps(self, call: dict[Plan, Any]) -> tuple[Step, ...]:
        steps: tuple[Step, ...] | None = call.get(self)
        if steps is None:
            hidden = self.schema.hidden_keys() if self.hides else frozenset()
            steps = self._visible.get(hidden)
            if steps is None:
                steps = self._visible[hidden] = tuple(s for s in self.steps if s[0] not in hidden)
            call[self] = steps
        return steps

    def dump(self, obj: Any, call: dict[Plan, Any]) -> dict[str, Any]:
        source = obj if self.source is None else self.source(obj)
        plain = not hasattr(source, "__getitem__")
        out: dict[str, Any] = {}
        for key, attr, compute, unchanged, convert, field in self.visible_steps(call):
            if attr is None:
                value = None
            else:
                if compute is not None:
                    value = compute(source)
                elif plain:
                    value = getattr(source, attr, missing)
                else:
                    value = get_value(source, attr, missing)
                if value is missing:
                    default = field.dump_default
                    value = default() if callable(default) else default
                    if value is missing:
                        continue
            if convert is None or (unchanged is not None and type(value) in unchanged):
                out[key] = value
            else:
                out[key] = convert(value, obj, call)
        return out


def _writer(field: fields.Field, name: str) -> tuple[tuple[type, ...] | None, Any]:
    """(the types ``field`` writes unchanged, None for any; the converter ``(value, object, call)``,
    None when every value is written unchanged).  ``name``: the field's attribute name, which
    marshmallow passes to ``_serialize``."""
    kind = type(field)
    method: Any = kind._serialize
    unchanged: tuple[type, ...] | None = ()
    if method in _UNCHANGED:
        unchanged = _UNCHANGED[method]
        if unchanged is None:
            return None, None
    elif method is fields.Number._serialize and kind._format_num is fields.Number._format_num:  # type: ignore[attr-defined]
        if not field.as_string:  # type: ignore[attr-defined]
            unchanged = _NUMBER_TYPES.get(field.num_type, ())  # type: ignore[attr-defined]
    elif method is fields.Function._serialize:
        function = field.serialize_func  # type: ignore[attr-defined]
        return (), lambda _value, obj, _call: function(obj)
    elif method is fields.Nested._serialize:
        return (), _nested(field)  # type: ignore[arg-type]
    elif method is fields.List._serialize:
        return (), _list(field, name)  # type: ignore[arg-type]
    serialize = field._serialize
    return unchanged, lambda value, obj, _call: serialize(value, name, obj)


def _nested(field: fields.Nested) -> Callable[[Any, Any, dict[Plan, Any]], Any]:
    schema = field.schema
    many = schema.many or field.many
    plan = plan_for(schema) if isinstance(schema, Schema) else None
    if plan is None:
        return lambda value, _obj, _call: None if value is None else schema.dump(value, many=many)
    dump = plan.dump
    if many:
        return lambda value, _obj, call: None if value is None else [dump(item, call) for item in value]
    return lambda value, _obj, call: None if value is None else dump(value, call)


def _list(field: fields.List, name: str) -> Callable[[Any, Any, dict[Plan, Any]], Any]:
    unchanged, convert = _writer(field.inner, name)
    if convert is None:
        return lambda value, _obj, _call: None if value is None else list(value)
    if unchanged:
        kinds = unchanged
        return lambda value, obj, call: (
            None if value is None else [item if type(item) in kinds else convert(item, obj, call) for item in value]
        )
    return lambda value, obj, call: None if value is None else [convert(item, obj, call) for item in value]


_PLANS: dict[tuple[type, tuple[str, ...]], Plan | None] = {}


def plan_for(schema: Schema) -> Plan | None:
    """The plan of ``schema``'s class and fields (made once); None when marshmallow must dump it:
    it has dump hooks of its own."""
    key = (type(schema), tuple(schema.dump_fields))
    if key not in _PLANS:
        hooks = schema._hooks
        others = [name for name, _many, _kwargs in hooks["post_dump"] if name != "_hide"]
        _PLANS[key] = None if hooks["pre_dump"] or others else Plan(schema)
    return _PLANS[key]
