"""What every resource schema shares: fields derived from the model columns, fields only some
roles see, the error shape, list pages and their query arguments.

Fields come from the SQLAlchemy columns through marshmallow-sqlalchemy (:class:`ModelSchema`):
a String column's length is the field's ``Length`` (``maxLength`` in the OpenAPI document), a
Text column's limit is its ``info["max_length"]`` (:func:`gallery.models.max_length`), an Enum
column's members are the field's choices, and NOT NULL columns without a default are required.
A schema declares only what the columns cannot say (URLs, nested objects, descriptions), so one
column change changes the API's validation, its answers and its document together."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import marshmallow as ma
from marshmallow import fields, validate
from marshmallow_sqlalchemy import ModelConverter, SQLAlchemyAutoSchema, SQLAlchemyAutoSchemaOpts

from gallery.api.schemas.compiled import Schema
from gallery.catalog import events as catalog
from gallery.core.errors import ValidationError as DomainValidationError
from gallery.core.pages import DEFAULT_LIMIT, MAX_CURSOR_LENGTH, MAX_LIMIT
from gallery.core.permissions import Permission, has_permission
from gallery.http.guard import acting_user

#: ``metadata`` key of a field only some roles see: the permission they need.
AUDIENCE = "audience"


class WholeNumber(fields.Integer):
    """An integer in JSON: no strings, no fractions, no booleans."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(strict=True, **kwargs)

    def _validated(self, value: Any) -> int:
        if isinstance(value, bool):
            raise self.make_error("invalid")
        return super()._validated(value)


class StrictBoolean(fields.Boolean):
    """``true`` or ``false`` in JSON: not "yes", 1 or "on"."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


class Converter(ModelConverter):
    """marshmallow-sqlalchemy's converter, plus: Text columns' ``info["max_length"]`` limits,
    enums loaded and dumped by value, and extra validators that add to the column's instead of
    replacing them (``auto_field(validate=...)``)."""

    def property2field(self, prop: Any, *, instance: bool = True, field_class: Any = None, **kwargs: Any) -> Any:
        if not instance:
            return super().property2field(prop, instance=False, field_class=field_class, **kwargs)
        extra = kwargs.pop("validate", None)
        field = super().property2field(prop, instance=True, field_class=field_class, **kwargs)
        if extra is not None:
            field.validators.extend(extra if isinstance(extra, (list, tuple)) else [extra])
        return field

    def _get_field_class_for_data_type(self, data_type: Any) -> Any:
        field_class = super()._get_field_class_for_data_type(data_type)
        return WholeNumber if field_class is fields.Integer else field_class

    def _add_column_kwargs(self, kwargs: dict[str, Any], column: Any) -> None:
        super()._add_column_kwargs(kwargs, column)
        limit = column.info.get("max_length")
        if limit is not None and getattr(column.type, "length", None) is None:
            kwargs["validate"].append(validate.Length(max=limit))
        if "enum" in kwargs:
            kwargs["by_value"] = True


class ModelSchemaOpts(SQLAlchemyAutoSchemaOpts):
    def __init__(self, meta: Any, *args: Any, **kwargs: Any) -> None:
        if not hasattr(meta, "model_converter"):
            meta.model_converter = Converter
        super().__init__(meta, *args, **kwargs)


class ModelSchema(SQLAlchemyAutoSchema, Schema):
    """A resource schema over a model, dumped by its compiled plan (:mod:`.compiled`).  Loads to
    plain dicts (the domain functions validate the rest and write); a field whose
    ``metadata["audience"]`` names a permission is left out of answers to those who do not hold it."""

    OPTIONS_CLASS = ModelSchemaOpts

    def hidden_keys(self) -> frozenset[str]:
        audience = self._audience_fields()
        if not audience:  # most schemas have none: no need to ask who is acting
            return frozenset()
        user = acting_user()
        return frozenset(key for key, needed in audience if not has_permission(user, needed))

    def _audience_fields(self) -> tuple[tuple[str, Permission], ...]:
        """(key in the answer, permission) of the fields only some roles see; found once per
        schema instance (its fields are fixed), not once per dump."""
        found: tuple[tuple[str, Permission], ...] | None = self.__dict__.get("_audience")
        if found is None:
            found = tuple(
                (field.data_key or name, field.metadata[AUDIENCE])
                for name, field in self.dump_fields.items()
                if field.metadata.get(AUDIENCE) is not None
            )
            self.__dict__["_audience"] = found
        return found


def column_field(attribute: Any, **kwargs: Any) -> fields.Field:
    """A field for one model column outside a :class:`ModelSchema` (query arguments, list items)."""
    return Converter().field_for(attribute.class_, attribute.key, **kwargs)


def only_for(permission: Permission, description: str) -> dict[str, Any]:
    """``metadata`` of a field that only roles with ``permission`` see."""
    return {AUDIENCE: permission, "description": f"{description} ({permission.value} permission only)"}


class UTCDateTime(fields.DateTime):
    """An instant in UTC, written with ``Z`` (``2024-05-07T08:30:00Z``)."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


class Slug(validate.Validator):
    """A slug as the catalog makes them, with the domain's message when it is not one (its
    ``regex`` is what the OpenAPI document shows as the pattern)."""

    error = "not a valid slug"

    def __init__(self) -> None:
        self.regex = re.compile(catalog.SLUG_PATTERN)

    def __call__(self, value: str) -> str:
        try:
            return catalog.validate_slug(value)
        except DomainValidationError as exc:  # with the domain's suggestion
            raise ma.ValidationError(exc.message) from None


def url_field(build: Callable[[Any], str], description: str) -> fields.Function:
    return fields.Function(
        build, dump_only=True, metadata={"type": "string", "format": "uri", "description": description}
    )


# --- errors -----------------------------------------------------------------------------------------


class ErrorDetailSchema(ma.Schema):
    code = fields.String(required=True, metadata={"example": "validation_error"})
    message = fields.String(required=True)
    field = fields.String(metadata={"description": "the field (or header) in error, when there is one"})


class ErrorSchema(ma.Schema):
    """Every error: ``{"error": {"code": "...", "message": "...", "field": "..."}}``."""

    error = fields.Nested(ErrorDetailSchema, required=True)


# --- lists ----------------------------------------------------------------------------------------------


class PageQuerySchema(ma.Schema):
    cursor = fields.String(
        validate=validate.Length(min=1, max=MAX_CURSOR_LENGTH),
        metadata={"description": "the `next` of the previous page"},
    )
    limit = fields.Integer(  # from the query string: digits
        load_default=DEFAULT_LIMIT, validate=validate.Range(1, MAX_LIMIT), metadata={"description": "items per page"}
    )


_PAGES: dict[type[ma.Schema], type[ma.Schema]] = {}


def page_of(item: type[ma.Schema]) -> type[ma.Schema]:
    """The schema of a page of ``item``: ``{"items": [...], "next": <cursor or null>}``."""
    if item not in _PAGES:
        name = item.__name__.removesuffix("Schema") + "PageSchema"
        _PAGES[item] = type(
            name,
            (Schema,),
            {
                "items": fields.List(fields.Nested(item), required=True),
                "next": fields.String(
                    required=True,
                    allow_none=True,
                    metadata={"description": "cursor of the next page; null on the last"},
                ),
                "__doc__": f"A page of {item.__name__.removesuffix('Schema').lower()}s, in order.",
            },
        )
    return _PAGES[item]
