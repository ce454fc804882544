"""The API's resource schemas: each resource's fields declared once, derived from the model
columns (:mod:`gallery.api.schemas.base`); they validate input, shape answers and generate the
OpenAPI document (:mod:`gallery.api.openapi`)."""
