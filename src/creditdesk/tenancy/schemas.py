"""Tenant and user payloads."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StrictBool, ValidationInfo, field_validator

from creditdesk.auth.passwords import password_problem
from creditdesk.config import REGION_PATTERN
from creditdesk.tenancy.permissions import PlatformRoleName, RoleName

SLUG_PATTERN = r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class _WithPassword(_Strict):
    @field_validator("password", check_fields=False)
    @classmethod
    def _strong(cls, value: str, info: ValidationInfo) -> str:
        problem = password_problem(value, info.data.get("email"))
        if problem:
            raise ValueError(problem)
        return value


class TenantAdminIn(_WithPassword):
    email: EmailStr
    name: str = Field(min_length=1, max_length=200)
    password: str = Field(max_length=128)


class TenantCreate(_Strict):
    slug: str = Field(pattern=SLUG_PATTERN, description="Lowercase letters, digits and hyphens; 1–40 characters")
    name: str = Field(min_length=1, max_length=200)
    timezone: str = Field(default="Asia/Kolkata", max_length=64)
    data_region: str = Field(
        default="default",
        pattern=REGION_PATTERN,
        description="The region whose database holds the tenant's data (one of the configured regions); fixed",
    )
    admin: TenantAdminIn


class TenantUpdate(_Strict):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    status: Literal["active", "suspended"] | None = None


class TenantRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    slug: str
    name: str
    status: str
    timezone: str
    data_region: str
    created_at: datetime


class TenantList(BaseModel):
    items: list[TenantRead]


class UserCreate(_WithPassword):
    email: EmailStr
    name: str = Field(min_length=1, max_length=200)
    role: RoleName
    password: str = Field(max_length=128)


class PlatformUserCreate(_WithPassword):
    email: EmailStr
    name: str = Field(min_length=1, max_length=200)
    role: PlatformRoleName
    password: str = Field(max_length=128)


class UserUpdate(_Strict):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    role: RoleName | None = None
    is_active: StrictBool | None = None
    password: str | None = Field(default=None, max_length=128)

    @field_validator("password")
    @classmethod
    def _strong(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and (problem := password_problem(value)):
            raise ValueError(problem)
        return value


class UserRead(BaseModel):
    id: str
    email: str
    name: str
    role: str
    tenant: str | None
    is_active: bool
    created_at: datetime
    last_login_at: datetime | None
