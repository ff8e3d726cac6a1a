"""Wire format: lowerCamelCase JSON, money as JSON numbers, errors as {"message": ...}."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class ApiModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, from_attributes=True)


class IdResponse(ApiModel):
    id: str


class ErrorResponse(ApiModel):
    message: str


ERROR_RESPONSES: dict[int | str, dict[str, object]] = {
    400: {"model": ErrorResponse, "description": "invalid input"},
    404: {"model": ErrorResponse, "description": "unknown ID"},
    409: {"model": ErrorResponse, "description": "not allowed in the current state"},
}
