"""Request and response bodies of the workspace API (pydantic; they make the OpenAPI description)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from delimit.workspace.auth import Role
from delimit.workspace.sections import STATUSES, STEPS

if TYPE_CHECKING:  # the literals are built from the workflow's tables at run time; a checker sees plain strings
    Status = str
    StepName = str
else:
    Status = Literal[STATUSES]
    StepName = Literal[tuple(STEPS)]
HEX64 = r"^[0-9a-f]{64}$"


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ErrorOut(BaseModel):
    """Every error: a one-line message, the field at fault if any, the current version on a conflict."""

    detail: str
    field: str | None = None
    current_version: int | None = None


class HealthOut(BaseModel):
    status: Literal["ok"]


class LoginIn(_In):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=200)


class AccountOut(BaseModel):
    username: str
    display_name: str
    team: str
    role: Role
    must_change_password: bool


class LoginOut(BaseModel):
    csrf_token: str = Field(description="send as the X-CSRF-Token header with every write made with the session cookie")
    account: AccountOut


class PasswordIn(_In):
    old_password: str = Field(min_length=1, max_length=200)
    new_password: str = Field(min_length=1, max_length=200)


class AccountIn(_In):
    username: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]{2,63}$")
    role: Role
    display_name: str = Field(default="", max_length=200)


class AccountListItem(BaseModel):
    username: str
    display_name: str
    team: str
    role: Role
    disabled: bool


class AccountCreated(BaseModel):
    username: str
    one_time_password: str


class TokenIn(_In):
    name: str = Field(min_length=1, max_length=100)


class TokenCreated(BaseModel):
    id: str
    token: str = Field(description="shown once: send as 'Authorization: Bearer <token>'")


class TokenInfo(BaseModel):
    id: str
    name: str
    created_at: str
    revoked: bool


class WorkspaceOut(BaseModel):
    base_scenario: str
    parties: list[str]
    mediator: bool
    window: dict[str, Any] = Field(description="GeoJSON Polygon, WGS84 lon/lat: drafts and sections must lie inside")
    evaluated_sections: list[str]
    max_body_bytes: int
    you: AccountOut


class DraftIn(_In):
    scenario: str = Field(
        description="the scenario as YAML text (the scenario file model; 'base' defaults to the workspace's baseline)",
        max_length=262144,
    )
    geometry: dict[str, Any] = Field(
        default_factory=dict,
        description="GeoJSON FeatureCollections by file name, e.g. {'geometry/swap.geojson': {...}}",
    )


class DraftUpdate(DraftIn):
    based_on_version: int


class VersionIn(_In):
    based_on_version: int


class ProposalOut(BaseModel):
    id: str
    team: str
    name: str
    title: str
    state: Literal["draft", "shared"]
    version: int
    scenario_hash: str
    parent_id: str | None
    created_by: str
    created_at: str
    updated_at: str
    shared_at: str | None
    document: dict[str, Any] | None = None


class CommentIn(_In):
    text: str = Field(min_length=1, max_length=10000)
    visibility: Literal["team", "all"] = "team"


class CommentOut(BaseModel):
    id: str
    team: str
    author: str
    visibility: Literal["team", "all"]
    text: str
    created_at: str


class EvaluationOut(BaseModel):
    status: Literal["queued", "running", "done", "failed"]
    progress: float = Field(description="fraction 0..1")
    message: str
    sections: list[str]
    finished_at: str | None
    result: dict[str, Any] | None = Field(
        description="the comparison against the baseline (delimit compare --format json), once done"
    )


class DownloadOut(BaseModel):
    """A download still being built (202), with its progress."""

    status: Literal["queued", "running"]
    progress: float = Field(description="fraction 0..1")
    message: str


class SectionIn(_In):
    name: str = Field(min_length=1, max_length=200)
    geometry: dict[str, Any] = Field(description="GeoJSON LineString or MultiLineString, WGS84 lon/lat")


class SectionGeometryIn(_In):
    based_on_version: int
    geometry: dict[str, Any]


class ActIn(_In):
    step: StepName
    based_on_version: int
    geometry_hash: str = Field(pattern=HEX64, description="the section geometry the act is taken on")


class ActOut(BaseModel):
    step: str
    team: str
    account: str
    geometry_hash: str
    at: str


class SectionOut(BaseModel):
    id: str
    name: str
    status: Status
    version: int
    geometry: dict[str, Any]
    geometry_hash: str
    note: str
    created_at: str
    updated_at: str
    acts: list[ActOut]
    next_step: str | None
    awaiting: list[str]


class HistoryEvent(BaseModel):
    hash: str
    at: str
    actor: str
    team: str
    kind: str
    object_type: str
    object_id: str
    content_hash: str
    payload: dict[str, Any]


class VerifyOut(BaseModel):
    ok: bool
    broken_event: str | None
    reason: str
