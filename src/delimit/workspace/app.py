"""The workspace's HTTP API (FastAPI): thin routes over :class:`delimit.workspace.service.Workspace`.

Authentication: a session cookie (HttpOnly, SameSite=Strict; every write also carries the session's
CSRF token in ``X-CSRF-Token``) or ``Authorization: Bearer <API token>``. Only ``/api/health`` and
``/api/auth/login`` answer without one. Errors are JSON :class:`~delimit.workspace.schemas.ErrorOut`:
400 unreadable body, 401 unauthenticated, 403 wrong role (or missing CSRF token), 404 missing or not yours, 409 stale
version (with ``current_version``), 413 body too large, 422 bad input naming the field, 429 too many
log-in attempts.

Downloads of a proposal (``/report``, ``/annex``, ``/geopackage``) are built in the background once
per scenario hash: 202 with the progress (and ``Retry-After``) while building, then 200 with the file
as an attachment; a failed build answers 409 with the reason once, and the next request retries it.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from delimit import __version__
from delimit.errors import InputError
from delimit.workspace import schemas as S
from delimit.workspace.auth import LoginLimiter, Role
from delimit.workspace.db import Store
from delimit.workspace.downloads import KINDS, Downloads
from delimit.workspace.evaluation import Evaluator
from delimit.workspace.service import Actor, Conflict, Forbidden, NotFound, Workspace

COOKIE = "delimit_session"
CSRF_HEADER = "X-CSRF-Token"
#: Largest request body accepted by default (bytes).
DEFAULT_MAX_BODY = 2 * 1024 * 1024
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


class Unauthenticated(Exception):
    pass


def _error(
    status: int,
    detail: str,
    field: str | None = None,
    current_version: int | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = S.ErrorOut(detail=detail, field=field, current_version=current_version).model_dump()
    return JSONResponse(body, status_code=status, headers=headers)


class BodyLimit:
    """ASGI middleware refusing request bodies over ``limit`` bytes (declared or streamed) with 413."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            await _error(413, f"request body over the limit of {self.limit} bytes", "body")(scope, receive, send)
            return
        seen, too_large = 0, False

        async def limited() -> Message:
            nonlocal seen, too_large
            msg = await receive()
            if msg["type"] == "http.request":
                seen += len(msg.get("body", b""))
                if seen > self.limit:
                    too_large = True
                    return {"type": "http.disconnect"}  # the app stops reading; its answer is dropped below
            return msg

        async def guarded(msg: Message) -> None:
            if not too_large:
                await send(msg)

        try:
            await self.app(scope, limited, guarded)
        except Exception:
            if not too_large:
                raise
        if too_large:
            await _error(413, f"request body over the limit of {self.limit} bytes", "body")(scope, receive, send)


ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": S.ErrorOut} for code in (400, 401, 403, 404, 409, 413, 422, 429)
}


def create_app(
    store: Store,
    *,
    max_body_bytes: int = DEFAULT_MAX_BODY,
    limiter: LoginLimiter | None = None,
    evaluate: bool = True,
    downloads: bool | None = None,
) -> FastAPI:
    """The API of the workspace stored in ``store``.

    ``evaluate``: run engine evaluations; ``downloads``: build reports, annexes and GeoPackages of
    proposals (default: as ``evaluate``). Either switched off answers 409 saying so.
    """
    ws = Workspace(store)
    limiter = limiter or LoginLimiter()
    evaluator = Evaluator(store, ws.info.base_scenario, ws.info.settings.get("evaluate", []))
    builder = Downloads(store, ws.info.base_scenario, ws.info.parties)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        evaluator.shutdown()
        builder.shutdown()

    app = FastAPI(
        title="delimit workspace", version=__version__, description=__doc__, responses=ERRORS, lifespan=lifespan
    )
    app.state.workspace, app.state.evaluator, app.state.downloads = ws, evaluator, builder
    app.add_middleware(BodyLimit, limit=max_body_bytes)
    _handlers(app)

    def authenticated(request: Request) -> Actor:
        header = request.headers.get("authorization", "")
        if header.lower().startswith("bearer "):
            actor = ws.token_actor(header[7:].strip())
            if actor is None:
                raise Unauthenticated("unknown or revoked API token")
            return actor
        cookie = request.cookies.get(COOKIE)
        found = ws.session_actor(cookie) if cookie else None
        if found is None:
            raise Unauthenticated("log in first (session cookie or API token)")
        actor, csrf = found
        if request.method not in SAFE_METHODS and not hmac.compare_digest(request.headers.get(CSRF_HEADER, ""), csrf):
            raise Forbidden(f"missing or wrong {CSRF_HEADER} header")
        return actor

    async def ready(actor: Actor = Depends(authenticated)) -> Actor:  # no I/O: on the event loop, no thread hop
        if actor.must_change_password:
            raise Forbidden("change your one-time password first (POST /api/auth/password)")
        return actor

    @app.get("/api/health", response_model=S.HealthOut, tags=["meta"])
    def health() -> dict[str, str]:
        """Liveness; the only route besides log-in that needs no session."""
        return {"status": "ok"}

    @app.post("/api/auth/login", response_model=S.LoginOut, tags=["auth"])
    def login(body: S.LoginIn, request: Request, response: Response) -> Any:
        """Start a session: sets the HttpOnly, SameSite=Strict cookie and returns the CSRF token."""
        keys = (f"user:{body.username}", f"addr:{request.client.host if request.client else '-'}")
        wait = limiter.retry_after(*keys)
        if wait > 0:
            return _error(
                429,
                "too many failed log-in attempts; try again later",
                "username",
                headers={"Retry-After": str(int(wait) + 1)},
            )
        found = ws.login(body.username, body.password)
        if found is None:
            limiter.failed(*keys)
            return _error(401, "wrong user name or password")
        limiter.succeeded(keys[0])
        secret, csrf, actor = found
        response.set_cookie(
            COOKIE, secret, httponly=True, samesite="strict", secure=request.url.scheme == "https", path="/"
        )
        return S.LoginOut(csrf_token=csrf, account=account_out(actor))

    @app.post("/api/auth/logout", status_code=204, tags=["auth"])
    def logout(request: Request, actor: Actor = Depends(authenticated)) -> Response:
        cookie = request.cookies.get(COOKIE)
        if cookie:
            ws.logout(cookie)
        response = Response(status_code=204)
        response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")
        return response

    @app.get("/api/auth/me", response_model=S.AccountOut, tags=["auth"])
    def me(actor: Actor = Depends(authenticated)) -> Any:
        return account_out(actor)

    @app.post("/api/auth/password", status_code=204, tags=["auth"])
    def change_password(body: S.PasswordIn, actor: Actor = Depends(authenticated)) -> Response:
        """Change the password (required before anything else after a one-time password)."""
        ws.change_password(actor, body.old_password, body.new_password)
        return Response(status_code=204)

    _account_routes(app, ws, evaluator, ready, max_body_bytes)
    _proposal_routes(app, ws, evaluator, ready, evaluate)
    _download_routes(app, ws, builder, ready, evaluate if downloads is None else downloads)
    _section_routes(app, ws, ready)
    from delimit.workspace.web import mount_pages  # the browser pages, their static files and the base map

    mount_pages(app, ws, ws.session_actor, ready)
    return app


def account_out(a: Actor) -> S.AccountOut:
    return S.AccountOut(
        username=a.username,
        display_name=a.username,
        team=a.team,
        role=a.role,
        must_change_password=a.must_change_password,
    )


def _account_routes(app: FastAPI, ws: Workspace, evaluator: Evaluator, ready: Any, max_body_bytes: int) -> None:
    @app.get("/api/workspace", response_model=S.WorkspaceOut, tags=["meta"])
    def workspace(actor: Actor = Depends(ready)) -> Any:
        i = ws.info
        return S.WorkspaceOut(
            base_scenario=i.base_scenario,
            parties=i.parties,
            mediator=i.mediator,
            window=i.window_geojson,
            evaluated_sections=["land", "people", "features", *evaluator.sections],
            max_body_bytes=max_body_bytes,
            you=account_out(actor),
        )

    @app.get("/api/accounts", response_model=list[S.AccountListItem], tags=["accounts"])
    def accounts(actor: Actor = Depends(ready)) -> Any:
        """The accounts of your own delegation (or of the mediator's team)."""
        return ws.list_accounts(actor)

    @app.post("/api/accounts", response_model=S.AccountCreated, status_code=201, tags=["accounts"])
    def create_account(body: S.AccountIn, actor: Actor = Depends(ready)) -> Any:
        return S.AccountCreated(
            username=body.username,
            one_time_password=ws.create_account(actor, body.username, Role(body.role), body.display_name),
        )

    @app.get("/api/tokens", response_model=list[S.TokenInfo], tags=["accounts"])
    def tokens(actor: Actor = Depends(ready)) -> Any:
        return ws.list_tokens(actor)

    @app.post("/api/tokens", response_model=S.TokenCreated, status_code=201, tags=["accounts"])
    def create_token(body: S.TokenIn, actor: Actor = Depends(ready)) -> Any:
        tid, secret = ws.create_token(actor, body.name)
        return S.TokenCreated(id=tid, token=secret)

    @app.delete("/api/tokens/{token_id}", status_code=204, tags=["accounts"])
    def revoke_token(token_id: str, actor: Actor = Depends(ready)) -> Response:
        ws.revoke_token(actor, token_id)
        return Response(status_code=204)


def _proposal_routes(app: FastAPI, ws: Workspace, evaluator: Evaluator, ready: Any, evaluate: bool) -> None:
    @app.get("/api/proposals", response_model=list[S.ProposalOut], tags=["proposals"])
    def proposals(
        q: str | None = Query(None, max_length=200),
        state: str | None = Query(None, pattern="^(draft|shared)$"),
        actor: Actor = Depends(ready),
    ) -> Any:
        """Your delegation's drafts and everybody's shared proposals (search by name or title with q)."""
        return JSONResponse(ws.list_proposals(actor, q, state))  # plain columns already in the documented shape

    @app.post("/api/proposals", response_model=S.ProposalOut, status_code=201, tags=["proposals"])
    def create_proposal(body: S.DraftIn, actor: Actor = Depends(ready)) -> Any:
        """A new private draft of your delegation."""
        return ws.create_proposal(actor, body.scenario, body.geometry)

    @app.get("/api/proposals/{proposal_id}", response_model=S.ProposalOut, tags=["proposals"])
    def proposal(proposal_id: str, actor: Actor = Depends(ready)) -> Any:
        return ws.get_proposal(actor, proposal_id)

    @app.put("/api/proposals/{proposal_id}", response_model=S.ProposalOut, tags=["proposals"])
    def update_proposal(proposal_id: str, body: S.DraftUpdate, actor: Actor = Depends(ready)) -> Any:
        """Change a draft (not a shared proposal); 409 with the current version if based on an old one."""
        return ws.update_proposal(actor, proposal_id, body.based_on_version, body.scenario, body.geometry)

    @app.post("/api/proposals/{proposal_id}/share", response_model=S.ProposalOut, tags=["proposals"])
    def share(proposal_id: str, body: S.VersionIn, actor: Actor = Depends(ready)) -> Any:
        """Show a draft to every delegation and the mediator; it is frozen from then on."""
        return ws.share_proposal(actor, proposal_id, body.based_on_version)

    @app.post(
        "/api/proposals/{proposal_id}/versions", response_model=S.ProposalOut, status_code=201, tags=["proposals"]
    )
    def new_version(proposal_id: str, actor: Actor = Depends(ready)) -> Any:
        """A new private draft of your delegation copied from a proposal you can see."""
        return ws.new_version(actor, proposal_id)

    @app.get("/api/proposals/{proposal_id}/comments", response_model=list[S.CommentOut], tags=["proposals"])
    def comments(proposal_id: str, actor: Actor = Depends(ready)) -> Any:
        return ws.list_comments(actor, proposal_id)

    @app.post("/api/proposals/{proposal_id}/comments", response_model=S.CommentOut, status_code=201, tags=["proposals"])
    def add_comment(proposal_id: str, body: S.CommentIn, actor: Actor = Depends(ready)) -> Any:
        return ws.add_comment(actor, proposal_id, body.text, body.visibility)

    @app.post(
        "/api/proposals/{proposal_id}/evaluation", response_model=S.EvaluationOut, status_code=202, tags=["evaluation"]
    )
    def start_evaluation(proposal_id: str, actor: Actor = Depends(ready)) -> Any:
        """Evaluate the proposal with the engines in the background (cached by the scenario's hash)."""
        if actor.role == Role.observer:
            raise Forbidden("an observer may not start evaluations")
        p = ws.get_proposal(actor, proposal_id)
        if not evaluate:
            raise Conflict("evaluation is switched off on this server")
        evaluator.start(p["scenario_hash"], p["document"])
        return evaluator.status(p["scenario_hash"])

    @app.get("/api/proposals/{proposal_id}/evaluation", response_model=S.EvaluationOut, tags=["evaluation"])
    def evaluation(proposal_id: str, actor: Actor = Depends(ready)) -> Any:
        """Progress and, once done, the results."""
        p = ws.get_proposal(actor, proposal_id)
        out = evaluator.status(p["scenario_hash"])
        if out is None:
            raise NotFound("not evaluated yet (POST to start)")
        return out


def _download_responses(kind: str) -> dict[int | str, dict[str, Any]]:
    k = KINDS[kind]
    return {
        200: {
            "content": {k.media_type: {"schema": {"type": "string", "format": "binary"}}},
            "description": f"{k.what} (Content-Disposition: attachment)",
        },
        202: {"model": S.DownloadOut, "description": "being built: ask again (Retry-After seconds)"},
    }


def _download_routes(app: FastAPI, ws: Workspace, builder: Downloads, ready: Any, enabled: bool) -> None:
    """The report, treaty annex and GeoPackage of a proposal the caller may see (built once per scenario hash)."""

    def download(kind: str, proposal_id: str, actor: Actor) -> Response:
        p = ws.get_proposal(actor, proposal_id)  # NotFound for another delegation's draft, as for a missing one
        if not enabled:
            raise Conflict("building downloads is switched off on this server")
        got = builder.get(kind, p["scenario_hash"], p["document"])
        if got.status == "failed":
            raise Conflict(f"building {KINDS[kind].what} failed: {got.message} (ask again to retry)")
        if got.status != "done" or got.content is None:
            body = S.DownloadOut(status=got.status, progress=got.progress, message=got.message)  # type: ignore[arg-type]
            return JSONResponse(body.model_dump(), status_code=202, headers={"Retry-After": "2"})
        stem = re.sub(r"[^A-Za-z0-9_.-]", "_", f"{p['name']}-v{p['version']}")
        name = KINDS[kind].filename.format(stem=stem)
        return Response(
            got.content,
            media_type=KINDS[kind].media_type,
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    @app.get(
        "/api/proposals/{proposal_id}/report",
        response_model=None,
        response_class=Response,  # the 200 answer is the file, declared with its own media type only
        tags=["downloads"],
        responses=_download_responses("report"),
    )
    def report(proposal_id: str, actor: Actor = Depends(ready)) -> Response:
        """The proposal's single-file HTML report against the baseline (figures, maps, credits and licences)."""
        return download("report", proposal_id, actor)

    @app.get(
        "/api/proposals/{proposal_id}/annex",
        response_model=None,
        response_class=Response,  # the 200 answer is the file, declared with its own media type only
        tags=["downloads"],
        responses=_download_responses("annex"),
    )
    def proposal_annex(proposal_id: str, actor: Actor = Depends(ready)) -> Response:
        """The treaty annex of the line between the two parties under the proposal, as a ZIP (no PDF)."""
        return download("annex", proposal_id, actor)

    @app.get(
        "/api/proposals/{proposal_id}/geopackage",
        response_model=None,
        response_class=Response,  # the 200 answer is the file, declared with its own media type only
        tags=["downloads"],
        responses=_download_responses("geopackage"),
    )
    def geopackage(proposal_id: str, actor: Actor = Depends(ready)) -> Response:
        """The proposal's transfers and resulting territory (WGS84) as a GeoPackage, attribution in its metadata."""
        return download("geopackage", proposal_id, actor)


def _section_routes(app: FastAPI, ws: Workspace, ready: Any) -> None:
    @app.get("/api/sections", response_model=list[S.SectionOut], tags=["sections"])
    def sections(actor: Actor = Depends(ready)) -> Any:
        return ws.list_sections(actor)

    @app.post("/api/sections", response_model=S.SectionOut, status_code=201, tags=["sections"])
    def create_section(body: S.SectionIn, actor: Actor = Depends(ready)) -> Any:
        return ws.create_section(actor, body.name, body.geometry)

    @app.get("/api/sections/{section_id}", response_model=S.SectionOut, tags=["sections"])
    def section(section_id: str, actor: Actor = Depends(ready)) -> Any:
        return ws.get_section(actor, section_id)

    @app.put("/api/sections/{section_id}/geometry", response_model=S.SectionOut, tags=["sections"])
    def section_geometry(section_id: str, body: S.SectionGeometryIn, actor: Actor = Depends(ready)) -> Any:
        """New geometry; withdraws an agreement ad referendum on the old one (and says so in 'note')."""
        return ws.change_section_geometry(actor, section_id, body.based_on_version, body.geometry)

    @app.post("/api/sections/{section_id}/acts", response_model=S.SectionOut, tags=["sections"])
    def act(section_id: str, body: S.ActIn, actor: Actor = Depends(ready)) -> Any:
        """Your delegation's sign-off, initials, signature, ratification... on the section's current geometry."""
        return ws.section_act(actor, section_id, body.step, body.based_on_version, body.geometry_hash)

    # Errors stay JSON (ErrorOut): the route keeps the default JSON class, its 200 answer is declared text/plain.
    @app.get(
        "/api/annex",
        response_model=None,
        response_class=Response,  # text or ZIP, declared below; errors stay JSON (ErrorOut)
        tags=["sections"],
        responses={
            200: {
                "content": {
                    "text/plain": {"schema": {"type": "string"}},
                    "application/zip": {"schema": {"type": "string", "format": "binary"}},
                },
                "description": "the boundary description (format=text) or the whole treaty annex as a ZIP (format=zip)",
            }
        },
    )
    def annex(
        format: str = Query("text", pattern="^(text|zip)$", description="text: the description; zip: the annex files"),
        actor: Actor = Depends(ready),
    ) -> Response:
        """The treaty annex of the sections agreed ad referendum or further: its text, or (format=zip) the
        description text, coordinate CSVs, GeoPackage, GeoJSON, KML, ATTRIBUTION.txt and provenance.json."""
        if format == "zip":
            return Response(
                ws.annex_zip(actor),
                media_type="application/zip",
                headers={"Content-Disposition": 'attachment; filename="agreed-sections-treaty-annex.zip"'},
            )
        return PlainTextResponse(
            ws.annex_text(actor), headers={"Content-Disposition": 'attachment; filename="annex.txt"'}
        )

    @app.get("/api/history", response_model=list[S.HistoryEvent], tags=["history"])
    def history(
        limit: int = Query(100, ge=1, le=1000),
        before: str | None = Query(None, pattern=S.HEX64),
        actor: Actor = Depends(ready),
    ) -> Any:
        """The events you may see, newest first; page with before=<hash of the last one>."""
        # the documented shape, each stored payload spliced in as it is (not decoded and encoded again)
        return Response(ws.history_json(actor, limit, before), media_type="application/json")

    @app.get("/api/history/verify", response_model=S.VerifyOut, tags=["history"])
    def verify(actor: Actor = Depends(ready)) -> Any:
        """Check the whole event chain now."""
        return ws.verify(actor)


def _handlers(app: FastAPI) -> None:
    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return _error(
            exc.status_code,
            str(exc.detail),
            "body" if exc.status_code == 400 else None,
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(Unauthenticated)
    async def _unauth(request: Request, exc: Unauthenticated) -> JSONResponse:
        return _error(401, str(exc))

    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, exc: Forbidden) -> JSONResponse:
        return _error(403, str(exc))

    @app.exception_handler(NotFound)
    async def _missing(request: Request, exc: NotFound) -> JSONResponse:
        return _error(404, str(exc))

    @app.exception_handler(Conflict)
    async def _conflict(request: Request, exc: Conflict) -> JSONResponse:
        return _error(409, str(exc), current_version=exc.current_version)

    @app.exception_handler(InputError)
    async def _bad_input(request: Request, exc: InputError) -> JSONResponse:
        return _error(422, exc.reason, exc.field)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errs = exc.errors()
        first = errs[0] if errs else {}
        loc = [str(x) for x in first.get("loc", ()) if x != "body"]
        more = f" (and {len(errs) - 1} more)" if len(errs) > 1 else ""
        return _error(422, f"{first.get('msg', 'invalid request')}{more}", ".".join(loc) or "body")
